package io.gatehouse.errors;

/**
 * Every error Gatehouse answers with outside the OAuth endpoints: the {@code error.code} string, the
 * HTTP status, and where the rule comes from. See docs/errors.md.
 */
public enum ErrorCode {
    /** No credential, or one that is malformed, unknown, revoked or expired. RFC 6750 §3.1 invalid_token. */
    UNAUTHORIZED("unauthorized", 401),
    /** A valid credential that may not do this: plan, membership, scope. RFC 6750 §3.1. */
    FORBIDDEN("forbidden", 403),
    /** A valid credential missing a permission the call needs. RFC 6750 §3.1 insufficient_scope. */
    INSUFFICIENT_SCOPE("insufficient_scope", 403),
    /** The request is not understood: bad JSON, a wrong type, a missing or unknown field. */
    INVALID_REQUEST("invalid_request", 400),
    /** The organization's credit pool cannot pay for the call (RFC 9110 §15.5.3). */
    PAYMENT_REQUIRED("payment_required", 402),
    NOT_FOUND("not_found", 404),
    METHOD_NOT_ALLOWED("method_not_allowed", 405),
    /** The request's head or body did not arrive within its deadline (RFC 9110 §15.5.9). */
    REQUEST_TIMEOUT("request_timeout", 408),
    CONFLICT("conflict", 409),
    /** The thing existed and is no longer usable: a revoked or expired invitation. */
    GONE("gone", 410),
    PAYLOAD_TOO_LARGE("payload_too_large", 413),
    /** The request line is longer than the edge reads (RFC 9110 §15.5.15). */
    URI_TOO_LONG("uri_too_long", 414),
    UNSUPPORTED_MEDIA_TYPE("unsupported_media_type", 415),
    /** An {@code Expect} other than {@code 100-continue} (RFC 9110 §10.1.1). */
    EXPECTATION_FAILED("expectation_failed", 417),
    /** A rate limit is spent; {@code Retry-After} says when to come back (RFC 6585 §4). */
    TOO_MANY_REQUESTS("too_many_requests", 429),
    HEADERS_TOO_LARGE("headers_too_large", 431),
    /** Something failed inside Gatehouse; the details are logged, never sent. */
    INTERNAL("internal_error", 500),
    /** The upstream server could not be reached or failed (gateway routes). */
    BAD_GATEWAY("bad_gateway", 502),
    UNAVAILABLE("unavailable", 503),
    /** The upstream server did not answer in time (gateway routes). */
    GATEWAY_TIMEOUT("gateway_timeout", 504);

    private final String code;
    private final int status;

    ErrorCode(String code, int status) {
        this.code = code;
        this.status = status;
    }

    public String code() {
        return code;
    }

    public int status() {
        return status;
    }
}
