package io.gatehouse.gateway;

import io.gatehouse.edge.Call;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Cors;
import io.gatehouse.http.PublicUrl;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code Origin} validation and CORS for the data plane. MCP 2025-11-25, Transports § Security
 * Warning: servers MUST validate the Origin header on all incoming connections to prevent DNS
 * rebinding attacks, and answer an invalid one with 403. A request without {@code Origin} is not
 * from a browser and passes; a browser's is allowed when it is this server's own origin, a loopback
 * origin (local tools such as the MCP Inspector), or one configured in {@code gateway.allowed-origins}.
 */
final class Origins {
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]");

    private final PublicUrl publicUrl;
    private final List<String> configured;

    Origins(PublicUrl publicUrl, List<String> configured) {
        this.publicUrl = publicUrl;
        this.configured = configured.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
    }

    /** Refuses a foreign browser origin; for an allowed one, every answer to the call carries the CORS fields. */
    void check(Call call) {
        String origin = call.headers().get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return;
        }
        if (!allowed(origin)) {
            throw ApiError.forbidden("origin_not_allowed", "Requests from this Origin are not allowed");
        }
        call.answerHeaders()
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                .set(HttpHeaderNames.VARY, "Origin")
                .set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, Cors.EXPOSE_HEADERS);
    }

    /** A CORS preflight (Fetch § CORS protocol): no credential needed, nothing forwarded. */
    void preflight(Call call, String methods) {
        check(call);
        call.answerHeaders()
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, methods)
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, Cors.ALLOW_HEADERS)
                .set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600")
                .set(HttpHeaderNames.ALLOW, methods);
        call.respondEmpty(HttpResponseStatus.NO_CONTENT);
    }

    boolean allowed(String origin) {
        String o = origin.toLowerCase(Locale.ROOT);
        if (configured.contains(o) || o.equals(own())) {
            return true;
        }
        try {
            URI uri = new URI(o);
            String host = uri.getHost();
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && host != null
                    && LOOPBACK.contains(host) && (uri.getRawPath() == null || uri.getRawPath().isEmpty());
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    private String own() {
        URI u = publicUrl.get();
        return (u.getScheme() + "://" + u.getRawAuthority()).toLowerCase(Locale.ROOT);
    }
}
