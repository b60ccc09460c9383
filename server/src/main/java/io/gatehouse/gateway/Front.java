package io.gatehouse.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
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
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The public listener: a Netty event loop per core in front of Helidon. A clean
 * {@code POST /mcp[/{server}]} that {@link FastMcp} has a plan for is served here from end to end,
 * with no thread per connection and no blocking read ({@link FastExchange}). Every other request —
 * the management API, GET streams, anything unusual, anything refused — is handed to Helidon on an
 * internal loopback listener: the front then relays the connection's bytes both ways untouched, for
 * the rest of the connection's life, after a PROXY protocol line naming the client. Helidon stays
 * the one parser that judges odd requests and the one place errors are written.
 *
 * <p>The front reads a request head only far enough to tell whether it is a candidate; anything it
 * does not fully understand (a second Content-Length, a folded line, a control character, chunked
 * framing, {@code Expect}, an {@code Origin}) is simply handed on.
 */
public final class Front implements AutoCloseable {
    static final Logger ACCESS = Logger.getLogger("gatehouse.access");
    private static final Logger LOG = Logger.getLogger(Front.class.getName());
    /** How long a connection may sit without a request before it is closed (Helidon's idea of idle too). */
    private static final long IDLE_SECONDS = 300;

    private final EventLoopGroup loops;
    private final Channel listener;
    final InetSocketAddress helidon;
    final FastMcp fast;
    final long maxBodyBytes;
    /** {@code http.max-header-bytes}: the header fields' limit, as Helidon applies it. */
    final int maxHeaderBytes;
    final boolean trustForwardedFor;
    final Class<? extends SocketChannel> socketClass;
    final Counter served;
    final Counter handedOn;

