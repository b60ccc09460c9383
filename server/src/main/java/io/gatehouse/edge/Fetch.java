package io.gatehouse.edge;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One small GET through the edge's rules for reaching the outside: the host is resolved off the
 * loop, every address is checked against the target's predicate (the SSRF rule) and the connection
 * goes to the address that was checked, never to a name resolved again; https checks the
 * certificate and the host name; the answer is read whole up to a size, within a deadline, and
 * redirects are not followed. For documents Gatehouse reads on a client's word (OAuth client
 * metadata documents), not for proxying: nothing is pooled.
 */
public final class Fetch {
    private final EventLoopGroup loops;
    private final Class<? extends Channel> socketClass;

    /** What came back: the status, the header fields and the whole body. */
    public record Fetched(int status, HttpHeaders headers, byte[] body) {
    }

    Fetch(EventLoopGroup loops, Class<? extends Channel> socketClass) {
        this.loops = loops;
        this.socketClass = socketClass;
    }

    /**
     * GETs {@code pathAndQuery} from {@code target}. Completes exceptionally with an
     * {@link IOException} when no allowed address answers, the body passes {@code maxBytes}, or the
     * deadline passes.
     */
    public CompletableFuture<Fetched> get(Upstreams.Target target, String pathAndQuery, int maxBytes, Duration deadline) {
        CompletableFuture<Fetched> result = new CompletableFuture<>();
        Thread.ofVirtual().name("gatehouse-fetch").start(() -> {
            try {
                List<InetSocketAddress> addresses = target.literal() != null
                        ? List.of(target.literal()) : Upstreams.resolve(target);
                if (target.literal() != null && !target.allowed().test(target.literal().getAddress())) {
                    throw new Upstreams.AddressNotAllowed(target.host() + " is an address this server may not reach");
                }
                dial(target, addresses.getFirst(), pathAndQuery, maxBytes, result);
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void dial(Upstreams.Target target, InetSocketAddress address, String path, int maxBytes,
                      CompletableFuture<Fetched> result) {
        new Bootstrap().group(loops.next()).channel(socketClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        target.connectTimeout().toMillis()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (target.tls() != null) {
                            ch.pipeline().addLast(target.tls().newHandler(ch.alloc(), target.host(), target.port()));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(maxBytes),
                                new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse answer) {
                                        byte[] body = new byte[answer.content().readableBytes()];
                                        answer.content().readBytes(body);
                                        result.complete(new Fetched(answer.status().code(), answer.headers(), body));
                                        ctx.close();
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        result.completeExceptionally(new IOException("the connection closed before an answer"));
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        result.completeExceptionally(new IOException(cause.getMessage(), cause));
                                        ctx.close();
                                    }
                                });
                    }
                })
                .connect(address)
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        result.completeExceptionally(new Upstreams.ConnectFailed("cannot connect to " + target.host(),
                                f.cause()));
                        return;
                    }
                    result.whenComplete((r, e) -> f.channel().close());
                    DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
                    request.headers().set(HttpHeaderNames.HOST, target.hostHeader())
                            .set(HttpHeaderNames.ACCEPT, "application/json")
                            .set(HttpHeaderNames.USER_AGENT, "Gatehouse")
                            .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                    f.channel().writeAndFlush(request);
                });
    }
}
