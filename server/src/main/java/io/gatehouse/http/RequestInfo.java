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
    /** Proves that a request to the control plane came from this process's edge; see {@link #fromEdge}. */
    public static final String EDGE_SECRET = "X-Gatehouse-Edge";
    /** The client's address, as the edge saw it; set by the edge alone. */
    public static final String EDGE_CLIENT = "X-Gatehouse-Client";
    /** The credential the control plane admitted, told back to the edge for its access log. */
    public static final String EDGE_CREDENTIAL = "X-Gatehouse-Credential";
    /** A request id Gatehouse takes as it is, and may write into a JSON body unescaped. */
    static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final String requestId;
    private final String clientAddress;
    private volatile String credentialId = "-";

    private final io.helidon.webserver.http.ServerResponse response;

    private RequestInfo(String requestId, String clientAddress, io.helidon.webserver.http.ServerResponse response) {
        this.requestId = requestId;
        this.clientAddress = clientAddress;
        this.response = response;
    }

    /** The request's info, as the edge named it (only the edge reaches the control plane). */
    static RequestInfo create(ServerRequest req, io.helidon.webserver.http.ServerResponse res) {
        RequestInfo info = new RequestInfo(requestId(req.headers().first(X_REQUEST_ID).orElse("")),
                req.headers().first(HeaderNames.create(EDGE_CLIENT)).orElseGet(() -> req.remotePeer().host()), res);
        req.context().register(RequestInfo.class, info);
        return info;
    }

    /** The caller's {@code X-Request-Id} when it is sane, else a new one. */
    public static String requestId(String incoming) {
        return SANE_ID.matcher(incoming).matches() ? incoming : "req_" + io.gatehouse.store.Ids.label(16);
    }

    /**
     * The peer's address, or, when {@code X-Forwarded-For} is trusted, its last entry: the one the
     * operator's proxy appended. Entries before it are whatever the client wrote (a client behind the
     * proxy could otherwise be anyone to the per-address limits).
     */
    public static String clientAddress(String peer, Optional<String> forwardedFor) {
        return forwardedFor.map(v -> v.substring(v.lastIndexOf(',') + 1).strip())
                .filter(v -> !v.isEmpty() && v.length() <= 64).orElse(peer);
    }

    /** The request's info; every request has one, set by the first filter. */
    public static RequestInfo of(ServerRequest req) {
        return req.context().get(RequestInfo.class, RequestInfo.class)
                .orElseGet(() -> new RequestInfo("req_unknown", req.remotePeer().host(), null));
    }

    public String requestId() {
        return requestId;
    }

    public String clientAddress() {
        return clientAddress;
    }

    /**
     * {@code address} as attempts from it are counted: an IPv4 address as it is, an IPv6 address by
     * its /64 (the least a site is given; counting each of its 2^64 addresses apart would count
     * nothing). What is not an address literal is counted as it came.
     */
    public static String counted(String address) {
        byte[] b = io.netty.util.NetUtil.createByteArrayFromIpAddressString(address); // literals only: never a lookup
        if (b == null) {
            return address;
        }
        if (b.length == 16) {
            boolean mapped = true; // ::ffff:a.b.c.d is the IPv4 address a.b.c.d
            for (int i = 0; i < 12; i++) {
                mapped &= b[i] == (i < 10 ? 0 : (byte) 0xff);
            }
            if (!mapped) {
                return String.format("%x:%x:%x:%x::/64", ((b[0] & 0xff) << 8) | (b[1] & 0xff),
                        ((b[2] & 0xff) << 8) | (b[3] & 0xff), ((b[4] & 0xff) << 8) | (b[5] & 0xff),
                        ((b[6] & 0xff) << 8) | (b[7] & 0xff));
            }
            return (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
        }
        return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }

    String credentialId() {
        return credentialId;
    }

    /** The credential the door admitted: told to the edge, for its access log. */
    public void credentialId(String id) {
        this.credentialId = id;
        if (response != null && !response.isSent()) {
            response.header(HeaderNames.create(EDGE_CREDENTIAL), id);
        }
    }

    private static final java.util.regex.Pattern CONTROL = java.util.regex.Pattern.compile("\\p{Cntrl}");

    /**
     * The path as logged: a segment longer than any id (a key pasted into a URL by mistake) is
     * replaced, and control characters are escaped.
     */
    public static String loggable(String path) {
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            segments[i] = segments[i].length() > 30 ? "[redacted]" : CONTROL.matcher(segments[i]).replaceAll("?");
        }
        return String.join("/", segments);
    }
}
