package io.gatehouse.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
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
        String incoming = req.headers().first(X_REQUEST_ID).orElse("");
        String id = SANE_ID.matcher(incoming).matches() ? incoming : "req_" + io.gatehouse.store.Ids.label(16);
        String address = req.remotePeer().host();
        if (trustForwardedFor) {
            address = req.headers().first(HeaderNames.X_FORWARDED_FOR)
                    .map(v -> v.split(",")[0].strip())
                    .filter(v -> !v.isEmpty() && v.length() <= 64)
                    .orElse(address);
        }
        RequestInfo info = new RequestInfo(id, address);
        req.context().register(RequestInfo.class, info);
        return info;
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
