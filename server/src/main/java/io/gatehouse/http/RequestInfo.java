package io.gatehouse.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Per-request facts the boundary sets once: the request id (the caller's {@code X-Request-Id} when it
 * is sane, else a new one), the client address, and the credential the door admitted, for the
 * access log.
 */
public final class RequestInfo {
    static final io.helidon.http.HeaderName X_REQUEST_ID = io.helidon.http.HeaderNames.create("X-Request-Id");
    private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final String requestId;
    private final String clientAddress;
    private final long startNanos = System.nanoTime();
    private volatile String credentialId = "-";

    private RequestInfo(String requestId, String clientAddress) {
        this.requestId = requestId;
        this.clientAddress = clientAddress;
    }

    static RequestInfo create(ServerRequest req, boolean trustForwardedFor) {
        // Behind the front (see Front), the connection is the front's; the PROXY protocol line it
        // sent first names the client's.
        String peer = req.proxyProtocolData().map(io.helidon.webserver.ProxyProtocolData::sourceAddress)
                .orElseGet(() -> req.remotePeer().host());
        RequestInfo info = new RequestInfo(requestId(req.headers().first(X_REQUEST_ID).orElse("")),
                clientAddress(peer, trustForwardedFor ? req.headers().first(HeaderNames.X_FORWARDED_FOR) : Optional.empty()));
        req.context().register(RequestInfo.class, info);
        return info;
    }

    /** The caller's {@code X-Request-Id} when it is sane, else a new one. */
    public static String requestId(String incoming) {
        return SANE_ID.matcher(incoming).matches() ? incoming : "req_" + io.gatehouse.store.Ids.label(16);
    }

    /** The peer's address, or the first of {@code X-Forwarded-For} when that is trusted and sane. */
    public static String clientAddress(String peer, Optional<String> forwardedFor) {
        return forwardedFor.map(v -> v.split(",")[0].strip()).filter(v -> !v.isEmpty() && v.length() <= 64).orElse(peer);
    }

    /** The request's info; every request has one, set by the first filter. */
    public static RequestInfo of(ServerRequest req) {
        return req.context().get(RequestInfo.class, RequestInfo.class)
                .orElseGet(() -> new RequestInfo("req_unknown", req.remotePeer().host()));
    }

    public String requestId() {
        return requestId;
    }

    public String clientAddress() {
        return clientAddress;
    }

    long elapsedMicros() {
        return (System.nanoTime() - startNanos) / 1000;
    }

    String credentialId() {
        return credentialId;
    }

    public void credentialId(String id) {
        this.credentialId = id;
    }
}
