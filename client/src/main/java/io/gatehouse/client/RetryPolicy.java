package io.gatehouse.client;

import java.time.Duration;

/**
 * When a call is tried again. Only what is safe is retried:
 *
 * <ul>
 *   <li>a {@code GET} (or {@code HEAD}), which changes nothing (RFC 9110 §9.2.1, safe methods): after
 *       a connection failure or timeout, and after a {@code 429} or {@code 503} answer, waiting what
 *       its {@code Retry-After} asks (RFC 9110 §10.2.3) or else the backoff;</li>
 *   <li>any call, {@code POST} included, whose connection could not be opened (refused, or the connect
 *       timed out): the request was never sent.</li>
 * </ul>
 *
 * <p>A {@code POST}, {@code PUT}, {@code PATCH} or {@code DELETE} that may have reached the server is
 * never repeated: not after a reset connection, a read timeout, nor a {@code 429} or {@code 503} answer.
 * The caller gets the error (with {@link GatehouseException#retryAfter()}) and decides.
 *
 * @param maxAttempts attempts in all, the first included (1 means no retry)
 * @param backoff the wait before the second attempt when no {@code Retry-After} says otherwise; doubled each time
 * @param maxRetryAfter the longest {@code Retry-After} honoured; an answer asking for more is returned as it is
 */
public record RetryPolicy(int maxAttempts, Duration backoff, Duration maxRetryAfter) {
    /** Three attempts, 200 ms backoff, {@code Retry-After} honoured up to 30 seconds. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(30));

    /** One attempt: nothing is retried. */
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

    /** Checks the bounds: 1 to 10 attempts, no negative durations. */
    public RetryPolicy {
        if (maxAttempts < 1 || maxAttempts > 10) {
            throw new IllegalArgumentException("maxAttempts must be 1 to 10, not " + maxAttempts);
        }
        if (backoff.isNegative() || maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("durations must not be negative");
        }
    }

    /** The wait before attempt {@code attempt + 1} without a {@code Retry-After}. */
    Duration backoffAfter(int attempt) {
        return backoff.multipliedBy(1L << Math.min(attempt - 1, 10));
    }
}
