package io.gatehouse.client;

import java.time.Duration;
import java.util.Optional;

/**
 * Gatehouse answered with an error: {@code {"success": false, "error": {"code", "reason",
 * "message", "request_id"}}} and its HTTP status. Subclasses name the statuses a caller usually
 * handles apart ({@link InvalidRequestException} 400, {@link UnauthorizedException} 401,
 * {@link ForbiddenException} 403, {@link NotFoundException} 404, {@link ConflictException} 409,
 * {@link GoneException} 410); any other status is this class itself. A call that got no answer at
 * all throws {@link GatehouseConnectionException} instead.
 *
 * <p>The message is Gatehouse's own public message, which never contains a secret.
 *
 * @see "docs/errors.md"
 */
public sealed class GatehouseException extends RuntimeException
        permits InvalidRequestException, UnauthorizedException, ForbiddenException, NotFoundException,
        ConflictException, GoneException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient ErrorDetail error;
    private final transient Optional<Duration> retryAfter;

    /**
     * An error answer.
     *
     * @param status the HTTP status
     * @param error the answer's {@code error} object
     * @param retryAfter the answer's {@code Retry-After}, if it had one
     */
    GatehouseException(int status, ErrorDetail error, Optional<Duration> retryAfter) {
        super(status + " " + error.code() + error.reason().map(r -> " (" + r + ")").orElse("") + ": "
                + error.message() + " [request " + error.requestId() + "]");
        this.status = status;
        this.error = error;
        this.retryAfter = retryAfter;
    }

    /** The error answer as the matching subclass (400, 401, 403, 404, 409, 410), else this class. */
    static GatehouseException of(int status, ErrorDetail error, Optional<Duration> retryAfter) {
        return switch (status) {
            case 400 -> new InvalidRequestException(error, retryAfter);
            case 401 -> new UnauthorizedException(error, retryAfter);
            case 403 -> new ForbiddenException(error, retryAfter);
            case 404 -> new NotFoundException(error, retryAfter);
            case 409 -> new ConflictException(error, retryAfter);
            case 410 -> new GoneException(error, retryAfter);
            default -> new GatehouseException(status, error, retryAfter);
        };
    }

    /** @return the HTTP status of the answer */
    public int status() {
        return status;
    }

    /** @return the error class, e.g. {@code forbidden}; it follows from the status */
    public String code() {
        return error.code();
    }

    /** @return exactly why, e.g. {@code not_org_admin}; absent only on {@code internal_error} */
    public Optional<String> reason() {
        return error.reason();
    }

    /** @return Gatehouse's message, which may be shown to a person */
    public String errorMessage() {
        return error.message();
    }

    /** @return the request id ({@code X-Request-Id}); {@code -} when the HTTP parser refused the request */
    public String requestId() {
        return error.requestId();
    }

    /** @return with {@code insufficient_scope}: the permission that would let the call through */
    public Optional<String> scope() {
        return error.scope();
    }

    /** @return the whole {@code error} object */
    public ErrorDetail error() {
        return error;
    }

    /** @return how long the answer asked to wait ({@code Retry-After}), if it did */
    public Optional<Duration> retryAfter() {
        return retryAfter;
    }
}
