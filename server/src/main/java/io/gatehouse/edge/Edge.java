package io.gatehouse.edge;

import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.http.RequestInfo;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The public port. Netty's own codecs parse every request ({@link HttpRequestDecoder}, strict, within
 * the limits of {@code http.max-header-bytes}; {@link HttpResponseEncoder};
 * {@link HttpServerKeepAliveHandler}); each request is
 * routed on its own: the data plane serves its paths on the event loop, anything else goes to the
 * control plane ({@link ControlPlane}). Refusals are written on the loop by the one
 * {@link Renderer}, and every request, whichever side served it, gets one access-log line.
 */
public final class Edge implements AutoCloseable {
    public static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    static final Logger ACCESS = Logger.getLogger("gatehouse.access");

    /** Who serves the data plane's paths, on the event loop. */
    public interface DataPlane {
        /** Whether a request with {@code method} to {@code path} (decoded) is the data plane's. */
        boolean claims(HttpMethod method, String path);

        /** Serves a call to a path it claims. */
        void serve(Call call);
    }

    /**
     * The public port's settings.
     *
     * @param headTimeoutMillis a request head must complete within this, once its first byte arrived
     * @param bodyTimeoutMillis a request body must complete within this, once reading it began
     * @param idleTimeoutMillis a connection may wait this long for its next request
     * @param firstRequestTimeoutMillis a new connection may wait this long for its first request to begin
     * @param maxConnections    connections beyond this are closed as they are accepted
     * @param maxConnectionsPerAddress connections from one address beyond this are closed as they are
     *                          accepted (or as the PROXY header names it); 0: no such limit
     * @param proxyProtocol     every connection starts with a PROXY protocol header naming the client
     */
    public record Limits(String host, int port, long maxBodyBytes, int maxHeaderBytes, long headTimeoutMillis,
                         long bodyTimeoutMillis, long idleTimeoutMillis, long firstRequestTimeoutMillis,
                         int maxConnections, int maxConnectionsPerAddress, boolean trustForwardedFor,
                         Optional<Path> tlsCert, Optional<Path> tlsKey, boolean proxyProtocol) {
    }

    private final Limits limits;
    private final EventLoopGroup loops;
    private final Fetch fetch;
    private final Upstreams upstreams;
    private final List<DataPlane> dataPlanes;
    private final ControlPlane controlPlane;
    private final Renderer renderer;
    private final EdgeTls tls;
    private final Channel listener;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private final Counter dataCalls;
    private final Counter controlCalls;
    private final Counter refusedConnections;
    private final Counter refusedFromAddress;
    /** Connections open per counted address ({@link RequestInfo#counted}), with a per-address limit only. */
    private final java.util.concurrent.ConcurrentHashMap<String, Integer> byAddress = new java.util.concurrent.ConcurrentHashMap<>();

