package io.gatehouse.edge;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * With {@code http.proxy-protocol}, the client's address is the one a load balancer names in the
 * PROXY protocol header it sends first (haproxy's proxy-protocol.txt, v1 or v2, parsed by Netty's
 * {@code HAProxyMessageDecoder}). A connection that does not start with one is closed: behind such
 * a balancer, a connection without it did not come through it. A {@code LOCAL} header (the
 * balancer's own health check) names no client: the peer's address stands.
 */
final class ProxyHeader extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(ProxyHeader.class.getName());
    private final EdgeConnection connection;
    /**
     * The header named a client past its connections: the connection is closing, and whatever came
     * after the header (the decoder hands it on as it leaves the pipeline) must reach nothing.
     */
    private boolean refused;

    ProxyHeader(EdgeConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
                if (!connection.proxiedClient(header.sourceAddress())) {
                    refused = true;
                    ctx.close(); // that client has http.max-connections-per-address open already
                    return;
                }
            }
        } finally {
            header.release();
        }
        ctx.pipeline().remove(this);
        ctx.read(); // the header was all this read brought, and nothing asks for more on its own
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, "a connection without a valid PROXY protocol header was closed: " + cause);
        ctx.close();
    }
}
