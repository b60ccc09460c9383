package io.gatehouse.client;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An organization's usage in time buckets ({@code Usage}), the answer of {@code GET /v1/orgs/{id}/usage}.
 *
 * @param object always {@code usage}
 * @param granularity the buckets' size: {@code minute}, {@code hour} or {@code day}
 * @param from the start asked for
 * @param to the end asked for, exclusive
 * @param data the buckets that saw calls, oldest first (and, when grouped, by group)
 * @see "docs/billing.md, Usage"
 */
public record Usage(String object, String granularity, Instant from, Instant to, List<Bucket> data) {
    /** Unmodifiable, like every answer. */
    public Usage {
        data = data == null ? List.of() : List.copyOf(data);
    }

    /**
     * One bucket, or one group's part of it. Only the group asked for by {@link UsageQuery#groupBy()}
     * is present, and it is empty for calls without one (a call to an HTTP API has no tool).
     *
     * @param start the bucket's start
     * @param credential grouped by credential: the key ({@code key_…}) or connected app ({@code grant_…})
     * @param server grouped by server: the server's id
     * @param tool grouped by tool: the MCP tool
     * @param calls calls counted
     * @param rateLimited calls refused {@code 429 rate_limited}
     * @param unpaid calls refused {@code 402 insufficient_credits}
     * @param clientErrors calls refused otherwise by Gatehouse, or answered 4xx by the upstream
     * @param serverErrors calls the upstream answered 5xx, or did not answer
     * @param credits credits charged, net of refunds
     */
    public record Bucket(Instant start, Optional<String> credential, Optional<String> server, Optional<String> tool,
                         long calls, long rateLimited, long unpaid, long clientErrors, long serverErrors,
                         long credits) {
    }
}
