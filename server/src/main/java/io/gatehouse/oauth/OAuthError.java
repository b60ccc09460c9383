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

    public OAuthError(int status, String error, String description) {
        super(description, null, false, false);
        this.status = status;
        this.error = error;
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
