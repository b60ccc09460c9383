package io.gatehouse.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

/**
 * One call the front makes itself: the request to the upstream on a connection kept per event loop,
 * the answer's head read as strictly as {@link Http1Client} reads it (its own rules, shared), then the
 * body relayed a read at a time, with the client's writability as back-pressure. An answer of known
 * length keeps it; any other leaves chunked, re-framed here, so nothing of the upstream's framing
 * (chunk extensions, trailers) reaches the client. Everything happens on the client's event loop.
 */
final class FastExchange {
    /** Idle upstream connections of this event loop, by server and address. */
    private static final FastThreadLocal<Map<String, ArrayDeque<Channel>>> POOLS = new FastThreadLocal<>() {
        @Override
        protected Map<String, ArrayDeque<Channel>> initialValue() {
            return new HashMap<>();
        }
    };
    private static final int MAX_IDLE_PER_UPSTREAM = 64;
    private static final long MAX_IDLE_MILLIS = 30_000;
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private enum Framing { NONE, FIXED, CHUNKED, UNTIL_CLOSE }

    private enum ChunkState { SIZE, DATA, DATA_END, TRAILER }

    private final Front.Connection connection;
    private final FastMcp.Plan plan;
    private final String path;
    private final String clientAddress;
    private final String requestId;
    private final Channel client;
    private final long start = System.nanoTime();

    private Channel upstream;
    private boolean reused;
    private boolean retried;
    private boolean gotBytes;
    private ScheduledFuture<?> headTimeout;
    private ByteBuf head;
    private boolean answered;
    private boolean finished;
    private int status;
    private Framing framing;
    private boolean reusable;
    private long remaining;
    private ChunkState chunkState = ChunkState.SIZE;
    private final StringBuilder chunkLine = new StringBuilder(16);

    FastExchange(Front.Connection connection, FastMcp.Plan plan, String path, String clientAddress, String requestId) {
        this.connection = connection;
        this.plan = plan;
        this.path = path;
        this.clientAddress = clientAddress;
        this.requestId = requestId;
        this.client = connection.client();
    }

    void start() {
        headTimeout = client.eventLoop().schedule(this::timedOut, plan.headTimeoutMillis(), TimeUnit.MILLISECONDS);
        ArrayDeque<Channel> idle = POOLS.get().get(plan.poolKey());
        Channel pooled;
        while (idle != null && (pooled = idle.pollLast()) != null) {
            if (pooled.isActive()) {
                send(pooled, true);
                return;
            }
        }
        connect();
    }

    /**
     * A new upstream connection. An address literal is dialled at once; a host name is resolved on a
     * virtual thread (a lookup blocks, and an event loop must not), then its addresses are tried in
     * order on the loop. The head timeout runs over all of it.
     */
    private void connect() {
        InetSocketAddress literal = plan.literal();
        if (literal != null) {
            dial(List.of(literal), 0);
            return;
        }
        Thread.ofVirtual().name("gatehouse-resolve").start(() -> {
            try {
                List<InetSocketAddress> candidates = plan.resolve();
                client.eventLoop().execute(() -> dial(candidates, 0));
            } catch (IOException refused) {
                client.eventLoop().execute(() -> fail(refused));
            }
        });
    }

