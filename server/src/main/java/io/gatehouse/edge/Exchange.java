package io.gatehouse.edge;

import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One call sent on and its answer relayed, on the client's event loop: the request (whole, or
 * streamed from the client a piece at a time), then the answer's head within the deadline, then
 * its body as {@link Outbound.Shape} says, each piece within the deadline of the last unless the
 * body is an event stream. Back-pressure runs both ways: a client that does not
 * read stops the upstream's reads, an upstream that does not take the body stops the client's.
 *
 * <p>Failures: before the client's answer started, one in the documented shape (502 or 504) and
 * the upstream connection discarded; after, the client's connection is closed, so that a cut answer
 * never looks whole. A malformed answer (bad framing, a status outside 100–599, a protocol switch,
 * fields that do not validate) is such a failure, the same whatever the path.
 */
final class Exchange {
    private final Call call;
    private final Outbound out;
    private final Upstreams upstreams;

    private Link link;
    private ScheduledFuture<?> deadline;
    /** The whole request was written. */
    private boolean sent;
    /** The upstream's final head arrived. */
    private boolean answered;
    /** An interim (1xx) head arrived: its empty last content is not the answer's. */
    private boolean interim;
    private boolean keepAlive;
    private boolean done;
    private Outbound.Shape shape;
    private HttpResponse upstreamHead;
    private HttpHeaders clientHeaders;
    /** A {@link Outbound.Whole} answer read so far: one buffer that grows, so that pieces of any size cost their bytes. */
    private ByteBuf whole;
    private boolean passing;
    private SseLines events;
    private boolean pullPending;
    /**
     * The client's head waits for the end of the upstream's read that brought it, with the body
     * read with it: an answer whose framing breaks at once is then a 502, not a cut answer.
     */
    private boolean headPending;
    private java.util.List<ByteBuf> early;
    /** The upstream's answer ended (its last content arrived). */
    private boolean upstreamEnded;
    /** When the answer's head or last piece of body arrived ({@link System#nanoTime}). */
    private long lastPiece;

    Exchange(Call call, Outbound out, Upstreams upstreams) {
        this.call = call;
        this.out = out;
        this.upstreams = upstreams;
    }

    void start() {
        deadline = call.loop().schedule(this::timedOut, out.deadline().toMillis(), TimeUnit.MILLISECONDS);
        upstreams.acquire(call.loop(), out.target(), (acquired, failure) -> {
            if (done) {
                if (acquired != null) {
                    acquired.detach(true);
                }
                return;
            }
            if (failure != null) {
                failed(failure, false);
            } else {
                send(acquired);
            }
        });
    }