    private Edge(Limits limits, Upstreams.Limits upstreamLimits, List<DataPlane> dataPlanes, int controlPlanePort,
                 String controlPlaneSecret, Renderer renderer, MeterRegistry metrics) {
        this.limits = limits;
        this.dataPlanes = java.util.stream.Stream.concat(java.util.stream.Stream.of(HEALTH), dataPlanes.stream()).toList();
        this.renderer = renderer;
        this.controlPlane = new ControlPlane(controlPlanePort, controlPlaneSecret);
        this.tls = limits.tlsCert().isPresent() ? new EdgeTls(limits.tlsCert().get(), limits.tlsKey().orElseThrow())
                : null;
        boolean epoll = Epoll.isAvailable();
        Class<? extends SocketChannel> socketClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        Class<? extends ServerSocketChannel> serverClass = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        // One event loop per core, as nginx runs one worker per core.
        this.loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.upstreams = new Upstreams(socketClass, upstreamLimits, limits.maxHeaderBytes() + 8192, metrics);
        this.fetch = new Fetch(loops, socketClass);
        this.dataCalls = Counter.builder("gatehouse.edge.requests").tag("plane", "data")
                .description("Requests the edge served on its event loop (the data plane)").register(metrics);
        this.controlCalls = Counter.builder("gatehouse.edge.requests").tag("plane", "control")
                .description("Requests the edge forwarded to the control plane").register(metrics);
        this.refusedConnections = Counter.builder("gatehouse.edge.connections.refused")
                .description("Connections closed at once: more than http.max-connections were open").register(metrics);
        this.refusedFromAddress = Counter.builder("gatehouse.edge.connections.refused.per.address")
                .description("Connections closed at once: http.max-connections-per-address were open from their address")
                .register(metrics);
        Gauge.builder("gatehouse.edge.connections", connections, AtomicInteger::get)
                .description("Client connections open").register(metrics);
        HttpDecoderConfig decoding = new HttpDecoderConfig()
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setStrictLineParsing(true)
                .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withValidation(true)
                        .withValueValidation(true))
                .setTrailersFactory(DefaultHttpHeadersFactory.trailersFactory().withValidation(true)
                        .withValueValidation(true));
        try {
            this.listener = new ServerBootstrap().group(loops).channel(serverClass)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // Nothing is read until a connection asks: see EdgeConnection.
                    .childOption(ChannelOption.AUTO_READ, false)
                    // A client that sends its request and shuts its side still gets the answer.
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (connections.incrementAndGet() > limits.maxConnections()) {
                                connections.decrementAndGet();
                                refusedConnections.increment();
                                ch.close();
                                return;
                            }
                            ch.closeFuture().addListener(f -> connections.decrementAndGet());
                            // Behind a PROXY-protocol balancer the peer is the balancer: the header names whom to count.
                            if (!limits.proxyProtocol() && ch.remoteAddress() != null
                                    && !countFrom(ch, ch.remoteAddress().getAddress().getHostAddress())) {
                                ch.close();
                                return;
                            }
                            EdgeConnection connection = new EdgeConnection(Edge.this);
                            ChannelPipeline p = ch.pipeline();
                            if (limits.proxyProtocol()) {
                                // Before TLS: a load balancer sends the header in the clear, then the client's bytes.
                                p.addLast(new HAProxyMessageDecoder(), new ProxyHeader(connection));
                            }
                            if (tls != null) {
                                p.addLast(tls.context().newHandler(ch.alloc()));
                            }
                            p.addLast(new HeadWatch(connection), new RequestDecoder(decoding.clone()),
                                    new HttpResponseEncoder(), new CutBodies(),
                                    new HttpServerKeepAliveHandler(), new FlowControlHandler(), connection);
                        }
                    })
                    .bind(limits.host(), limits.port()).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the BindException itself, unchecked as it is declared
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("could not listen on " + limits.host() + ":" + limits.port()
                    + " (is the port in use?)", e);
        }
        if (tls != null) {
            loops.next().scheduleWithFixedDelay(tls::reloadIfChanged, 5, 5, TimeUnit.SECONDS);
        }
    }

    /**
     * Counts {@code channel} against its client's address, {@code http.max-connections-per-address}
     * at most at once, until it closes.
     *
     * @return false, counting nothing, when that many from the address are open already
     */
    boolean countFrom(Channel channel, String address) {
        int most = limits.maxConnectionsPerAddress();
        if (most == 0) {
            return true;
        }
        String key = RequestInfo.counted(address);
        boolean[] counted = {false};
        byAddress.compute(key, (k, open) -> {
            int n = open == null ? 0 : open;
            counted[0] = n < most;
            return counted[0] ? n + 1 : open;
        });
        if (!counted[0]) {
            refusedFromAddress.increment();
            return false;
        }
        channel.closeFuture().addListener(f -> byAddress.computeIfPresent(key, (k, open) -> open <= 1 ? null : open - 1));
        return true;
    }

    /**
     * Listens on the public port.
     *
     * @param controlPlanePort   the control plane's loopback port
     * @param controlPlaneSecret what proves to the control plane that a request came from this edge
     */
    public static Edge start(Limits limits, Upstreams.Limits upstreamLimits, List<DataPlane> dataPlanes,
                             int controlPlanePort, String controlPlaneSecret, Renderer renderer, MeterRegistry metrics) {
        return new Edge(limits, upstreamLimits, dataPlanes, controlPlanePort, controlPlaneSecret, renderer, metrics);
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Stops taking connections; those open keep being served until {@link #close}. */
    public void stopListening() {
        listener.close().syncUninterruptibly();
    }

    /** Waits until no call is in flight, or {@code atMost}. */
    public void awaitCalls(java.time.Duration atMost) {
        long until = System.nanoTime() + atMost.toNanos();
        while (calls.get() > 0 && System.nanoTime() - until < 0) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    void callStarted() {
        calls.incrementAndGet();
    }

    /** Closes the upstream connections, which ends the answers streaming through them. */
    public void closeUpstreams() {
        upstreams.close();
    }

    @Override
    public void close() {
        stopListening();
        upstreams.close();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    void route(Call call) {
        for (DataPlane plane : dataPlanes) {
            if (plane.claims(call.method(), call.path())) {
                dataCalls.increment();
                plane.serve(call);
                return;
            }
        }
        controlCalls.increment();
        controlPlane.forward(call, limits.maxBodyBytes());
    }

    /**
     * Netty's request decoder, refusing what RFC 9112 §6.1 lets a server refuse and a proxy should: a
     * request with both {@code Transfer-Encoding} and {@code Content-Length} (Netty would drop the
     * length and go on, leaving the connection open to a desync). The encoder beside it is a plain
     * one: answers to HEAD get no body from {@link Call} itself, so nothing pairs answers with requests.
     */
    private static final class RequestDecoder extends HttpRequestDecoder {
        RequestDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            throw new IllegalArgumentException("a request framed by both Transfer-Encoding and Content-Length");
        }
    }

    /** {@code /healthz}: the process answers (its event loops do). Readiness, which needs the store, is {@code /readyz}'s. */
    private static final DataPlane HEALTH = new DataPlane() {
        private static final byte[] OK = "{\"status\":\"ok\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

        @Override
        public boolean claims(HttpMethod method, String path) {
            return path.equals("/healthz");
        }

        @Override
        public void serve(Call call) {
            if (!call.method().equals(HttpMethod.GET) && !call.method().equals(HttpMethod.HEAD)) {
                call.answerHeaders().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                throw ApiError.of(ErrorCode.METHOD_NOT_ALLOWED, "method_not_allowed", "Use GET");
            }
            call.respondJson(HttpResponseStatus.OK, OK);
        }
    };

    Limits limits() {
        return limits;
    }

    Upstreams upstreams() {
        return upstreams;
    }

    /** Small GETs to the outside under the edge's rules (OAuth client metadata documents). */
    public Fetch fetch() {
        return fetch;
    }

    Renderer renderer() {
        return renderer;
    }

    /** The access log's line for a call: id, client, method, path, status, time, credential. */
    void log(Call call) {
        calls.decrementAndGet(); // each call is logged once, when it ends
        if (ACCESS.isLoggable(Level.INFO)) {
            ACCESS.info(call.requestId() + " " + call.clientAddress() + " " + call.method().name() + " "
                    + RequestInfo.loggable(call.path()) + " " + (call.status() == 0 ? 499 : call.status()) + " "
                    + call.elapsedMicros() + "us " + call.credentialId());
        }
    }

    /** The access log's line for a request refused before it was one (malformed, too slow, not HTTP). */
    void logRefused(Channel channel, String requestId, int status) {
        if (ACCESS.isLoggable(Level.INFO)) {
            String peer = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "-";
            ACCESS.info(requestId + " " + peer + " - - " + status + " 0us -");
        }
    }

}
