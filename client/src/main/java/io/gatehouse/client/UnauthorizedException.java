package io.gatehouse.client;

import java.time.Duration;
import java.util.Optional;

/**
 * A 401 answer ({@code unauthorized}): the credential is missing, malformed, unknown, revoked, expired, or its owner is disabled.
 *
 * @see "docs/errors.md"
 */
public final class UnauthorizedException extends GatehouseException {
    private static final long serialVersionUID = 1L;

    /**
     * A 401 answer.
     *
     * @param error the answer's {@code error} object
     * @param retryAfter the answer's {@code Retry-After}, if it had one
     */
    UnauthorizedException(ErrorDetail error, Optional<Duration> retryAfter) {
        super(401, error, retryAfter);
    }
}
