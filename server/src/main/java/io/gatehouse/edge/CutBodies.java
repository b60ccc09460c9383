package io.gatehouse.edge;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Netty's request decoder says nothing when a client shuts its side in the middle of a body (it
 * just forgets the request). This says it, in order: after the pieces that did arrive comes a last
 * piece marked as failed, which the call reads as a body cut short (a 400), instead of waiting for
 * bytes that cannot come.
 */
final class CutBodies extends ChannelInboundHandlerAdapter {
    private boolean inBody;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            inBody = true;
        }
        if (msg instanceof LastHttpContent) {
            inBody = false;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && inBody) {
            inBody = false;
            LastHttpContent cut = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
            cut.setDecoderResult(DecoderResult.failure(new PrematureChannelClosureException("the body was cut short")));
            ctx.fireChannelRead(cut);
        }
        ctx.fireUserEventTriggered(evt);
    }
}
