package io.gatehouse.edge;

import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.http.RequestInfo;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One request at the edge, from its head to the last byte of its answer. Whoever serves it (the
 * data plane, or the control plane through {@link ControlPlane}) works on the connection's event
 * loop: it reads the body when and as far as it chooses, goes off the loop for what blocks
 * ({@link #offLoop}), sends the call on ({@link #proxy}), or answers ({@link #respond},
 * {@link #refuse}). An {@link ApiError} thrown by a step is the call's answer; any other exception
 * is logged and answered as a 500, or ends the connection when the answer had started.
 */
public final class Call {
    private static final Logger LOG = Logger.getLogger(Call.class.getName());

    private final EdgeConnection connection;
    private final Edge edge;
    private final HttpRequest request;
    private final String requestId;
    private final String clientAddress;
    private final String rawPath;
    private final String rawQuery;
    private final String path;
    private final long start = System.nanoTime();
    private final HttpHeaders answerHeaders = new DefaultHttpHeaders();
    private final boolean head;
    private String credentialId = "-";
    private int status;

    private boolean bodyStarted;
    /** A body being read whole ({@link #readBody}); released if the call ends before it is. */
    private ByteBuf reading;
    private Consumer<HttpContent> bodyReader;
    private boolean headSent;
    private boolean bodiless;
    private boolean ended;
    private boolean closeAfter;
    private Exchange exchange;
    /** While set and not done, the proxied answer is held back: see {@link #holdAnswerUntil}. */
    private java.util.concurrent.CompletableFuture<Boolean> gate;
    private java.util.function.Supplier<ApiError> gateRefusal;
    private java.util.List<Runnable[]> held;

    Call(EdgeConnection connection, Edge edge, HttpRequest request, String requestId, String clientAddress,
         String rawPath, String rawQuery, String path) {
        this.connection = connection;
        this.edge = edge;
        this.request = request;
        this.requestId = requestId;
        this.clientAddress = clientAddress;
        this.rawPath = rawPath;
        this.rawQuery = rawQuery;
        this.path = path;
        this.head = request.method().equals(HttpMethod.HEAD);
    }

    public HttpRequest request() {
        return request;
    }

    public HttpMethod method() {
        return request.method();
    }

    public HttpHeaders headers() {
        return request.headers();
    }

    /** The path, percent-decoded. */
    public String path() {
        return path;
    }

    /** The path as sent. */
    public String rawPath() {
        return rawPath;
    }

    /** The query as sent, without its '?'; empty when there is none. */
    public String rawQuery() {
        return rawQuery;
    }

    public String requestId() {
        return requestId;
    }

    public String clientAddress() {
        return clientAddress;
    }

    public EventLoop loop() {
        return connection.channel().eventLoop();
    }

    /** Fields every answer to this call carries, whoever writes it (CORS, say). */
    public HttpHeaders answerHeaders() {
        return answerHeaders;
    }

    /** The credential the door admitted, for the access log. */
    public void credential(String id) {
        this.credentialId = id;
    }

    // --- steps ---------------------------------------------------------------------------------

    /** Runs a step of serving this call, on the loop; what it throws becomes the answer. */
    public void run(Runnable step) {
        if (ended) {
            return;
        }
        try {
            step.run();
        } catch (Throwable t) {
            fail(t);
        }
    }

    /**
     * Runs {@code work} on a virtual thread (it may block: a store read, a lookup), then {@code then}
     * with its result back on this call's loop. What {@code work} throws becomes the answer.
     */
    public <T> void offLoop(Callable<T> work, Consumer<T> then) {
        offLoop(work, then, result -> { });
    }

    /** As {@link #offLoop(Callable, Consumer)}; {@code abandoned} gets the result when the call ended meanwhile. */
    public <T> void offLoop(Callable<T> work, Consumer<T> then, Consumer<T> abandoned) {
        EventLoop loop = loop();
        Thread.ofVirtual().name("gatehouse-call").start(() -> {
            try {
                T result = work.call();
                loop.execute(() -> {
                    if (ended) {
                        abandoned.accept(result);
                    } else {
                        run(() -> then.accept(result));
                    }
                });
            } catch (Throwable t) {
                loop.execute(() -> fail(t));
            }
        });
    }

    /**
     * Runs {@code step} on this call's loop, from any thread (a write's completion, say); when the
     * call ended meanwhile (the client left), {@code abandoned} runs instead.
     */
    public void onLoop(Runnable step, Runnable abandoned) {
        loop().execute(() -> {
            if (ended) {
                abandoned.run();
            } else {
                run(step);
            }
        });
    }

    /**
     * Reads the whole body, then hands it to {@code then} (which owns it). A body over {@code max}
     * bytes is a 413, declared or not, and the connection closes (the rest is not read).
     */
    public void readBody(long max, Consumer<ByteBuf> then) {
        refuseIfDeclaredOver(max);
        // One buffer that grows (doubling, then in 4 MiB steps): pieces of any size, even a byte each,
        // cost their bytes. Never sized from the declared length alone, which costs the client nothing.
        long declared = HttpUtil.getContentLength(request, -1L);
        ByteBuf body = connection.channel().alloc().buffer((int) Math.clamp(declared, 256, 64 * 1024));
        reading = body;
        Consumer<HttpContent> reader = new Consumer<>() {
            @Override
            public void accept(HttpContent piece) {
                if (body.readableBytes() + (long) piece.content().readableBytes() > max) {
                    piece.release();
                    closeAfter = true;
                    fail(tooLarge(max)); // ends the call, which releases the body read so far
                    return;
                }
                body.writeBytes(piece.content());
                piece.release();
                if (piece instanceof LastHttpContent) {
                    reading = null; // then owns it
                    run(() -> then.accept(body));
                } else {
                    pull(this);
                }
            }
        };
        pull(reader);
    }

    /** A body declared longer than {@code max} bytes is a 413 before any of it is read; the connection then closes. */
    public void refuseIfDeclaredOver(long max) {
        if (HttpUtil.getContentLength(request, -1L) > max) {
            closeAfter = true;
            throw tooLarge(max);
        }
    }

    private static ApiError tooLarge(long max) {
        return ApiError.of(ErrorCode.PAYLOAD_TOO_LARGE, "body_too_large",
                "The request body is larger than " + max + " bytes");
    }

    /**
     * Asks for the body's next piece; {@code reader} gets it on the loop (the last one is a
     * {@link LastHttpContent}, possibly empty). One piece at a time: the next is read from the
     * socket only when asked for, so a slow upstream slows the client, not the node's memory.
     */
    void pull(Consumer<HttpContent> reader) {
        if (!bodyStarted) {
            bodyStarted = true;
            if (HttpUtil.is100ContinueExpected(request)) {
                // RFC 9110 §10.1.1. The response encoder is a plain one: an interim answer shifts no pairing.
                connection.channel().writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.CONTINUE), connection.channel().voidPromise());
            }
            connection.bodyStarted();
        }
        bodyReader = reader;
        connection.read();
    }

    /** A piece of the request body, from the connection. */
    void bodyPiece(HttpContent piece) {
        Consumer<HttpContent> reader = bodyReader;
        bodyReader = null;
        if (reader == null) {
            piece.release(); // not asked for: cannot happen, as nothing is read unasked
            return;
        }
        if (piece.decoderResult().isFailure()) {
            piece.release();
            closeAfter = true;
            fail(ApiError.of(ErrorCode.INVALID_REQUEST, "malformed_body", "The request body's framing is malformed"));
            return;
        }
        reader.accept(piece);
    }

    /** The body did not arrive in time: a 408 if nothing was answered yet, and the connection ends. */
    void timedOut(ApiError error) {
        closeAfter = true;
        if (exchange != null) {
            exchange.clientGone();
        }
        refuse(error);
    }

    /** Whether the request has a body at all (declared by length or chunked framing). */
    boolean hasBody() {
        return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

    // --- answers -------------------------------------------------------------------------------

    /**
     * Holds the proxied answer back until {@code written} completes: the call is sent on at once
     * and the upstream works meanwhile, but the client sees nothing of its answer before the write
     * (a charge) has committed. When {@code written} says false or fails, the answer is dropped and
     * the client gets {@code refusal} instead. A write done by the time the answer's head arrives
     * costs nothing; otherwise the upstream's answer waits, unread, for it.
     */
    public void holdAnswerUntil(java.util.concurrent.CompletableFuture<Boolean> written,
                                java.util.function.Supplier<ApiError> refusal) {
        gate = written;
        gateRefusal = refusal;
        if (!written.isDone()) {
            written.whenComplete((ok, e) -> loop().execute(this::gateOpened));
        }
    }

    /** Whether the answer must wait: the gate is set and not yet passed. */
    private boolean gated() {
        if (gate == null) {
            return false;
        }
        if (!gate.isDone()) {
            return true;
        }
        return !gateOpened();
    }

    /**
     * The gate's write completed: the held answer goes out, or, when the write failed, the refusal
     * does and the upstream's answer is dropped. Answers whether the answer may go on.
     */
    private boolean gateOpened() {
        java.util.concurrent.CompletableFuture<Boolean> g = gate;
        if (g == null) {
            return true;
        }
        gate = null;
        boolean ok = !g.isCompletedExceptionally() && Boolean.TRUE.equals(g.getNow(false));
        java.util.List<Runnable[]> waiting = held;
        held = null;
        boolean send = ok && !ended;
        if (waiting != null) {
            for (Runnable[] stepOrDrop : waiting) {
                stepOrDrop[send ? 0 : 1].run();
            }
            if (send) {
                connection.channel().flush();
                clientWritabilityChanged(connection.channel().isWritable());
            }
        }
        if (!ok && !ended && !headSent) {
            if (exchange != null) {
                exchange.clientGone(); // the upstream's answer is not the client's
            }
            refuse(gateRefusal.get());
        }
        return ok;
    }

    /**
     * An answer of Gatehouse's own once the gate has opened. When the upstream's head went out first
     * (the gate held it, and this answer is a failure that came after it: a body cut short, a timeout),
     * the connection ends instead, as {@link #refuse} ends it: the streamed answer must not look whole.
     */
    private void respondAfterGate(FullHttpResponse response) {
        if (!ended && headSent) {
            response.release();
            abort();
            return;
        }
        respond(response); // the gate is gone: answered, or dropped when the call has ended
    }

    /**
     * Whether an answer's step waits for the gate: held while the charge's write is pending, or
     * dropped ({@code drop}) when the gate, opened just now by this look, refused the call and
     * ended it. False: the step goes ahead now.
     */
    private boolean heldOrDropped(Runnable step, Runnable drop) {
        if (!gated()) {
            return false;
        }
        if (ended) {
            drop.run(); // gateOpened refused the call: nothing will drain a hold now
        } else {
            hold(step, drop);
        }
        return true;
    }

    /** Keeps an answer's step for when the gate opens; {@code drop} frees what it holds if it is never sent. */
    private void hold(Runnable step, Runnable drop) {
        if (held == null) {
            held = new java.util.ArrayList<>(4);
        }
        held.add(new Runnable[]{step, drop});
    }

    /** Sends the call on and relays the answer; see {@link Outbound}. */
    public void proxy(Outbound outbound) {
        exchange = new Exchange(this, outbound, edge.upstreams());
        exchange.start();
    }

    /** Answers with {@code response}, whole. */
    public void respond(FullHttpResponse response) {
        if (ended || headSent) {
            response.release();
            return;
        }
        if (gate != null) { // a charged call: an answer of Gatehouse's own (a 502, a 504) waits for the charge too
            if (!heldOrDropped(() -> respondAfterGate(response), response::release)) {
                respondAfterGate(response); // the gate opened just now, letting out what it held first
            }
            return;
        }
        headSent = true;
        if (exchange != null) {
            exchange.clientGone(); // an answer of its own (a broken request body, say): the upstream side is dropped
        }
        status = response.status().code();
        response.headers().add(answerHeaders).set(Edge.X_REQUEST_ID, requestId);
        if (head) {
            response.content().clear();
        }
        if (closeAfter || !bodyStarted && hasBody() && HttpUtil.is100ContinueExpected(request)) {
            // the client waits for a 100 that will not come, or the rest of its body will not be read
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            closeAfter = true;
        }
        connection.channel().writeAndFlush(response, connection.channel().voidPromise());
        end();
    }

    /** Answers with a JSON body that is never cached. */
    public void respondJson(HttpResponseStatus status, byte[] body) {
        respond(edge.renderer().json(status, body));
    }

    /** Answers with no body. */
    public void respondEmpty(HttpResponseStatus status) {
        respond(edge.renderer().empty(status));
    }

    /** Answers with the error, in the documented shape; once an answer started, the connection ends instead. */
    public void refuse(ApiError error) {
        if (ended) {
            return;
        }
        if (headSent) {
            abort();
            return;
        }
        if (LOG.isLoggable(Level.FINE)) {
            LOG.fine(requestId + " " + error.code().status() + " " + error.code().code() + "/"
                    + error.reason().orElse("-") + " " + error.detail().orElse(error.publicMessage()));
        }
        respond(edge.renderer().error(error, path, requestId));
    }

    /** What a step threw: the error it names, or an unexpected failure (logged, answered as a bare 500). */
    public void fail(Throwable t) {
        if (t instanceof ApiError error) {
            refuse(error);
            return;
        }
        LOG.log(Level.SEVERE, requestId + " " + request.method() + " " + RequestInfo.loggable(path) + " failed", t);
        refuse(ApiError.internal(null));
    }

    /** The head of a streamed answer; {@code length} -1 when unknown (chunked, or until close for HTTP/1.0). */
    void sendHead(HttpResponseStatus status, HttpHeaders headers, long length) {
        if (gate != null && heldOrDropped(() -> sendHead(status, headers, length), () -> { })) {
            return;
        }
        headSent = true;
        this.status = status.code();
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers);
        headers.remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.add(answerHeaders).set(Edge.X_REQUEST_ID, requestId);
        int code = status.code();
        bodiless = code == 204 || code == 304;
        if (!bodiless) {
            if (length >= 0) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, length);
            } else if (head) {
                // RFC 9110 §9.3.2: no body follows, so no framing is announced for one
            } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                closeAfter = true; // HTTP/1.0 has no chunks: the end of the connection ends the body
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        connection.channel().write(response, connection.channel().voidPromise());
    }

    /** A piece of a streamed answer's body (dropped for HEAD, 204 and 304, which have none). */
    void sendContent(ByteBuf bytes) {
        if (gate != null && heldOrDropped(() -> sendContent(bytes), bytes::release)) {
            return;
        }
        if (head || bodiless || !bytes.isReadable()) {
            bytes.release();
            return;
        }
        connection.channel().write(new DefaultHttpContent(bytes), connection.channel().voidPromise());
    }

    void flush() {
        if (gate != null && gated()) {
            return; // what is held is flushed when it is sent
        }
        connection.channel().flush();
    }

    /** The streamed answer is whole. */
    void sendEnd() {
        if (gate != null && heldOrDropped(this::sendEnd, () -> { })) {
            return;
        }
        connection.channel().writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, connection.channel().voidPromise());
        end();
    }

    /**
     * The answer cannot be completed: the connection is closed, so that a cut answer never looks
     * whole (a chunked one lacks its last chunk; one of known length, its last bytes).
     */
    void abort() {
        closeAfter = true;
        if (!ended) {
            ended = true;
            dropBodyRead();
            connection.callDone(this, true);
        }
        connection.channel().close();
    }

    private void end() {
        ended = true;
        dropBodyRead();
        connection.callDone(this, closeAfter);
    }

    private void dropBodyRead() {
        if (reading != null) {
            reading.release();
            reading = null;
        }
    }

    boolean clientWritable() {
        return connection.channel().isWritable() && (gate == null || !gated());
    }

    Channel channel() {
        return connection.channel();
    }

    void clientWritabilityChanged(boolean writable) {
        if (exchange != null) {
            exchange.clientWritable(writable);
        }
    }

    /** The client's connection closed: whatever the call was doing upstream is dropped. */
    void clientGone() {
        ended = true;
        dropBodyRead();
        if (exchange != null) {
            exchange.clientGone();
        }
    }

    boolean isHead() {
        return head;
    }

    int status() {
        return status;
    }

    String credentialId() {
        return credentialId;
    }

    long elapsedMicros() {
        return (System.nanoTime() - start) / 1000;
    }

    boolean ended() {
        return ended;
    }
}