    private void send(Link acquired) {
        link = acquired;
        link.attach(this, call.isHead());
        HttpHeaders headers = out.headers();
        headers.set(HttpHeaderNames.HOST, out.target().hostHeader());
        headers.remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.TRANSFER_ENCODING);
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, out.method(), out.uri(), headers);
        Channel channel = link.channel();
        if (out.body() != null) {
            HttpUtil.setContentLength(request, out.body().readableBytes());
            channel.write(request, channel.voidPromise());
            channel.writeAndFlush(new DefaultLastHttpContent(out.body())).addListener(this::written);
            sent = true;
            return;
        }
        if (!call.hasBody()) {
            channel.write(request, channel.voidPromise());
            channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(this::written);
            sent = true;
            return;
        }
        // The body goes on framed as the decoder read it: chunked if it came chunked, else its length.
        long length = HttpUtil.isTransferEncodingChunked(call.request()) ? -1
                : HttpUtil.getContentLength(call.request(), -1L);
        if (length >= 0) {
            HttpUtil.setContentLength(request, length);
        } else {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        channel.write(request, channel.voidPromise());
        pump();
    }

    /** A write failed: the connection is closed, and its closing tells the exchange. */
    private void written(io.netty.util.concurrent.Future<? super Void> f) {
        if (!f.isSuccess() && link != null) {
            link.channel().close();
        }
    }

    /** Streams the client's body on, one piece in flight at a time. */
    private void pump() {
        if (done || link == null) {
            return;
        }
        if (!link.channel().isWritable()) {
            pullPending = true; // resumed by upstreamWritable
            return;
        }
        call.pull(piece -> {
            if (done || link == null) {
                piece.release();
                return;
            }
            boolean last = piece instanceof LastHttpContent;
            link.channel().writeAndFlush(last ? new DefaultLastHttpContent(piece.content()) : piece)
                    .addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            // The upstream stopped taking the body (it answered early, a 413 say, and
                            // closed): its answer, if one came, is read before the closing ends the call.
                            return;
                        } else if (last) {
                            sent = true;
                        } else {
                            pump();
                        }
                    });
        });
    }

    void upstreamWritable(boolean writable) {
        if (writable && pullPending) {
            pullPending = false;
            pump();
        }
    }

    // --- the answer ------------------------------------------------------------------------------

    void head(HttpResponse r) {
        if (done) {
            return;
        }
        if (r.decoderResult().isFailure()) {
            malformed("the upstream's answer is malformed: " + r.decoderResult().cause());
            return;
        }
        int code = r.status().code();
        if (code < 100 || code > 599 || code == 101) {
            malformed("the upstream answered with status " + code);
            return;
        }
        if (code < 200) {
            interim = true; // 100 Continue, 102 Processing, 103 Early Hints: not relayed, not the answer
            return;
        }
        answered = true;
        cancelDeadline();
        upstreamHead = r;
        // A 408 or 413 refuses a request the upstream did not read to its end, and RFC 9110 §15.5.9 and
        // §15.5.14 let it close the connection after, often without saying so (Helidon does): never reused.
        keepAlive = HttpUtil.isKeepAlive(r) && code != 408 && code != 413;
        link.upstreamIdle(keepAliveTimeoutNanos(r));
        try {
            clientHeaders = out.answer().head(r);
            shape = out.answer().shape(r);
        } catch (RuntimeException e) {
            discardUpstream();
            call.fail(e);
            return;
        }
        switch (shape) {
            case Outbound.Stream s -> headPending = true;
            case Outbound.Whole w -> whole = call.channel().alloc().buffer(Math.min(8192, w.limit()));
            case Outbound.Events e -> {
                events = new SseLines(e.maxEvent());
                headPending = true;
            }
        }
        if (!Outbound.isEventStream(r)) {
            // An event stream may be quiet for as long as it likes; any other body is a reply in progress.
            lastPiece = System.nanoTime();
            deadline = call.loop().schedule(this::stalled, out.deadline().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The answer's length when it declared one and is relayed as it is; -1 otherwise. */
    private static long length(HttpResponse r) {
        return HttpUtil.isTransferEncodingChunked(r) ? -1 : HttpUtil.getContentLength(r, -1L);
    }

    /** RFC 9112 leaves it to {@code Keep-Alive: timeout=N}; the connection is not reused after N - 1 seconds. */
    private static long keepAliveTimeoutNanos(HttpResponse r) {
        String ka = r.headers().get("keep-alive");
        if (ka == null) {
            return 0;
        }
        for (String part : ka.split(",")) {
            String p = part.strip();
            if (p.regionMatches(true, 0, "timeout=", 0, 8)) {
                try {
                    long seconds = Long.parseLong(p.substring(8).strip());
                    return seconds > 1 ? TimeUnit.SECONDS.toNanos(seconds - 1) : TimeUnit.MILLISECONDS.toNanos(500);
                } catch (NumberFormatException ignored) {
                    return 0;
                }
            }
        }
        return 0;
    }

    void content(HttpContent c) {
        if (done) {
            c.release();
            return;
        }
        if (c.decoderResult().isFailure()) {
            c.release();
            malformed("the upstream's answer body is malformed: " + c.decoderResult().cause());
            return;
        }
        boolean last = c instanceof LastHttpContent;
        if (interim) {
            c.release();
            interim = !last;
            return;
        }
        if (!answered) {
            c.release(); // an answer's body after a refusal of it: dropped with the connection
            return;
        }
        lastPiece = System.nanoTime();
        ByteBuf bytes = c.content();
        switch (shape) {
            case Outbound.Stream s -> send(bytes);
            case Outbound.Whole w -> collect(w, bytes);
            case Outbound.Events e -> rewriteEvents(e, bytes, last);
        }
        if (last && !done) {
            upstreamEnded = true;
            finish();
        }
    }

    /** A piece of the client's body: held while the head waits, else sent. */
    private void send(ByteBuf bytes) {
        if (!headPending) {
            call.sendContent(bytes);
        } else if (bytes.isReadable()) {
            if (early == null) {
                early = new java.util.ArrayList<>(2);
            }
            early.add(bytes);
        } else {
            bytes.release();
        }
    }

    /** Sends the head that waited, and what came with it. */
    private void flushHead() {
        if (!headPending) {
            return;
        }
        headPending = false;
        call.sendHead(upstreamHead.status(), clientHeaders, shape instanceof Outbound.Stream ? length(upstreamHead) : -1);
        if (early != null) {
            early.forEach(call::sendContent);
            early = null;
        }
    }

    private void collect(Outbound.Whole w, ByteBuf bytes) {
        if (passing) {
            call.sendContent(bytes);
            return;
        }
        if (whole.readableBytes() + (long) bytes.readableBytes() > w.limit()) {
            if (w.overflowFails()) {
                bytes.release();
                whole.release();
                whole = null;
                malformed("the upstream's answer is larger than " + w.limit() + " bytes");
                return;
            }
            passing = true; // too long to look at: it passes as it is
            call.sendHead(upstreamHead.status(), clientHeaders, length(upstreamHead));
            call.sendContent(whole);
            whole = null;
            call.sendContent(bytes);
            return;
        }
        whole.writeBytes(bytes);
        bytes.release();
    }

    private void rewriteEvents(Outbound.Events e, ByteBuf bytes, boolean last) {
        try {
            for (String event : events.add(bytes, last)) {
                send(Unpooled.wrappedBuffer(e.rewrite().apply(event).getBytes(StandardCharsets.UTF_8)));
            }
        } catch (IOException tooLong) {
            malformed(tooLong.getMessage());
        } catch (java.io.UncheckedIOException unusable) {
            malformed(unusable.getCause().getMessage());
        } finally {
            bytes.release();
        }
    }

    private void finish() {
        cancelDeadline();
        if (shape instanceof Outbound.Whole w && !passing) {
            ByteBuf body = whole;
            whole = null;
            release();
            try {
                w.finish().finish(body, result -> {
                if (call.ended()) {
                    result.release(); // the client went away while the body was looked at
                    return;
                }
                call.run(() -> {
                    call.sendHead(upstreamHead.status(), clientHeaders, result.readableBytes());
                    call.sendContent(result);
                    call.sendEnd();
                });
                });
            } catch (java.io.UncheckedIOException unusable) {
                failed(unusable.getCause(), false); // as if the upstream had sent it broken: a 502
                return;
            } catch (RuntimeException e) {
                out.answer().ended();
                call.fail(e);
                done = true;
                return;
            }
            out.answer().ended();
            done = true;
            return;
        }
        out.answer().ended();
        done = true;
        release();
        flushHead();
        call.sendEnd();
    }

    /** The exchange is over: a cleanly ended answer to a wholly sent request leaves its connection for reuse. */
    private void release() {
        if (link == null) {
            return;
        }
        if (!sent) {
            discardUpstream(); // answered before the whole request went up: the connection's framing is mid-request
            return;
        }
        Link l = link;
        link = null;
        l.detach(keepAlive && upstreamEnded && !call.isHead());
    }

    void readComplete() {
        if (!done) {
            flushHead();
            call.flush();
            if (link != null && !call.clientWritable()) {
                link.channel().config().setAutoRead(false); // the client catches up first
            }
        }
    }

    void clientWritable(boolean writable) {
        if (link != null && !done) {
            link.channel().config().setAutoRead(writable);
        }
    }

    /** The client went away: the upstream side is dropped with it. */
    void clientGone() {
        if (!done) {
            done = true;
            cancelDeadline();
            discardUpstream();
            releaseBuffers();
            if (answered && clientHeaders != null) {
                out.answer().ended(); // the upstream did not fail: the client left
            }
        }
    }

    void upstreamClosed() {
        link = null;
        if (done) {
            return;
        }
        failed(new IOException("the upstream closed the connection"
                + (answered ? " before its answer ended" : " before answering")), false);
    }

    private void timedOut() {
        if (!done && !answered) {
            discardUpstream();
            failed(new SocketTimeoutException("no answer within " + out.deadline().toMillis() + " ms"), true);
        }
    }

    /**
     * The body's deadline: an answer other than an event stream that sends nothing for the server's
     * deadline has stalled. Time the client takes to read (the upstream is not read meanwhile) does
     * not count.
     */
    private void stalled() {
        deadline = null;
        if (done || link == null) {
            return;
        }
        long limit = out.deadline().toNanos();
        long now = System.nanoTime();
        if (!link.channel().config().isAutoRead()) {
            lastPiece = now; // held back for the client, not silent
        }
        long quiet = now - lastPiece;
        if (quiet < limit) {
            deadline = call.loop().schedule(this::stalled, limit - quiet, TimeUnit.NANOSECONDS);
            return;
        }
        discardUpstream();
        failed(new SocketTimeoutException("the answer's body stalled: nothing for " + out.deadline().toMillis()
                + " ms"), true);
    }

    private void malformed(String why) {
        discardUpstream();
        failed(new IOException(why), false);
    }

    /** A failure: answered in the documented shape if the client's answer has not started, else the client's connection ends. */
    private void failed(IOException cause, boolean timedOut) {
        if (done) {
            return;
        }
        done = true;
        cancelDeadline();
        discardUpstream();
        releaseBuffers();
        ApiError error;
        try {
            error = out.answer().failed(cause, timedOut);
        } catch (RuntimeException e) {
            error = ApiError.of(ErrorCode.BAD_GATEWAY, "upstream_failed", "The upstream failed");
        }
        call.refuse(error); // after the head started: the connection is closed instead
    }

    private void discardUpstream() {
        if (link != null) {
            Link l = link;
            link = null;
            l.detach(false);
        }
    }

    private void releaseBuffers() {
        if (whole != null) {
            whole.release();
            whole = null;
        }
        if (events != null) {
            events.release();
        }
        if (early != null) {
            early.forEach(ByteBuf::release);
            early = null;
        }
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