    private Front(String host, int port, InetSocketAddress helidon, FastMcp fast, long maxBodyBytes, int maxHeaderBytes,
                  boolean trustForwardedFor, MeterRegistry metrics) {
        this.helidon = helidon;
        this.fast = fast;
        this.maxBodyBytes = maxBodyBytes;
        this.maxHeaderBytes = maxHeaderBytes;
        this.trustForwardedFor = trustForwardedFor;
        this.served = Counter.builder("gatehouse.front.served")
                .description("MCP calls the event-loop front served itself").register(metrics);
        this.handedOn = Counter.builder("gatehouse.front.handed.on")
                .description("Client connections the front handed to the main listener, with all their later requests")
                .register(metrics);
        boolean epoll = Epoll.isAvailable();
        this.socketClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        Class<? extends ServerSocketChannel> serverClass = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        // One event loop per core, as nginx runs one worker per core.
        this.loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            this.listener = new ServerBootstrap().group(loops).channel(serverClass)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // A client that sends its request and shuts its side still gets the answer.
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS),
                                    new Connection(Front.this));
                        }
                    })
                    .bind(host, port).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the BindException itself, unchecked as it is declared
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("could not listen on " + host + ":" + port + " (is the port in use?)", e);
        }
    }

    /**
     * Listens on {@code host:port} in front of Helidon's internal listener at {@code helidon}, which
     * must expect a PROXY protocol line first.
     */
    public static Front start(String host, int port, InetSocketAddress helidon, FastMcp fast, long maxBodyBytes,
                              int maxHeaderBytes, boolean trustForwardedFor, MeterRegistry metrics) {
        return new Front(host, port, helidon, fast, maxBodyBytes, maxHeaderBytes, trustForwardedFor, metrics);
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A candidate request's head, as far as the front reads it. */
    record Head(String path, List<FastMcp.Field> fields, int headLength, long contentLength) {
    }

    /** The longest request line Helidon takes (its prologue limit); the front's is the same. */
    static final int MAX_REQUEST_LINE = 8192;

    /**
     * The head at the start of {@code in} if it is a candidate for the event loop; null when it is
     * not (then the request goes to Helidon), or when more bytes are needed to tell (see
     * {@code complete}). Only plain, unambiguous requests are candidates, within the limits Helidon
     * applies (a request line of {@link #MAX_REQUEST_LINE}, header fields of {@code maxHeaderBytes}).
     *
     * @param from where to resume looking for the head's end: bytes before it were looked at already
     *             (a head arriving a few bytes at a time is scanned once, not once per read)
     */
    static Head candidate(ByteBuf in, int from, int maxHeaderBytes, long maxBodyBytes, boolean[] complete) {
        int limit = MAX_REQUEST_LINE + maxHeaderBytes;
        int end = indexOfHeadEnd(in, from, Math.min(in.readableBytes(), limit));
        complete[0] = end >= 0 || in.readableBytes() >= limit;
        if (end < 0) {
            return null;
        }
        String head = in.toString(in.readerIndex(), end, StandardCharsets.ISO_8859_1);
        List<String> lines = lines(head);
        String requestLine = lines.getFirst();
        if (!requestLine.startsWith("POST /mcp") || !requestLine.endsWith(" HTTP/1.1")
                || requestLine.length() > MAX_REQUEST_LINE || end - requestLine.length() + 2 > maxHeaderBytes) {
            return null;
        }
        String path = requestLine.substring(5, requestLine.length() - 9);
        if (!isMcpPath(path)) {
            return null;
        }
        List<FastMcp.Field> fields = new ArrayList<>(lines.size());
        long length = -1;
        int hosts = 0;
        for (int i = 1; i < lines.size(); i++) { // the CRLFCRLF that ends the head is not in it
            String line = lines.get(i);
            int colon = line.indexOf(':');
            if (colon <= 0 || !plain(line, colon)) {
                return null;
            }
            String name = line.substring(0, colon);
            String lower = FastMcp.lower(name);
            String value = line.substring(colon + 1).strip();
            switch (lower) {
                case "content-length" -> {
                    if (length >= 0 || value.isEmpty() || value.length() > 12 || !digits(value)) {
                        return null;
                    }
                    length = Long.parseLong(value);
                }
                case "transfer-encoding", "expect", "upgrade", "origin", "connection", "te", "http2-settings" -> {
                    return null; // framing, protocol switches, closing and browsers: Helidon's
                }
                default -> {
                    hosts += lower.equals("host") ? 1 : 0;
                    fields.add(new FastMcp.Field(name, lower, value));
                }
            }
        }
        if (length < 0 || length > maxBodyBytes || hosts != 1) {
            return null; // RFC 9112 §3.2: exactly one Host, or Helidon's 400
        }
        return new Head(path, fields, end + 4, length);
    }

    /** The head's CRLF-separated lines (a bare CR or LF stays inside its line, to be refused there). */
    private static List<String> lines(String head) {
        List<String> lines = new ArrayList<>(16);
        int from = 0;
        int crlf;
        while ((crlf = head.indexOf("\r\n", from)) >= 0) {
            lines.add(head.substring(from, crlf));
            from = crlf + 2;
        }
        lines.add(head.substring(from));
        return lines;
    }

    /** {@code /mcp}, {@code /mcp/{slug}}, either with a trailing slash; a slug as servers have them. */
    private static boolean isMcpPath(String path) {
        if (path.equals("/mcp") || path.equals("/mcp/")) {
            return true;
        }
        if (!path.startsWith("/mcp/")) {
            return false;
        }
        int end = path.endsWith("/") ? path.length() - 1 : path.length();
        if (end <= 5) {
            return false;
        }
        for (int i = 5; i < end; i++) {
            char c = path.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** A token name right before the colon, and a value of visible Latin-1 and spaces only. */
    private static boolean plain(String line, int colon) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            boolean ok = i < colon ? c > ' ' && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0
                    : i == colon || c == ' ' || c == '\t' || c > ' ' && c != 0x7f;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean digits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Offset (from the reader index) of the CRLFCRLF that ends the head, from {@code from} to {@code limit}; -1 if none. */
    private static int indexOfHeadEnd(ByteBuf in, int from, int limit) {
        int start = in.readerIndex();
        for (int i = Math.max(3, from + 3); i < limit; i++) {
            if (in.getByte(start + i) == '\n' && in.getByte(start + i - 1) == '\r'
                    && in.getByte(start + i - 2) == '\n' && in.getByte(start + i - 3) == '\r') {
                return i - 3;
            }
        }
        return -1;
    }

    /** One client connection: requests served on the loop until one must go to Helidon. */
    static final class Connection extends ChannelInboundHandlerAdapter {
        private final Front front;
        private ByteBuf in;
        private Channel client;
        private Channel helidon;
        private boolean handedOn;
        /** The client shut its side: no request follows the ones read. */
        private boolean inputShut;
        private FastExchange exchange;
        /** The head of a request whose body is still arriving. */
        private Head pending;
        /** How far the head of the next request was searched for its end, in vain. */
        private int scanned;
        /** A credential's answer is being read from the store for the request at the head of {@code in}. */
        private boolean loading;
        /** ... and was read: if it still has no plan, the main listener takes it. */
        private boolean loaded;
        private final boolean[] complete = new boolean[1];

        Connection(Front front) {
            this.front = front;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            client = ctx.channel();
            in = ctx.alloc().buffer(4096);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf bytes = (ByteBuf) msg;
            if (helidon != null) {
                helidon.write(bytes, helidon.voidPromise());
                return;
            }
            if (in == null) {
                bytes.release(); // closed meanwhile
                return;
            }
            in.writeBytes(bytes);
            bytes.release();
            if (exchange == null && !handedOn) {
                next();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (helidon != null) {
                helidon.flush();
                if (!helidon.isWritable()) {
                    client.config().setAutoRead(false); // Helidon's side catches up first
                }
            }
        }

        /** Serves the requests buffered, one at a time, or hands the connection on. */
        void next() {
            while (exchange == null && !handedOn && !loading && in.isReadable()) {
                Head head = pending;
                if (head == null) {
                    head = candidate(in, scanned, front.maxHeaderBytes, front.maxBodyBytes, complete);
                    if (head == null) {
                        if (complete[0]) {
                            handOn();
                        } else {
                            scanned = Math.max(0, in.readableBytes() - 3); // the head's end is not before here
                        }
                        return;
                    }
                    scanned = 0;
                }
                if (in.readableBytes() < head.headLength() + head.contentLength()) {
                    pending = head; // the body is still arriving: the head is read once
                    return;
                }
                pending = null;
                byte[] body = new byte[(int) head.contentLength()];
                in.getBytes(in.readerIndex() + head.headLength(), body);
                InetSocketAddress peer = (InetSocketAddress) client.remoteAddress();
                String clientAddress = io.gatehouse.http.RequestInfo.clientAddress(peer.getAddress().getHostAddress(),
                        front.trustForwardedFor ? first(head, "x-forwarded-for") : Optional.empty());
                String requestId = io.gatehouse.http.RequestInfo.requestId(first(head, "x-request-id").orElse(""));
                FastMcp.Decision decision;
                try {
                    decision = front.fast.plan(head.path(), head.fields(), body, clientAddress, requestId);
                } catch (RuntimeException e) {
                    // A bug here must not cost the client its answer: the main listener decides and,
                    // if it fails the same way, answers 500 and logs it once.
                    LOG.log(Level.WARNING, requestId + " the front could not plan a call; handing it on", e);
                    decision = new FastMcp.HandOn();
                }
                if (decision instanceof FastMcp.Load load && !loaded) {
                    load(load.credential());
                    return;
                }
                if (!(decision instanceof FastMcp.Plan plan)) {
                    handOn();
                    return;
                }
                loaded = false;
                in.skipBytes(head.headLength() + (int) head.contentLength());
                in.discardReadBytes();
                front.served.increment();
                plan.commit(clientAddress);
                client.config().setAutoRead(false); // one request at a time: answers leave in order
                exchange = new FastExchange(this, plan, head.path(), clientAddress, requestId);
                exchange.start();
            }
        }

        /**
         * A credential not in memory (a new key, or its cached answer dropped by a change or its
         * age): its answer is read on a virtual thread, as the main listener would read it, and the
         * request is planned again. Handing it on instead would hand on the connection, and a
         * client's long-lived connection would stay off the loop for good.
         */
        private void load(String credential) {
            loading = true;
            loaded = true;
            client.config().setAutoRead(false);
            Thread.ofVirtual().name("gatehouse-front-load").start(() -> {
                try {
                    front.fast.load(credential);
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "the front could not load a credential; the main listener will try", e);
                }
                client.eventLoop().execute(() -> {
                    loading = false;
                    if (in == null || !client.isActive()) {
                        return; // the client left meanwhile
                    }
                    resume();
                });
            });
        }

        private static Optional<String> first(Head head, String lower) {
            for (FastMcp.Field f : head.fields()) {
                if (f.lower().equals(lower)) {
                    return Optional.of(f.value());
                }
            }
            return Optional.empty();
        }

        Channel client() {
            return client;
        }

        Front front() {
            return front;
        }

        /** The exchange answered the client in full: on to the next request. */
        void done() {
            exchange = null;
            if (client.isActive() && client.isWritable()) {
                resume();
            } // else the client is not reading its answers: channelWritabilityChanged resumes
        }

        /** Reads and serves again, once nothing is in flight and the client takes its answers. */
        private void resume() {
            client.config().setAutoRead(true);
            next();
            if (inputShut && exchange == null && !handedOn && !loading) {
                client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        /**
         * From here on the connection is Helidon's: a PROXY protocol line naming the client, what
         * was read so far, then everything either way as it comes.
         */
        private void handOn() {
            handedOn = true;
            front.handedOn.increment();
            client.config().setAutoRead(false);
            new Bootstrap().group(client.eventLoop()).channel(front.socketClass)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new Relay(client))
                    .connect(front.helidon)
                    .addListener((ChannelFutureListener) connected -> {
                        if (!connected.isSuccess() || !client.isActive()) {
                            LOG.log(Level.WARNING, "the front could not reach the main listener: " + connected.cause());
                            connected.channel().close();
                            client.close();
                            return;
                        }
                        helidon = connected.channel();
                        helidon.write(Unpooled.copiedBuffer(proxyLine(), StandardCharsets.US_ASCII), helidon.voidPromise());
                        helidon.writeAndFlush(in, helidon.voidPromise());
                        in = null;
                        if (inputShut) {
                            shutdownAfterWrites(helidon);
                        } else {
                            client.config().setAutoRead(true);
                        }
                    });
        }

        /** Half-closes {@code channel} once what is queued for it has left (a shutdown would fail it). */
        private static void shutdownAfterWrites(Channel channel) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER)
                    .addListener((ChannelFutureListener) f -> ((SocketChannel) f.channel()).shutdownOutput());
        }

        /** PROXY protocol version 1 (haproxy's proxy-protocol.txt §2.1). */
        private String proxyLine() {
            InetSocketAddress src = (InetSocketAddress) client.remoteAddress();
            InetSocketAddress dst = (InetSocketAddress) client.localAddress();
            String family = src.getAddress() instanceof Inet4Address ? "TCP4" : "TCP6";
            return "PROXY " + family + " " + src.getAddress().getHostAddress() + " " + dst.getAddress().getHostAddress()
                    + " " + src.getPort() + " " + dst.getPort() + "\r\n";
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            boolean writable = client.isWritable();
            if (helidon != null) {
                helidon.config().setAutoRead(writable);
            } else if (exchange != null) {
                exchange.clientWritable(writable);
            } else if (writable && !handedOn && !loading && in != null) {
                resume(); // the answers queued meanwhile have left: the next request
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent && exchange == null && helidon == null && !loading) {
                client.close(); // nothing in flight for too long
            } else if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
                inputShut = true;
                if (helidon != null) {
                    shutdownAfterWrites(helidon); // Helidon learns it as the client's own socket would tell it
                } else if (exchange == null && !handedOn && !loading) {
                    if (in.isReadable()) {
                        handOn(); // an incomplete request: Helidon says what is wrong with it
                    } else {
                        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                    }
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (helidon != null) {
                helidon.close();
            }
            if (exchange != null) {
                exchange.clientGone();
            }
            if (in != null) {
                in.release();
                in = null;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "client connection failed: " + cause);
            ctx.close();
        }
    }

    /** Helidon's side of a handed-on connection: its bytes go to the client as they come. */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel client;

        Relay(Channel client) {
            this.client = client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            client.write(msg, client.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            client.flush();
            if (!client.isWritable()) {
                ctx.channel().config().setAutoRead(false); // the client catches up first
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            client.config().setAutoRead(ctx.channel().isWritable());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