    private void dial(List<InetSocketAddress> candidates, int index) {
        if (finished) {
            return;
        }
        InetSocketAddress address = candidates.get(index);
        new Bootstrap().group(client.eventLoop()).channel(connection.front().socketClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, plan.connectTimeoutMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        SslHandler tls = plan.tlsHandler(ch.alloc());
                        if (tls != null) {
                            ch.pipeline().addLast(tls);
                        }
                        // A kept connection unused for MAX_IDLE_MILLIS is closed, as Http1Client closes its own.
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, MAX_IDLE_MILLIS, TimeUnit.MILLISECONDS),
                                new UpstreamHandler(plan.poolKey()));
                    }
                })
                .connect(address)
                .addListener((ChannelFutureListener) f -> {
                    if (finished) {
                        f.channel().close();
                    } else if (f.isSuccess()) {
                        send(f.channel(), false);
                    } else if (index + 1 < candidates.size()) {
                        dial(candidates, index + 1);
                    } else {
                        fail(new Http1Client.ConnectFailed("cannot connect to " + plan.host() + ":"
                                + address.getPort() + ": " + f.cause(), f.cause()));
                    }
                });
    }

    private void send(Channel channel, boolean wasPooled) {
        upstream = channel;
        reused = wasPooled;
        ((UpstreamHandler) channel.pipeline().last()).exchange = this;
        channel.config().setAutoRead(true);
        // A failed write closes the connection, and its closing is what the exchange acts on.
        channel.writeAndFlush(Unpooled.wrappedBuffer(plan.request())).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    // --- the answer ----------------------------------------------------------------------------

    void read(ByteBuf bytes) {
        gotBytes = true;
        if (finished) {
            bytes.release();
            return;
        }
        try {
            if (!answered) {
                if (head == null) {
                    head = client.alloc().buffer(Math.max(1024, bytes.readableBytes()));
                }
                head.writeBytes(bytes);
                bytes.release();
                readHead();
            } else {
                body(bytes);
            }
        } catch (IOException e) {
            if (answered) {
                broken(e);
            } else {
                fail(e);
            }
        }
    }

    /** Reads heads (skipping interim 1xx ones) until a final one is whole; then answers the client. */
    private void readHead() throws IOException {
        while (!answered) {
            List<String> lines = new ArrayList<>(16);
            int at = head.readerIndex();
            int end = -1;
            while (true) {
                int nl = head.indexOf(at, head.writerIndex(), (byte) '\n');
                if (nl < 0) {
                    break;
                }
                int lineEnd = nl > at && head.getByte(nl - 1) == '\r' ? nl - 1 : nl;
                String line = head.toString(at, lineEnd - at, StandardCharsets.ISO_8859_1);
                at = nl + 1;
                if (line.isEmpty() && !lines.isEmpty()) {
                    end = at;
                    break;
                }
                lines.add(line);
            }
            if (end < 0) {
                if (head.readableBytes() > Http1Client.MAX_HEAD_BYTES) {
                    throw new IOException("the upstream sent too many headers");
                }
                return; // more to come
            }
            String statusLine = lines.getFirst();
            int code = Http1Client.status(statusLine);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.size(); i++) {
                Http1Client.headerLine(lines.get(i), headers);
            }
            head.readerIndex(end);
            if (Http1Client.interim(code)) {
                continue;
            }
            answer(code, statusLine.charAt(7) == '1', headers);
        }
    }

    private void answer(int code, boolean http11, Map<String, List<String>> headers) throws IOException {
        headTimeout.cancel(false);
        status = code;
        // RFC 9112 §9.3, §6.1 and §6.3, as Http1Client reads them.
        boolean keepAlive = http11 ? !Http1Client.token(headers, "connection", "close")
                : Http1Client.token(headers, "connection", "keep-alive");
        long length = -1;
        List<String> codings = headers.get("transfer-encoding");
        if (code == 204 || code == 304) {
            framing = Framing.NONE;
            reusable = keepAlive;
            length = 0;
        } else if (codings != null) {
            if (codings.size() != 1 || !codings.getFirst().equalsIgnoreCase("chunked")) {
                throw new IOException("the upstream sent a transfer coding other than chunked");
            }
            boolean alsoLength = headers.remove("content-length") != null;
            framing = Framing.CHUNKED;
            reusable = keepAlive && http11 && !alsoLength;
        } else if (headers.get("content-length") != null && !headers.get("content-length").isEmpty()) {
            remaining = Http1Client.contentLength(headers.get("content-length"));
            length = remaining;
            framing = remaining == 0 ? Framing.NONE : Framing.FIXED;
            reusable = keepAlive;
        } else {
            framing = Framing.UNTIL_CLOSE;
            reusable = false;
        }
        plan.answered(code, System.nanoTime() - start);
        byte[] answerHead = plan.answerHead(code, headers, length, requestId);
        ByteBuf rest = head;
        head = null;
        answered = true;
        if (answerHead == null) {
            rest.release();
            reusable = false;
            status = 502;
            client.write(Unpooled.wrappedBuffer(plan.rejected(requestId)), client.voidPromise());
            complete();
            return;
        }
        client.write(Unpooled.wrappedBuffer(answerHead), client.voidPromise());
        if (framing == Framing.NONE) {
            reusable &= !rest.isReadable();
            rest.release();
            complete();
        } else {
            body(rest);
        }
    }

    private void body(ByteBuf bytes) throws IOException {
        switch (framing) {
            case FIXED -> {
                int take = (int) Math.min(remaining, bytes.readableBytes());
                remaining -= take;
                client.write(bytes.retainedSlice(bytes.readerIndex(), take), client.voidPromise());
                boolean extra = bytes.readableBytes() > take;
                bytes.release();
                if (remaining == 0) {
                    reusable &= !extra;
                    complete();
                }
            }
            case CHUNKED -> chunked(bytes);
            case UNTIL_CLOSE -> {
                if (bytes.isReadable()) {
                    writeChunk(bytes.retain());
                }
                bytes.release();
            }
            case NONE -> bytes.release();
        }
    }

    /** RFC 9112 §7.1, read as Http1Client reads it; the data leaves as one chunk per read. */
    private void chunked(ByteBuf bytes) throws IOException {
        ByteBuf data = null;
        try {
            while (bytes.isReadable() && !finished) {
                switch (chunkState) {
                    case SIZE, DATA_END, TRAILER -> {
                        int nl = bytes.indexOf(bytes.readerIndex(), bytes.writerIndex(), (byte) '\n');
                        int upTo = nl < 0 ? bytes.writerIndex() : nl;
                        chunkLine.append(bytes.toString(bytes.readerIndex(), upTo - bytes.readerIndex(),
                                StandardCharsets.ISO_8859_1));
                        if (chunkLine.length() > 4096) {
                            throw new IOException("the upstream sent a line too long");
                        }
                        bytes.readerIndex(nl < 0 ? upTo : nl + 1);
                        if (nl < 0) {
                            break;
                        }
                        int len = chunkLine.length();
                        String line = len > 0 && chunkLine.charAt(len - 1) == '\r' ? chunkLine.substring(0, len - 1)
                                : chunkLine.toString();
                        chunkLine.setLength(0);
                        if (chunkState == ChunkState.SIZE) {
                            long size = Http1Client.chunkSize(line);
                            if (size < 0) {
                                throw new IOException("the upstream sent a malformed chunk size");
                            }
                            remaining = size;
                            chunkState = size == 0 ? ChunkState.TRAILER : ChunkState.DATA;
                        } else if (chunkState == ChunkState.DATA_END) {
                            if (!line.isEmpty()) {
                                throw new IOException("the upstream sent a chunk longer than its size");
                            }
                            chunkState = ChunkState.SIZE;
                        } else if (line.isEmpty()) { // the end of the trailer section
                            if (data != null) {
                                writeChunk(data);
                                data = null;
                            }
                            reusable &= !bytes.isReadable();
                            client.write(Unpooled.wrappedBuffer(LAST_CHUNK), client.voidPromise());
                            complete();
                        }
                    }
                    case DATA -> {
                        int take = (int) Math.min(remaining, bytes.readableBytes());
                        ByteBuf piece = bytes.retainedSlice(bytes.readerIndex(), take);
                        bytes.skipBytes(take);
                        data = data == null ? piece : Unpooled.wrappedBuffer(data, piece);
                        remaining -= take;
                        if (remaining == 0) {
                            chunkState = ChunkState.DATA_END;
                        }
                    }
                }
            }
            if (data != null) {
                writeChunk(data);
                data = null;
            }
        } finally {
            if (data != null) {
                data.release();
            }
            bytes.release();
        }
    }

    private void writeChunk(ByteBuf data) {
        client.write(Unpooled.copiedBuffer(Integer.toHexString(data.readableBytes()) + "\r\n", StandardCharsets.US_ASCII),
                client.voidPromise());
        client.write(data, client.voidPromise());
        client.write(Unpooled.wrappedBuffer(new byte[]{'\r', '\n'}), client.voidPromise());
    }

    /** The upstream's read is over for now: what it gave leaves, and waits if the client is slow. */
    void readComplete() {
        if (finished) {
            return;
        }
        client.flush();
        if (upstream != null && !client.isWritable()) {
            upstream.config().setAutoRead(false);
        }
    }

    void clientWritable(boolean writable) {
        if (upstream != null && !finished) {
            upstream.config().setAutoRead(writable);
        }
    }

    // --- endings -------------------------------------------------------------------------------

    /** The answer is whole: the connection goes back to the pool if it may, the client's next request is read. */
    private void complete() {
        finished = true;
        client.flush();
        release();
        log();
        connection.done();
    }

    private void release() {
        Channel ch = upstream;
        upstream = null;
        if (ch == null) {
            return;
        }
        ((UpstreamHandler) ch.pipeline().last()).exchange = null;
        ArrayDeque<Channel> idle = POOLS.get().computeIfAbsent(plan.poolKey(), k -> new ArrayDeque<>());
        if (reusable && ch.isActive() && idle.size() < MAX_IDLE_PER_UPSTREAM) {
            ch.config().setAutoRead(true); // to notice it closing while idle
            idle.addLast(ch);
        } else {
            ch.close();
        }
    }

    /** Before any of the answer: the client gets the documented 502 or 504. */
    private void fail(IOException cause) {
        if (finished) {
            return;
        }
        headTimeout.cancel(false);
        reusable = false;
        answered = true;
        if (head != null) {
            head.release();
            head = null;
        }
        byte[] error = plan.failure(cause, requestId);
        status = Integer.parseInt(new String(error, 9, 3, StandardCharsets.US_ASCII));
        client.write(Unpooled.wrappedBuffer(error), client.voidPromise());
        complete();
    }

    /** After the answer started nothing can be said: the client's connection ends, as Helidon's would. */
    private void broken(IOException cause) {
        Front.ACCESS.log(Level.FINE, "stream ended early: " + cause);
        finished = true;
        reusable = false;
        release();
        log();
        client.close();
    }

    private void timedOut() {
        if (!answered && !finished) {
            fail(new SocketTimeoutException("the upstream did not answer in time"));
        }
    }

    /** The TLS handshake failed: nothing was sent, and nothing will be. */
    void tlsFailed(Throwable cause) {
        fail(cause instanceof IOException io ? io : new javax.net.ssl.SSLHandshakeException(String.valueOf(cause)));
    }

    /** Before the answer, the connection's closing decides (a stale kept one is retried); inside it, it is cut. */
    void upstreamFailed(Throwable cause) {
        if (answered && !finished) {
            broken(cause instanceof IOException io ? io : new IOException(cause));
        }
    }

    void upstreamClosed(Channel channel) {
        if (finished || channel != upstream) {
            return;
        }
        if (!answered) {
            if (reused && !gotBytes && !retried) {
                retried = true; // a kept connection the upstream had closed: the request never arrived
                ((UpstreamHandler) channel.pipeline().last()).exchange = null;
                upstream = null;
                connect();
                return;
            }
            fail(new Http1Client.ClosedBeforeAnswer());
            return;
        }
        if (framing == Framing.UNTIL_CLOSE) {
            client.write(Unpooled.wrappedBuffer(LAST_CHUNK), client.voidPromise());
            complete();
            return;
        }
        broken(new EOFException("the upstream closed the connection inside its answer"));
    }

    /** The client left: the upstream's answer is not wanted any more (in 2026-07-28, that is cancellation). */
    void clientGone() {
        if (finished) {
            return;
        }
        finished = true;
        headTimeout.cancel(false);
        if (head != null) {
            head.release();
            head = null;
        }
        Channel ch = upstream;
        upstream = null;
        if (ch != null) {
            ch.close();
        }
    }

    private void log() {
        if (Front.ACCESS.isLoggable(Level.INFO)) {
            Front.ACCESS.info(requestId + " " + clientAddress + " POST " + path + " " + status + " "
                    + (System.nanoTime() - start) / 1000 + "us " + plan.credentialId());
        }
    }

    /** On every upstream connection of the front, for its life: hands what arrives to the exchange using it. */
    private static final class UpstreamHandler extends ChannelInboundHandlerAdapter {
        private final String poolKey;
        FastExchange exchange;

        UpstreamHandler(String poolKey) {
            this.poolKey = poolKey;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (exchange != null && exchange.upstream == ctx.channel()) {
                exchange.read((ByteBuf) msg);
            } else {
                ((ByteBuf) msg).release(); // bytes from an idle connection: it cannot be trusted again
                ctx.close();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (exchange != null) {
                exchange.readComplete();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent && exchange == null) {
                ctx.close(); // kept too long unused (an exchange waiting on a slow tool is left alone)
            } else if (evt instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()
                    && exchange != null && exchange.upstream == ctx.channel()) {
                // An untrusted certificate, or one for another name: said as Http1Client says it.
                exchange.tlsFailed(handshake.cause());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (exchange != null) {
                exchange.upstreamClosed(ctx.channel());
            } else {
                ArrayDeque<Channel> idle = POOLS.get().get(poolKey);
                if (idle != null) {
                    idle.remove(ctx.channel());
                }
            }
        }

        /**
         * A reset or read error: the connection closes, and an exchange still reading from it learns
         * it did not end cleanly (an until-close body cut by a reset is not a whole body).
         */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (exchange != null && exchange.upstream == ctx.channel()) {
                exchange.upstreamFailed(cause);
            }
            ctx.close();
        }
    }
}
