package io.gatehouse.errors;

import java.util.Map;
import java.util.Optional;

/**
 * The one error type. Carries the code, a machine-readable reason, a public message that may be
 * shown to the caller, and a private detail that is only logged. Built without a stack trace: these
 * are answers, not bugs, and the door throws them on its hot path.
 */
public final class ApiError extends RuntimeException {
    private final ErrorCode code;
    private final String reason;
    private final String publicMessage;
    private final String detail;
    private final String scope;
    private final boolean credentialSent;
    private final Map<String, Object> data;

    private ApiError(ErrorCode code, String reason, String publicMessage, String detail, String scope,
                     boolean credentialSent) {
        this(code, reason, publicMessage, detail, scope, credentialSent, Map.of());
    }

    private ApiError(ErrorCode code, String reason, String publicMessage, String detail, String scope,
                     boolean credentialSent, Map<String, Object> data) {
        super(code.code() + (reason == null ? "" : "/" + reason) + ": " + publicMessage, null, false, false);
        this.code = code;
        this.reason = reason;
        this.publicMessage = publicMessage;
        this.detail = detail;
        this.scope = scope;
        this.credentialSent = credentialSent;
        this.data = data;
    }

    public static ApiError of(ErrorCode code, String reason, String publicMessage) {
        return new ApiError(code, reason, publicMessage, null, null, false);
    }

    public static ApiError invalid(String message) {
        return of(ErrorCode.INVALID_REQUEST, "invalid_field", message);
    }

    public static ApiError notFound(String what) {
        return of(ErrorCode.NOT_FOUND, "not_found", what + " not found");
    }

    public static ApiError forbidden(String reason, String message) {
        return of(ErrorCode.FORBIDDEN, reason, message);
    }

    /** A 401 from the door; {@code credentialSent} adds {@code error="invalid_token"} to the challenge. */
    public static ApiError unauthorized(String reason, String message, boolean credentialSent) {
        return new ApiError(ErrorCode.UNAUTHORIZED, reason, message, null, null, credentialSent);
    }

    /** A 403 naming the scope that would let the call through. */
    public static ApiError insufficientScope(String scope, String message) {
        return new ApiError(ErrorCode.INSUFFICIENT_SCOPE, "missing_permission", message, null, scope, true);
    }

    public static ApiError internal(String detail) {
        return new ApiError(ErrorCode.INTERNAL, null, "Internal error", detail, null, false);
    }

    public ApiError withDetail(String privateDetail) {
        return new ApiError(code, reason, publicMessage, privateDetail, scope, credentialSent, data);
    }

    /** The same error with facts the client may act on (a balance, a retry delay), sent beside its message. */
    public ApiError withData(Map<String, Object> publicData) {
        return new ApiError(code, reason, publicMessage, detail, scope, credentialSent, Map.copyOf(publicData));
    }

    /** Public facts sent in the error object beside {@code message}; empty for most errors. */
    public Map<String, Object> data() {
        return data;
    }

    public ErrorCode code() {
        return code;
    }

    public Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    public String publicMessage() {
        return publicMessage;
    }

    public Optional<String> detail() {
        return Optional.ofNullable(detail);
    }

    public Optional<String> scope() {
        return Optional.ofNullable(scope);
    }

    public boolean credentialSent() {
        return credentialSent;
    }
}
