package io.gatehouse.edge;

import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.http.RequestInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection: its requests, one at a time. Between requests the connection waits for a
 * head (an idle limit, shorter before its first request); once a head's first byte arrives it must
 * complete within the head deadline, and a body, once read, within the body deadline; either
 * overrun is a 408 and the end of the connection. Nothing is read from the socket until it is wanted (the pipeline's
 * {@code FlowControlHandler} hands over one decoded message per read), so a request whose
 * credential is still being decided holds no more than one socket read of its body.
 *
 * <p>When a call's answer ends before its body was read (a refusal, say), the rest of the body is
 * read and dropped, up to {@code http.max-body-bytes}, and the connection serves its next request.
 */
final class EdgeConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(EdgeConnection.class.getName());

    private enum Wait { IDLE, HEAD, BODY }

    private final Edge edge;
    private ChannelHandlerContext ctx;
    private Channel channel;
    private Call call;
    private boolean bodyEnded = true;
    private boolean discarding;
    private long discarded;
    private boolean headStarted;
    /** A read for the next head is owed once the client takes its answers (it was not writable). */
    private boolean readOwed;
    private ScheduledFuture<?> timer;
    private Wait waiting;
    /** The client shut its sending side: once the requests it sent are answered, the connection ends. */
    private boolean inputShut;
    private boolean firstByteSeen;
    /** A read was asked for and no message has answered it yet; see {@link #read()}. */
    private boolean readWanted;
    /** The client's address as a PROXY protocol header named it; null without one. */
    private String proxiedClient;

    EdgeConnection(Edge edge) {
        this.edge = edge;
    }

    Channel channel() {
        return channel;
    }


    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.channel = ctx.channel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        awaitHead();
    }

    private void awaitHead() {
        call = null;
        headStarted = false;
        // A connection that has sent nothing yet is not kept as long as one between its requests: a
        // client connects to send, and a host that opens connections and stays silent holds slots.
        arm(Wait.IDLE, firstByteSeen ? edge.limits().idleTimeoutMillis() : edge.limits().firstRequestTimeoutMillis());
        if (channel.isWritable()) {
            read(); // a request already read and queued arrives here and now
            if (inputShut && call == null && !headStarted) {
                closeAfterWrites(); // none was queued, and no other will come
            }
        } else {
            readOwed = true; // the answers sent so far must leave first
        }
    }

    /**
     * Bytes arrived, before they are decoded: the first of a head starts its deadline, and one that
     * cannot begin an HTTP request (a TLS ClientHello on the plain port, say) is refused at once.
     *
     * @return false when the bytes must not be decoded (the connection is being refused)
     */
    boolean bytesArrived(ByteBuf in) {
        if (call != null || headStarted || discarding) {
            return true;
        }
        for (int i = in.readerIndex(); i < in.writerIndex(); i++) {
            byte b = in.getByte(i);
            if (b == '\r' || b == '\n') {
                continue; // RFC 9112 §2.2: empty lines before a request are ignored
            }
            // Only a connection's first bytes are judged here: later ones may continue a pipelined head.
            if (!firstByteSeen && !isTokenChar(b)) {
                refuseConnection(ApiError.of(ErrorCode.INVALID_REQUEST, "not_http",
                        "This port speaks HTTP/1.1" + (b == 0x16 ? " without TLS" : "")), null);
                return false;
            }
            firstByteSeen = true;
            headStarted = true;
            arm(Wait.HEAD, edge.limits().headTimeoutMillis());
            return true;
        }
        return true;
    }

    /** RFC 9110 §5.6.2: a method is a token. */
    private static boolean isTokenChar(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readWanted = false;
        if (msg instanceof HttpRequest request) {
            cancelTimer();
            headStarted = false;
            bodyEnded = false;
            if (request.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                malformed(request.decoderResult().cause());
                return;
            }
            // RFC 9112 §6.1, §6.3: a body framed two ways (or chunked in HTTP/1.0) is how requests are smuggled.
            if (request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)
                    && (request.protocolVersion() == HttpVersion.HTTP_1_0
                    || request.headers().contains(HttpHeaderNames.CONTENT_LENGTH))) {
                ReferenceCountUtil.release(msg);
                malformed(new IllegalArgumentException("ambiguous framing"));
                return;
            }
            // RFC 9112 §2.3: the version is case-sensitive; Netty's parser lets "http/1.1" and "HTTP/9.9" through.
            if (request.protocolVersion() != HttpVersion.HTTP_1_1 && request.protocolVersion() != HttpVersion.HTTP_1_0) {
                ReferenceCountUtil.release(msg);
                malformed(new IllegalArgumentException("unsupported version"));
                return;
            }
            start(request);
            if (!(msg instanceof HttpContent)) {
                return;
            }
        }
        if (msg instanceof HttpContent piece) {
            boolean last = piece instanceof LastHttpContent;
            if (last) {
                bodyEnded = true;
                if (waiting == Wait.BODY) {
                    cancelTimer();
                }
            }
            if (call != null && !call.ended()) {
                call.bodyPiece(piece);
            } else {
                discard(piece, last);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void start(HttpRequest request) {
        String uri = request.uri();
        String clientAddress = clientAddress(request);
        String requestId = RequestInfo.requestId(Optional.ofNullable(request.headers().get(Edge.X_REQUEST_ID)).orElse(""));
        String target = originForm(uri);
        int q = target == null ? -1 : target.indexOf('?');
        String rawPath = target == null ? "" : q < 0 ? target : target.substring(0, q);
        String rawQuery = q < 0 ? "" : target.substring(q + 1);
        String path;
        try {
            path = target == null ? null : new QueryStringDecoder(rawPath, true).path();
        } catch (IllegalArgumentException badEscape) {
            path = null;
        }
        call = new Call(this, edge, request, requestId, clientAddress, rawPath, rawQuery, path == null ? rawPath : path);
        edge.callStarted();
        Call c = call;
        if (path == null || target.indexOf('#') >= 0 || !isAscii(target) || hasControl(path)
                || hasControl(QueryStringDecoder.decodeComponent(rawQuery))) {
            c.refuse(ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_path",
                    "The path or query is malformed or contains control characters"));
            return;
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.strip())) {
            c.refuse(ApiError.of(ErrorCode.EXPECTATION_FAILED, "unsupported_expectation",
                    "Only 'Expect: 100-continue' is supported"));
            return;
        }
        c.run(() -> edge.route(c));
    }

    /** The origin form of the request target ({@code /path?query}); null when it has none. */
    private static String originForm(String uri) {
        if (uri.startsWith("/")) {
            return uri;
        }
        int scheme = uri.indexOf("://");
        if (scheme > 0 && (uri.regionMatches(true, 0, "http", 0, scheme))) {
            int slash = uri.indexOf('/', scheme + 3);
            return slash < 0 ? "/" : uri.substring(slash);
        }
        return null;
    }

    /**
     * RFC 9112 §3.2 and RFC 3986 §2: a request target is ASCII, anything else percent-encoded. Raw
     * bytes past it would reach the control plane's parser as a malformed line, or an upstream as
     * whatever its parser makes of them.
     */
    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** The client a PROXY header named; false when it may open no more connections (this one is then closed). */
    boolean proxiedClient(String address) {
        this.proxiedClient = address;
        return edge.countFrom(channel, address);
    }

    private String clientAddress(HttpRequest request) {
        String peer = proxiedClient != null ? proxiedClient
                : channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "-";
        return RequestInfo.clientAddress(peer, edge.limits().trustForwardedFor()
                ? Optional.ofNullable(request.headers().get("x-forwarded-for")) : Optional.empty());
    }

    /** The decoder could not make a request of the bytes: 400, 414 or 431, then the connection ends. */
    private void malformed(Throwable cause) {
        ApiError error;
        if (cause instanceof TooLongHttpLineException) {
            error = ApiError.of(ErrorCode.URI_TOO_LONG, "http_414", "The request line is too long");
        } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            error = ApiError.of(ErrorCode.HEADERS_TOO_LARGE, "http_431", "The request headers are too large");
        } else {
            error = ApiError.of(ErrorCode.INVALID_REQUEST, "http_400", "The HTTP request is malformed");
        }
        refuseConnection(error, cause);
    }

    /** Answers {@code error} outside any call and closes the connection. */
    private void refuseConnection(ApiError error, Throwable cause) {
        cancelTimer();
        LOG.log(Level.FINE, "refused a connection's request: " + error.reason().orElse("-")
                + (cause == null ? "" : " (" + cause.getClass().getSimpleName() + ")"));
        String requestId = RequestInfo.requestId("");
        FullHttpResponse response = edge.renderer().error(error, "", requestId);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE).set(Edge.X_REQUEST_ID, requestId);
        edge.logRefused(channel, requestId, error.code().status());
        call = null;
        discarding = true; // nothing more is read
        channel.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** The call's answer was written whole (or abandoned, with {@code close}). */
    void callDone(Call done, boolean close) {
        edge.log(done);
        // RFC 9112 §9.6: nothing after a request that closes the connection is processed.
        if (close || !channel.isActive() || !HttpUtil.isKeepAlive(done.request())) {
            closeAfterWrites();
            return;
        }
        if (!bodyEnded) {
            discarding = true;
            discarded = 0;
            if (waiting != Wait.BODY) {
                arm(Wait.BODY, edge.limits().bodyTimeoutMillis());
            }
            read();
            return;
        }
        awaitHead();
    }

    private void discard(HttpContent piece, boolean last) {
        discarded += piece.content().readableBytes();
        piece.release();
        if (last) {
            discarding = false;
            awaitHead();
        } else if (discarded > edge.limits().maxBodyBytes()) {
            closeAfterWrites();
        } else {
            read();
        }
    }

    private void closeAfterWrites() {
        discarding = true;
        cancelTimer();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Asks for the next message: a request's head, or the next piece of the body being read.
     *
     * <p>Netty's {@code FlowControlHandler} forgets a read asked for while it delivers a message once
     * the read completes (4.2.15 and later). The wish is kept here and asked again then, so a body
     * requested from inside the head's {@code channelRead} still arrives.
     */
    void read() {
        readWanted = true;
        ctx.read();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readWanted && channel.isActive()) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    void bodyStarted() {
        arm(Wait.BODY, edge.limits().bodyTimeoutMillis());
    }

    void bodyEnded() {
        if (waiting == Wait.BODY) {
            cancelTimer();
        }
    }

    private void arm(Wait what, long millis) {
        cancelTimer();
        waiting = what;
        timer = channel.eventLoop().schedule(() -> expired(what), millis, TimeUnit.MILLISECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        waiting = null;
    }

    private void expired(Wait what) {
        if (waiting != what) {
            return;
        }
        timer = null;
        waiting = null;
        switch (what) {
            case IDLE -> channel.close();
            case HEAD -> refuseConnection(timeout("head"), null);
            case BODY -> {
                if (call != null && !call.ended()) {
                    call.timedOut(timeout("body"));
                } else {
                    channel.close();
                }
            }
        }
    }

    private static ApiError timeout(String part) {
        return ApiError.of(ErrorCode.REQUEST_TIMEOUT, "request_timeout", "The request's " + part + " did not arrive in time");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
            inputShut = true;
            if (call == null && !discarding && waiting == Wait.IDLE) {
                awaitHead(); // answers what was queued, then ends
            } else if (headStarted && call == null) {
                closeAfterWrites(); // a head that will never complete
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = channel.isWritable();
        if (call != null && !call.ended()) {
            call.clientWritabilityChanged(writable);
        } else if (writable && readOwed) {
            readOwed = false;
            read();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        if (call != null && !call.ended()) {
            Call gone = call;
            gone.clientGone();
            edge.log(gone);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, "client connection failed: " + cause);
        ctx.close();
    }
}
