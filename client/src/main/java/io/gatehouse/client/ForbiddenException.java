package io.gatehouse.client;

import java.time.Duration;
import java.util.Optional;

/**
 * A 403 answer ({@code forbidden}): the credential is known but may not do this ({@code not_org_admin}, {@code not_operator}, {@code exceeds_reach}, {@code out_of_scope}, …), including {@code insufficient_scope} with {@link #scope()}.
 *
 * @see "docs/errors.md"
 */
public final class ForbiddenException extends GatehouseException {
    private static final long serialVersionUID = 1L;

    /**
     * A 403 answer.
     *
     * @param error the answer's {@code error} object
     * @param retryAfter the answer's {@code Retry-After}, if it had one
     */
    ForbiddenException(ErrorDetail error, Optional<Duration> retryAfter) {
        super(403, error, retryAfter);
    }
}
