package io.gatehouse.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * A baseline for {@code bench/run-proxy}, not part of Gatehouse: the least an HTTP/1.1 reverse
 * proxy on the JVM can do per call when it is built on an event loop, as nginx is. Each client
 * connection gets one upstream connection on the same event-loop thread; a request is read whole,
 * loses its {@code Authorization} header, and goes on; the answer is relayed a piece at a time,
 * flushed as it arrives (so an event stream streams). No credential check, no JSON-RPC reading,
 * no pipelining, no back-pressure: it measures the I/O model, next to nginx's and Gatehouse's.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar io.gatehouse.bench.RelayBaseline PORT UPSTREAM_PORT}
 * (both on 127.0.0.1).
 */
public final class RelayBaseline {
    private RelayBaseline() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: RelayBaseline PORT UPSTREAM_PORT");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int upstreamPort = Integer.parseInt(args[1]);
        boolean epoll = Epoll.isAvailable();
        // One event loop per core, as nginx runs one worker per core here.
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Channel server = new ServerBootstrap().group(loops)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new Front(upstreamPort, epoll));
                    }
                })
                .bind("127.0.0.1", port).sync().channel();
        System.out.println("relay baseline listening on 127.0.0.1:" + port + (epoll ? " (epoll)" : " (nio)"));
        server.closeFuture().sync();
    }

    /** One client connection, and the upstream connection pinned to it. */
    private static final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final int upstreamPort;
        private final boolean epoll;
        private Channel upstream;

        Front(int upstreamPort, boolean epoll) {
            this.upstreamPort = upstreamPort;
            this.epoll = epoll;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            request.retain(); // released by the upstream side's encoder once written
            request.headers().remove(HttpHeaderNames.AUTHORIZATION);
            request.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + upstreamPort);
            if (upstream != null && upstream.isActive()) {
                upstream.writeAndFlush(request);
                return;
            }
            Channel client = ctx.channel();
            new Bootstrap().group(client.eventLoop())
                    .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new Back(client));
                        }
                    })
                    .connect("127.0.0.1", upstreamPort)
                    .addListener((ChannelFutureListener) connected -> {
                        if (connected.isSuccess() && !client.isActive()) {
                            request.release(); // the client left while this connected
                            connected.channel().close();
                        } else if (connected.isSuccess()) {
                            upstream = connected.channel();
                            upstream.writeAndFlush(request);
                        } else {
                            request.release();
                            client.close();
                        }
                    });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (upstream != null) {
                upstream.close();
            }
        }
    }

    /** The upstream's answer, relayed to the client a piece at a time. */
    private static final class Back extends SimpleChannelInboundHandler<HttpObject> {
        private final Channel client;

        Back(Channel client) {
            super(false); // the client side's encoder releases what it writes
            this.client = client;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject piece) {
            if (piece instanceof HttpContent) {
                client.writeAndFlush(piece);
            } else {
                client.write(piece); // the head goes out with the first piece of the body
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            client.close();
        }
    }
}
