package io.gatehouse.client;

import java.time.Duration;
import java.util.Optional;

/**
 * A 404 answer ({@code not_found}): the object does not exist, or the caller may not see it: the two look the same.
 *
 * @see "docs/errors.md"
 */
public final class NotFoundException extends GatehouseException {
    private static final long serialVersionUID = 1L;

    /**
     * A 404 answer.
     *
     * @param error the answer's {@code error} object
     * @param retryAfter the answer's {@code Retry-After}, if it had one
     */
    NotFoundException(ErrorDetail error, Optional<Duration> retryAfter) {
        super(404, error, retryAfter);
    }
}
