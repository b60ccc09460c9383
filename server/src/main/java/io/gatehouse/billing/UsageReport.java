package io.gatehouse.billing;

import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.errors.ApiError;
import io.gatehouse.store.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * What the management API reads of {@code usage_minutes}: counts in time buckets ({@code GET
 * /v1/orgs/{id}/usage}), and totals over a time range with the last use, when and from where
 * ({@code …/usage/summary}); and whose usage a caller reads. With {@code admin:read} in the
 * organization (or as an operator): every credential's. With {@code keys:self}: only the caller's own
 * keys and connected apps in it, as {@code GET /v1/keys} lists only one's own; naming another's
 * credential is a 404, as reading another's key is.
 */
final class UsageReport {
    /** Counts of each error kind, as columns and as fields of the answer. */
    private static final List<String> COUNTS = List.of("calls", "client_errors", "server_errors", "rate_limited",
            "unpaid", "credits");
    /** The caller's own credentials in the organization: their keys and their connected apps. */
    private static final String OWN = "credential_id IN (SELECT id FROM api_keys WHERE org_id = :org AND user_id = :user "
            + "UNION SELECT id FROM oauth_grants WHERE org_id = :org AND user_id = :user)";

    private final Database db;
    private final UsageMeter meter;

    UsageReport(Database db, UsageMeter meter) {
        this.db = db;
        this.meter = meter;
    }

    /** The rows of one organization the caller may read: a condition on usage_minutes and what it binds. */
    private record Reach(String where, String userId, Optional<String> credentialId) {
    }

