package io.gatehouse.client;

import java.time.Duration;
import java.util.Optional;

/**
 * A 409 answer ({@code conflict}): the request contradicts the current state ({@code email_taken}, {@code last_owner}, {@code not_active}, {@code slug_taken}, {@code invitation_used}, …).
 *
 * @see "docs/errors.md"
 */
public final class ConflictException extends GatehouseException {
    private static final long serialVersionUID = 1L;

    /**
     * A 409 answer.
     *
     * @param error the answer's {@code error} object
     * @param retryAfter the answer's {@code Retry-After}, if it had one
     */
    ConflictException(ErrorDetail error, Optional<Duration> retryAfter) {
        super(409, error, retryAfter);
    }
}
