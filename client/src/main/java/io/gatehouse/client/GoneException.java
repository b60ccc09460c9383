package io.gatehouse.client;

import java.time.Duration;
import java.util.Optional;

/**
 * A 410 answer ({@code gone}): the thing existed and can no longer be used ({@code invitation_revoked}, {@code invitation_expired}).
 *
 * @see "docs/errors.md"
 */
public final class GoneException extends GatehouseException {
    private static final long serialVersionUID = 1L;

    /**
     * A 410 answer.
     *
     * @param error the answer's {@code error} object
     * @param retryAfter the answer's {@code Retry-After}, if it had one
     */
    GoneException(ErrorDetail error, Optional<Duration> retryAfter) {
        super(410, error, retryAfter);
    }
}