    /**
     * Usage in time buckets, for a console's charts: calls, errors by kind and credits per bucket,
     * grouped by credential, server or tool, or not at all.
     */
    List<Map<String, Object>> buckets(Principal caller, String orgId, Instant from, Instant to, String granularity,
                                      Optional<String> groupBy, Optional<String> credentialId) {
        long bucket = switch (granularity) {
            case "minute" -> 60_000L;
            case "hour" -> 3_600_000L;
            case "day" -> 86_400_000L;
            default -> throw ApiError.invalid("granularity: must be minute, hour or day");
        };
        checkRange(from, to);
        if ((to.toEpochMilli() - from.toEpochMilli()) / bucket > 10_000) {
            throw ApiError.invalid("from, to: at most 10000 buckets; use a coarser granularity");
        }
        String group = column(groupBy);
        String start = "(minute / " + bucket + ") * " + bucket;
        return read(caller, orgId, credentialId, (h, reach) -> h.createQuery("SELECT " + start + " AS start, "
                        + (group != null ? group + " AS grp, " : "") + sums() + " FROM usage_minutes WHERE "
                        + reach.where() + " AND minute >= :from AND minute < :to GROUP BY " + start
                        + (group != null ? ", " + group : "") + " ORDER BY start" + (group != null ? ", grp" : ""))
                .bind("org", orgId).bind("user", reach.userId()).bind("cred", reach.credentialId().orElse(null))
                .bind("from", from.toEpochMilli()).bind("to", to.toEpochMilli())
                .map((rs, ctx) -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("start", Instant.ofEpochMilli(rs.getLong("start")).toString());
                    if (group != null) {
                        row.put(groupBy.get(), rs.getString("grp"));
                    }
                    putCounts(rs, row);
                    return row;
                }).list());
    }

    /**
     * Totals from {@code from} to {@code to} per credential, server or tool (or for all the caller
     * reads), each with its last call's time and client address. Groups without a call are left out.
     * A row written before those were kept (V8) counts from the start of its minute, with no address.
     */
    List<Map<String, Object>> summary(Principal caller, String orgId, Instant from, Instant to,
                                      Optional<String> groupBy, Optional<String> credentialId) {
        checkRange(from, to);
        String group = column(groupBy);
        String last = "COALESCE(last_used_at, minute)";
        // Each group's latest row, by a window function (SQLite 3.25 and PostgreSQL both have them), gives its address.
        String sql = "SELECT " + (group != null ? "grp, " : "") + sums() + ", COUNT(*) AS row_count, "
                + "MAX(last_at) AS last_at, MAX(CASE WHEN latest = 1 THEN last_used_ip END) AS last_ip FROM (SELECT "
                + (group != null ? group + " AS grp, " : "") + String.join(", ", COUNTS) + ", last_used_ip, "
                + last + " AS last_at, ROW_NUMBER() OVER (" + (group != null ? "PARTITION BY " + group + " " : "")
                + "ORDER BY " + last + " DESC) AS latest FROM usage_minutes WHERE %s AND minute >= :from "
                + "AND minute < :to) used" + (group != null ? " GROUP BY grp ORDER BY grp" : "");
        return read(caller, orgId, credentialId, (h, reach) -> h.createQuery(sql.formatted(reach.where()))
                .bind("org", orgId).bind("user", reach.userId()).bind("cred", reach.credentialId().orElse(null))
                .bind("from", from.toEpochMilli()).bind("to", to.toEpochMilli())
                .map((rs, ctx) -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    if (rs.getLong("row_count") == 0) {
                        return row; // no group, and nothing used: left out below
                    }
                    if (group != null) {
                        row.put(groupBy.get(), rs.getString("grp"));
                    }
                    putCounts(rs, row);
                    row.put("last_used_at", Instant.ofEpochMilli(rs.getLong("last_at")).toString());
                    row.put("last_used_ip", rs.getString("last_ip"));
                    return row;
                }).stream().filter(r -> !r.isEmpty()).toList());
    }

    private interface Query {
        List<Map<String, Object>> run(Handle h, Reach reach);
    }

    private List<Map<String, Object>> read(Principal caller, String orgId, Optional<String> credentialId, Query query) {
        if (!caller.canRead(orgId)) {
            throw ApiError.notFound("organization");
        }
        boolean all = caller.may(Permissions.ADMIN_READ);
        if (!all) {
            caller.requireAny(Permissions.ADMIN_READ, Permissions.KEYS_SELF);
        }
        meter.flush(); // this node's last second counts too
        return db.withHandle(h -> {
            Billing.requireOrganization(h, orgId);
            String where = "org_id = :org" + (all ? "" : " AND " + OWN)
                    + (credentialId.isPresent() ? " AND credential_id = :cred" : "");
            if (!all && credentialId.isPresent() && !owns(h, caller, orgId, credentialId.get())) {
                throw ApiError.notFound("credential"); // another's, or none: the same answer
            }
            return query.run(h, new Reach(where, caller.userId(), credentialId));
        });
    }

    private static boolean owns(Handle h, Principal caller, String orgId, String credentialId) {
        return h.createQuery("SELECT COUNT(*) FROM (SELECT id FROM api_keys WHERE id = :cred AND org_id = :org "
                        + "AND user_id = :user UNION SELECT id FROM oauth_grants WHERE id = :cred AND org_id = :org "
                        + "AND user_id = :user) own")
                .bind("cred", credentialId).bind("org", orgId).bind("user", caller.userId())
                .mapTo(Long.class).one() > 0;
    }

    private static void checkRange(Instant from, Instant to) {
        if (!to.isAfter(from)) {
            throw ApiError.invalid("to: must be after from");
        }
    }

    private static String column(Optional<String> groupBy) {
        return groupBy.map(g -> switch (g) {
            case "credential" -> "credential_id";
            case "server" -> "server_id";
            case "tool" -> "tool";
            default -> throw ApiError.invalid("group_by: must be credential, server or tool");
        }).orElse(null);
    }

    private static String sums() {
        return String.join(", ", COUNTS.stream().map(c -> "SUM(" + c + ") AS " + c).toList());
    }

    private static void putCounts(ResultSet rs, Map<String, Object> row) throws SQLException {
        for (String c : COUNTS) {
            row.put(c, rs.getLong(c));
        }
    }
}
