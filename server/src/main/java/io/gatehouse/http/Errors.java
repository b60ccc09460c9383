package io.gatehouse.http;

import io.gatehouse.errors.ApiError;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Renders every error outside the OAuth endpoints in one shape:
 * {@code {"success": false, "error": {"code", "reason", "message", "request_id"}}}, never cached, with
 * the RFC 6750 §3 challenge on 401 and 403. Only the public message is sent; the private detail
 * goes to the DEBUG log; an unexpected exception is logged once at ERROR and answered as a bare 500.
 */
public final class Errors {
    private static final Logger LOG = Logger.getLogger(Errors.class.getName());
    private final PublicUrl publicUrl;

    public Errors(PublicUrl publicUrl) {
        this.publicUrl = publicUrl;
    }

    public void send(ServerRequest req, ServerResponse res, ApiError error) {
        RequestInfo info = RequestInfo.of(req);
        if (LOG.isLoggable(Level.FINE)) {
            LOG.fine(info.requestId() + " " + error.code().status() + " " + error.code().code() + "/"
                    + error.reason().orElse("-") + " " + error.detail().orElse(error.publicMessage()));
        }
        if (res.isSent()) {
            return;
        }
        challenge(error, req.path().path(), publicUrl).ifPresent(c -> res.header(HeaderNames.WWW_AUTHENTICATE, c));
        if (req.prologue().method() == io.helidon.http.Method.HEAD) {
            // RFC 9110 §9.3.2: a HEAD answer has no body; one sent anyway is read as the next answer.
            res.status(Status.create(error.code().status())).header(HeaderNames.CACHE_CONTROL, "no-store").send();
            return;
        }
        Json.send(res, Status.create(error.code().status()), body(error, info.requestId()));
    }

    /** Anything that is not an {@link ApiError}: a bug or an outage. The client learns only the request id. */
    public void unexpected(ServerRequest req, ServerResponse res, Throwable t) {
        RequestInfo info = RequestInfo.of(req);
        LOG.log(Level.SEVERE, info.requestId() + " " + req.prologue().method().text() + " "
                + RequestInfo.loggable(req.path().path()) + " failed", t);
        if (res.isSent()) {
            return; // a streamed answer already started: the connection is closed rather than corrupted
        }
        if (req.prologue().method() == io.helidon.http.Method.HEAD) {
            res.status(Status.INTERNAL_SERVER_ERROR_500).send();
            return;
        }
        Json.send(res, Status.INTERNAL_SERVER_ERROR_500, body(ApiError.internal(null), info.requestId()));
    }

    public static Map<String, Object> body(ApiError error, String requestId) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("code", error.code().code());
        error.reason().ifPresent(r -> inner.put("reason", r));
        inner.put("message", error.publicMessage());
        error.scope().ifPresent(s -> inner.put("scope", s));
        new java.util.TreeMap<>(error.data()).forEach(inner::putIfAbsent);
        inner.put("request_id", requestId);
        Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("success", false);
        outer.put("error", inner);
        return outer;
    }

    /**
     * RFC 6750 §3 and RFC 9728 §5.1: how to get a credential that would work. An MCP endpoint is a
     * resource of its own, so its metadata is at the well-known URI followed by its path (RFC 9728 §3.1).
     */
    public static java.util.Optional<String> challenge(ApiError error, String path, PublicUrl publicUrl) {
        String resourcePath = path.equals("/mcp") || path.startsWith("/mcp/") ? path : "";
        String metadata = "resource_metadata=\"" + publicUrl + "/.well-known/oauth-protected-resource"
                + resourcePath + "\"";
        // MCP 2026-07-28: a 401 says which scope to ask for (never offline_access).
        String scope = !resourcePath.isEmpty() ? ", scope=\"mcp:use\""
                : path.startsWith("/api/") ? ", scope=\"api:read api:write\"" : "";
        return switch (error.code()) {
            case UNAUTHORIZED -> java.util.Optional.of(error.credentialSent()
                    ? "Bearer error=\"invalid_token\", error_description=\"" + quoted(error.publicMessage()) + "\", "
                    + metadata + scope
                    : "Bearer " + metadata + scope);
            case INSUFFICIENT_SCOPE -> java.util.Optional.of("Bearer error=\"insufficient_scope\", scope=\""
                    + quoted(error.scope().orElse("")) + "\", " + metadata);
            // A server or workspace the credential does not reach: another credential would, so a
            // client that can ask for one (MCP's step-up authorization) is told where to start.
            case FORBIDDEN -> error.reason().filter("out_of_scope"::equals).map(r -> "Bearer error=\"insufficient_scope\", "
                    + "error_description=\"" + quoted(error.publicMessage()) + "\", " + metadata);
            default -> java.util.Optional.empty();
        };
    }

    private static String quoted(String s) {
        return s.replace("\\", "\\\\").replace("\"", "'");
    }
}
