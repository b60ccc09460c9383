package io.gatehouse.client;

import java.time.Duration;
import java.util.Optional;

/**
 * A 400 answer ({@code invalid_request}): a field is missing, has the wrong type or is not accepted, or the body is not JSON.
 *
 * @see "docs/errors.md"
 */
public final class InvalidRequestException extends GatehouseException {
    private static final long serialVersionUID = 1L;

    /**
     * A 400 answer.
     *
     * @param error the answer's {@code error} object
     * @param retryAfter the answer's {@code Retry-After}, if it had one
     */
    InvalidRequestException(ErrorDetail error, Optional<Duration> retryAfter) {
        super(400, error, retryAfter);
    }
}
