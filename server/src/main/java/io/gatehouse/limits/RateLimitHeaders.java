package io.gatehouse.limits;

import java.util.List;

/**
 * The values of the {@code RateLimit-Policy}, {@code RateLimit} and {@code Retry-After} response
 * fields for the limits a request drew on.
 *
 * <p>Checked against draft-ietf-httpapi-ratelimit-headers-11 (23 May 2026; -10 of September 2025 has
 * the same syntax), <a href="https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/11/">
 * RateLimit header fields for HTTP</a>. Both fields are Structured Fields Lists (RFC 9651) of Items
 * whose value is an sf-string naming the policy, several policies separated by commas:
 * <ul>
 *   <li>§3 {@code RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400} — {@code q} the
 *       quota (required, Integer), {@code w} the window in whole seconds (optional, Integer, at least 1),
 *       {@code qu} the quota unit (optional, default {@code "requests"}), {@code pk} a partition key
 *       (optional, Byte Sequence);</li>
 *   <li>§4 {@code RateLimit: "default";r=50;t=30} — {@code r} the available quota (required,
 *       Integer, at least 0), {@code t} the effective window in seconds (optional, Integer, at least
 *       0), {@code pk}.</li>
 * </ul>
 * Gatehouse counts requests, the default unit, so writes no {@code qu}; nor {@code pk}, which would
 * show the client an organization id (§6.1: avoid partition keys that say too much). Its {@code t}
 * is, after an allowed request, the seconds until the whole quota is back, and after a denial the
 * seconds until a request would be allowed; §6: a {@code Retry-After} SHOULD NOT end before the
 * effective window, and here the two are the same seconds.
 */
public final class RateLimitHeaders {
    private RateLimitHeaders() {
    }

    /** {@code "key";q=100;w=60, "org";q=1000;w=60}: the policies, in the order given. */
    public static String policy(List<Limit> limits) {
        StringBuilder out = new StringBuilder();
        for (Limit limit : limits) {
            item(out, limit.policy()).append(";q=").append(limit.rate().count())
                    .append(";w=").append(limit.rate().window().getSeconds());
        }
        return nonEmpty(out);
    }

    /** {@code "key";r=0;t=17}: what is left under each policy and for how long, in the order given. */
    public static String limit(List<Outcome> outcomes) {
        if (outcomes.size() == 1) { // the usual case, on every metered call: one concatenation, no builder
            Outcome o = outcomes.get(0);
            return "\"" + o.limit().policy() + "\";r=" + o.remaining() + ";t=" + o.resetSeconds();
        }
        StringBuilder out = new StringBuilder();
        for (Outcome outcome : outcomes) {
            item(out, outcome.limit().policy()).append(";r=").append(outcome.remaining())
                    .append(";t=").append(outcome.resetSeconds());
        }
        return nonEmpty(out);
    }

    /** The {@code Retry-After} delay-seconds (RFC 9110 §10.2.3) of a denial: when a request would be allowed. */
    public static String retryAfter(Outcome denial) {
        if (denial.allowed()) {
            throw new IllegalArgumentException("an allowed request has no Retry-After");
        }
        return Long.toString(denial.resetSeconds());
    }

    /**
     * Starts one list member: the policy name as an sf-string. {@link Limit} admits only
     * {@code [a-z0-9_-]}, which RFC 9651 §3.3.3 lets stand between the quotes unescaped.
     */
    private static StringBuilder item(StringBuilder out, String policy) {
        return out.append(out.isEmpty() ? "" : ", ").append('"').append(policy).append('"');
    }

    /** The draft's fields are non-empty lists: with no limit, a caller sends no field at all. */
    private static String nonEmpty(StringBuilder out) {
        if (out.isEmpty()) {
            throw new IllegalArgumentException("a RateLimit field lists at least one policy");
        }
        return out.toString();
    }
}
