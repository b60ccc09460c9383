package io.gatehouse.gateway;

import io.gatehouse.http.ApiError;
import io.gatehouse.http.Cors;
import io.gatehouse.http.PublicUrl;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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

    /** Refuses a foreign browser origin; for an allowed one, adds the CORS answer headers. */
    void check(ServerRequest req, ServerResponse res) {
        Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
        if (origin.isEmpty()) {
            return;
        }
        if (!allowed(origin.get())) {
            throw ApiError.forbidden("origin_not_allowed", "Requests from this Origin are not allowed");
        }
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin.get());
        res.header(HeaderNames.VARY, "Origin");
        res.header(HeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, Cors.EXPOSE_HEADERS);
    }

    /** A CORS preflight (Fetch § CORS protocol): no credential needed, nothing forwarded. */
    void preflight(ServerRequest req, ServerResponse res, String methods) {
        check(req, res);
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, methods);
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, Cors.ALLOW_HEADERS);
        res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
        res.header(HeaderNames.ALLOW, methods);
        res.status(Status.NO_CONTENT_204).send();
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
