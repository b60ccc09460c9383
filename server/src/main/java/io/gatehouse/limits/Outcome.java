package io.gatehouse.limits;

/**
 * What one limit said about one request, in the terms of the RateLimit field.
 *
 * @param limit        the limit that answered (its policy name goes into the fields)
 * @param allowed      whether the request may go on
 * @param remaining    requests that could still be made at this instant (the field's {@code r}); 0 when denied
 * @param resetSeconds when allowed, whole seconds (rounded up) until the full quota is back; when
 *                     denied, whole seconds (rounded up, at least 1) until a request would be allowed
 *                     again — the field's {@code t}, and the {@code Retry-After} of a denial
 */
public record Outcome(Limit limit, boolean allowed, long remaining, long resetSeconds) {
    public Rate rate() {
        return limit.rate();
    }
}
