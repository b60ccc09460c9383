package io.gatehouse.edge;

import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.http.RequestInfo;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Every request the data plane does not serve (the management API, discovery documents, ops) goes,
 * one request at a time, to the control plane: Helidon on a loopback port, through the same
 * {@link Upstreams} client as any upstream. The edge names the client's address and the request id
 * in fields only it may set (the client's own are dropped), and proves each request is its own with
 * this process's secret, which the control plane requires ({@link RequestInfo#EDGE_SECRET}).
 */
public final class ControlPlane {
    /** RFC 9110 §7.6.1 hop-by-hop fields, and the edge's own, which no client may send. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "expect", "http2-settings",
            RequestInfo.EDGE_SECRET.toLowerCase(), RequestInfo.EDGE_CLIENT.toLowerCase(),
            RequestInfo.EDGE_CREDENTIAL.toLowerCase());
    private static final Set<String> NOT_RETURNED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", RequestInfo.EDGE_CREDENTIAL.toLowerCase());
    /** Long enough for any management call; a control plane that takes longer is stuck. */
    private static final Duration DEADLINE = Duration.ofMinutes(2);

    private final Upstreams.Target target;
    private final String secret;

    ControlPlane(int port, String secret) {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        this.target = new Upstreams.Target("control-plane", "127.0.0.1", port, address, a -> true, null,
                Duration.ofSeconds(5), "127.0.0.1:" + port);
        this.secret = secret;
    }

    /** RFC 9110 §7.6.1: the fields a message's {@code Connection} names are for this hop only (lower-case). */
    public static java.util.Set<String> connectionOptions(HttpHeaders headers) {
        if (!headers.contains(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION)) {
            return java.util.Set.of();
        }
        java.util.Set<String> named = new java.util.HashSet<>(4);
        for (String value : headers.getAll(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String t = token.strip().toLowerCase(java.util.Locale.ROOT);
                if (!t.isEmpty()) {
                    named.add(t);
                }
            }
        }
        return named;
    }

    void forward(Call call, long maxBodyBytes) {
        call.refuseIfDeclaredOver(maxBodyBytes); // before a byte of it is read or sent on
        HttpHeaders headers = new DefaultHttpHeaders();
        java.util.Set<String> options = connectionOptions(call.headers());
        for (Map.Entry<String, String> field : call.headers()) {
            String lower = field.getKey().toLowerCase(java.util.Locale.ROOT);
            if (!NOT_FORWARDED.contains(lower) && !options.contains(lower)) {
                headers.add(field.getKey(), field.getValue());
            }
        }
        headers.set(RequestInfo.EDGE_SECRET, secret)
                .set(RequestInfo.EDGE_CLIENT, call.clientAddress())
                .set(Edge.X_REQUEST_ID, call.requestId());
        String host = call.headers().get("host");
        Upstreams.Target t = host == null ? target : new Upstreams.Target(target.key(), target.host(), target.port(),
                target.literal(), target.allowed(), null, target.connectTimeout(), host);
        call.proxy(new Outbound(t, call.method(), call.rawPath() + (call.rawQuery().isEmpty() ? "" : "?" + call.rawQuery()), headers, null, DEADLINE,
                new Outbound.Answer() {
                    @Override
                    public HttpHeaders head(HttpResponse answer) {
                        String credential = answer.headers().get(RequestInfo.EDGE_CREDENTIAL);
                        if (credential != null) {
                            call.credential(credential);
                        }
                        HttpHeaders out = new DefaultHttpHeaders();
                        for (Map.Entry<String, String> field : answer.headers()) {
                            if (!NOT_RETURNED.contains(field.getKey().toLowerCase())) {
                                out.add(field.getKey(), field.getValue());
                            }
                        }
                        return out;
                    }

                    @Override
                    public ApiError failed(IOException cause, boolean timedOut) {
                        return ApiError.of(ErrorCode.UNAVAILABLE, "control_plane_unavailable",
                                "Gatehouse could not serve this request; try again").withDetail(cause.toString());
                    }
                }));
    }
}
