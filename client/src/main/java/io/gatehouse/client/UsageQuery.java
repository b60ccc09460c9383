package io.gatehouse.client;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code GET /v1/orgs/{id}/usage} is asked: its query parameters. Start with
 * {@link #defaults()}; a field left unset is the server's default.
 *
 * <pre>{@code
 * UsageQuery.defaults().withFrom(Instant.parse("2027-01-01T00:00:00Z"))
 *         .withGranularity(UsageQuery.Granularity.DAY).withGroupBy(UsageQuery.GroupBy.TOOL)
 * }</pre>
 *
 * @param from the start; default a day before {@code to}
 * @param to the end, exclusive; default now
 * @param granularity the buckets' size; default {@link Granularity#HOUR} (at most 10,000 buckets)
 * @param groupBy split each bucket by credential, server or tool; default not split
 * @param credentialId only this key ({@code key_…}) or connected app ({@code grant_…})
 * @see "docs/billing.md, Usage"
 */
public record UsageQuery(Instant from, Instant to, Granularity granularity, GroupBy groupBy, String credentialId) {
    /** The size of a bucket. */
    public enum Granularity { MINUTE, HOUR, DAY }

    /** What a bucket is split by. */
    public enum GroupBy { CREDENTIAL, SERVER, TOOL }

    /** @return the last day, by hour, not split: every parameter the server's default */
    public static UsageQuery defaults() {
        return new UsageQuery(null, null, null, null, null);
    }

    /**
     * @param value the start
     * @return a copy with it set
     */
    public UsageQuery withFrom(Instant value) {
        return new UsageQuery(value, to, granularity, groupBy, credentialId);
    }

    /**
     * @param value the end, exclusive
     * @return a copy with it set
     */
    public UsageQuery withTo(Instant value) {
        return new UsageQuery(from, value, granularity, groupBy, credentialId);
    }

    /**
     * @param value the buckets' size
     * @return a copy with it set
     */
    public UsageQuery withGranularity(Granularity value) {
        return new UsageQuery(from, to, value, groupBy, credentialId);
    }

    /**
     * @param value what each bucket is split by
     * @return a copy with it set
     */
    public UsageQuery withGroupBy(GroupBy value) {
        return new UsageQuery(from, to, granularity, value, credentialId);
    }

    /**
     * @param id a key ({@code key_…}) or connected app ({@code grant_…})
     * @return a copy counting only its calls
     */
    public UsageQuery withCredential(String id) {
        return new UsageQuery(from, to, granularity, groupBy, id);
    }

    /** The query parameters that are set. */
    Map<String, Object> parameters() {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("from", from);
        q.put("to", to);
        q.put("granularity", granularity == null ? null : granularity.name().toLowerCase(Locale.ROOT));
        q.put("group_by", groupBy == null ? null : groupBy.name().toLowerCase(Locale.ROOT));
        q.put("credential_id", credentialId);
        return q;
    }
}
