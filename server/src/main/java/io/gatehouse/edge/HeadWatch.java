package io.gatehouse.edge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Shows the connection the bytes before they are decoded: see {@link EdgeConnection#bytesArrived}. */
final class HeadWatch extends ChannelInboundHandlerAdapter {
    private final EdgeConnection connection;

    HeadWatch(EdgeConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes && !connection.bytesArrived(bytes)) {
            bytes.release();
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
