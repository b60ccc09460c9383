package io.gatehouse.edge;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * One upstream connection's end of the pipeline: hands what the decoder reads to the exchange the
 * connection carries, and tells the pool when a kept connection dies or idles out.
 */
final class Link extends ChannelInboundHandlerAdapter {
    private final Upstreams upstreams;
    private final String key;
    private Channel channel;
    private Exchange exchange;
    private boolean answeringHead;
    private long keptUntil;
    /** The upstream's own {@code Keep-Alive: timeout}, in nanoseconds; 0 when it named none. */
    private long upstreamIdleNanos;
    /** The connection failed (a reset): an answer framed by its end did not end, it was cut. */
    private boolean broken;

    Link(Upstreams upstreams, String key) {
        this.upstreams = upstreams;
        this.key = key;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    Channel channel() {
        return channel;
    }

    String key() {
        return key;
    }

    /** The connection carries {@code exchange} from now until {@link #detach}. */
    void attach(Exchange exchange, boolean head) {
        this.exchange = exchange;
        this.answeringHead = head;
        channel.config().setAutoRead(true);
    }

    /** The exchange ended: the connection is kept, or closed when {@code reusable} is false. */
    void detach(boolean reusable) {
        exchange = null;
        answeringHead = false;
        if (reusable) {
            upstreams.release(this);
        } else {
            channel.close();
        }
    }

    boolean answeringHead() {
        return answeringHead;
    }

    void upstreamIdle(long nanos) {
        upstreamIdleNanos = nanos;
    }

    /** The connection is kept from {@code nanoTime}, for the pool's idle time or the upstream's, if shorter. */
    void kept(long nanoTime) {
        long idle = upstreams.idleTimeout().toNanos();
        keptUntil = nanoTime + (upstreamIdleNanos > 0 ? Math.min(idle, upstreamIdleNanos) : idle);
    }

    /** Whether a kept connection may still carry a call: neither side's idle time has run out. */
    boolean usableAt(long nanoTime) {
        return nanoTime - keptUntil < 0;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Exchange e = exchange;
        if (e == null) {
            ReferenceCountUtil.release(msg);
            ctx.close(); // bytes nobody asked for: the connection's framing can no longer be trusted
            return;
        }
        if (msg instanceof HttpResponse r) {
            e.head(r);
        }
        if (msg instanceof HttpContent c) {
            if (broken && c instanceof io.netty.handler.codec.http.LastHttpContent) {
                c.release();
                exchange = null;
                e.upstreamClosed();
            } else if (exchange == e) {
                e.content(c);
            } else {
                c.release();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.readComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.upstreamWritable(channel.isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (exchange != null) {
            Exchange e = exchange;
            exchange = null;
            e.upstreamClosed();
        } else {
            upstreams.forget(this);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && exchange == null) {
            upstreams.forget(this);
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        broken = true;
        ctx.close(); // channelInactive tells the exchange
    }
}
