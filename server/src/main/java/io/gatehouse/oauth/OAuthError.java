package io.gatehouse.oauth;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An OAuth error (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8707 §2): answered as
 * {@code {"error", "error_description"}} on the token, registration, revocation and introspection
 * endpoints, or as query parameters of a redirect from the authorization endpoint.
 */
public final class OAuthError extends RuntimeException {
    private final String error;
    private final int status;
    /** With a 429: when to try again, in seconds ({@code Retry-After}); 0 otherwise. */
    private final long retryAfterSeconds;

    public OAuthError(int status, String error, String description) {
        this(status, error, description, 0);
    }

    private OAuthError(int status, String error, String description, long retryAfterSeconds) {
        super(description, null, false, false);
        this.status = status;
        this.error = error;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /**
     * 429 {@code slow_down}: one of this server's limits was reached. RFC 6749 names no error for it;
     * this is RFC 8628's, which registration answers too. The answer says when to try again.
     */
    public static OAuthError slowDown(String description, long retryAfterSeconds) {
        return new OAuthError(429, "slow_down", description, retryAfterSeconds);
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public static OAuthError invalidRequest(String description) {
        return new OAuthError(400, "invalid_request", description);
    }

    public static OAuthError invalidClient(String description) {
        return new OAuthError(401, "invalid_client", description);
    }

    public static OAuthError invalidGrant(String description) {
        return new OAuthError(400, "invalid_grant", description);
    }

    public static OAuthError invalidScope(String description) {
        return new OAuthError(400, "invalid_scope", description);
    }

    public static OAuthError invalidTarget(String description) {
        return new OAuthError(400, "invalid_target", description);
    }

    public String error() {
        return error;
    }

    public int status() {
        return status;
    }

    public String description() {
        return getMessage();
    }

    public Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_description", getMessage());
        return body;
    }
}
