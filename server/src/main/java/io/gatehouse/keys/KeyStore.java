package io.gatehouse.keys;

import io.gatehouse.door.Role;
import io.gatehouse.door.Identity;
import io.gatehouse.door.Identity.CredentialKind;
import io.gatehouse.door.Targets;
import io.gatehouse.store.Rows;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;

import static io.gatehouse.store.Rows.instant;

/** SQL for API keys. Every method runs on the caller's handle. */
public final class KeyStore {

    /** What verification needs about a key: its state, and its owner's context as of now. */
    record Verifiable(String hash, Optional<Instant> revokedAt, Optional<Instant> deletedAt, Identity identity) {
    }

    /** Filters for listing keys; empty means any. */
    record ListFilter(Optional<String> orgId, Optional<String> userId, boolean includeDeleted) {
    }

    /** One key's usage since the last flush. */
    record UsageRow(String keyId, long lastUsedAt, String lastUsedIp, long uses) {
    }

    void insert(Handle h, ApiKey k, String hash) {
        h.createUpdate("INSERT INTO api_keys (id, org_id, user_id, name, kind, secret_hash, display_prefix, last4, "
                        + "scope_workspaces, scope_servers, scope_tools, permissions, rate_limit, created_at, created_by, expires_at, "
                        + "rolled_from, imported) VALUES (:id, :org, :user, :name, :kind, :hash, :display, :last4, "
                        + ":ws, :servers, :tools, :perms, :rate, :created, :createdBy, :expires, :rolledFrom, :imported)")
                .bind("id", k.id()).bind("org", k.orgId()).bind("user", k.userId()).bind("name", k.name())
                .bind("kind", k.kind().wire()).bind("hash", hash).bind("display", k.displayPrefix())
                .bind("last4", k.last4().orElse(null)).bind("ws", k.workspaces().format())
                .bind("servers", k.servers().format()).bind("tools", k.tools().format()).bind("perms", String.join(" ", k.permissions()))
                .bind("rate", k.rateLimit().map(Object::toString).orElse(null))
                .bind("created", k.createdAt().toEpochMilli()).bind("createdBy", k.createdBy().orElse(null))
                .bind("expires", Rows.millis(k.expiresAt())).bind("rolledFrom", k.rolledFrom().orElse(null))
                .bind("imported", k.imported() ? 1 : 0)
                .execute();
    }

    boolean hashExists(Handle h, String hash) {
        return h.createQuery("SELECT COUNT(*) FROM api_keys WHERE secret_hash = :hash").bind("hash", hash)
                .mapTo(Long.class).one() > 0;
    }

    Optional<ApiKey> find(Handle h, String id) {
        return h.createQuery("SELECT * FROM api_keys WHERE id = :id").bind("id", id).map(KeyStore::key).findOne();
    }

    /** Whether a renew or a roll of this key made another. */
    boolean hasSuccessor(Handle h, String id) {
        return h.createQuery("SELECT COUNT(*) FROM api_keys WHERE rolled_from = :id").bind("id", id)
                .mapTo(Long.class).one() > 0;
    }

    String hashOf(Handle h, String id) {
        return h.createQuery("SELECT secret_hash FROM api_keys WHERE id = :id").bind("id", id)
                .mapTo(String.class).one();
    }

    List<ApiKey> list(Handle h, ListFilter filter) {
        StringBuilder sql = new StringBuilder("SELECT * FROM api_keys WHERE 1 = 1");
        filter.orgId().ifPresent(o -> sql.append(" AND org_id = :org"));
        filter.userId().ifPresent(u -> sql.append(" AND user_id = :user"));
        if (!filter.includeDeleted()) {
            sql.append(" AND deleted_at IS NULL");
        }
        sql.append(" ORDER BY created_at DESC, id");
        Query q = h.createQuery(sql.toString());
        filter.orgId().ifPresent(o -> q.bind("org", o));
        filter.userId().ifPresent(u -> q.bind("user", u));
        return q.map(KeyStore::key).list();
    }

    /** Keys of a user in an organisation that still work or will (not revoked, not deleted). */
    List<ApiKey> liveStandardKeys(Handle h, String orgId, String userId, Instant now) {
        return h.createQuery("SELECT * FROM api_keys WHERE org_id = :org AND user_id = :user AND kind = 'standard' "
                        + "AND revoked_at IS NULL AND deleted_at IS NULL "
                        + "AND (expires_at IS NULL OR expires_at > :now)")
                .bind("org", orgId).bind("user", userId).bind("now", now.toEpochMilli())
                .map(KeyStore::key).list();
    }

    /** How many keys of an organisation work or will, operator keys aside (a plan's {@code max-keys}). */
    long countLiveKeys(Handle h, String orgId, Instant now) {
        return h.createQuery("SELECT COUNT(*) FROM api_keys WHERE org_id = :org AND kind <> 'operator' "
                        + "AND revoked_at IS NULL AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > :now)")
                .bind("org", orgId).bind("now", now.toEpochMilli()).mapTo(Long.class).one();
    }

    void revoke(Handle h, String id, Instant at, String reason) {
        h.createUpdate("UPDATE api_keys SET revoked_at = :at, revoked_reason = :reason "
                        + "WHERE id = :id AND revoked_at IS NULL")
                .bind("id", id).bind("at", at.toEpochMilli()).bind("reason", reason).execute();
    }

    void expireAt(Handle h, String id, Instant at) {
        h.createUpdate("UPDATE api_keys SET expires_at = :at WHERE id = :id AND (expires_at IS NULL OR expires_at > :at)")
                .bind("id", id).bind("at", at.toEpochMilli()).execute();
    }

    void markDeleted(Handle h, String id, Instant at) {
        h.createUpdate("UPDATE api_keys SET deleted_at = :at WHERE id = :id").bind("id", id)
                .bind("at", at.toEpochMilli()).execute();
    }

    Set<String> importPrefixes(Handle h) {
        return new HashSet<>(h.createQuery("SELECT prefix FROM key_import_prefixes").mapTo(String.class).list());
    }

    void addImportPrefix(Handle h, String prefix, Instant at) {
        if (!importPrefixes(h).contains(prefix)) {
            h.createUpdate("INSERT INTO key_import_prefixes (prefix, created_at) VALUES (:p, :at)")
                    .bind("p", prefix).bind("at", at.toEpochMilli()).execute();
        }
    }

    /**
     * One query for everything a decision needs: the key, its organisation's plan, its owner's
     * account, role and workspace memberships (one row per membership, across organisations; the
     * ones outside the key's organisation are dropped here).
     */
    Optional<Verifiable> loadForVerification(Handle h, String hash) {
        List<Object[]> rows = h.createQuery("SELECT k.*, o.plan, o.trial_ends_at, o.credits_purchased_at, u.disabled_at, m.role, "
                        + "w.id AS member_ws, w.org_id AS member_ws_org "
                        + "FROM api_keys k "
                        + "JOIN organizations o ON o.id = k.org_id "
                        + "JOIN users u ON u.id = k.user_id "
                        + "LEFT JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.user_id "
                        + "LEFT JOIN workspace_members wm ON wm.user_id = k.user_id "
                        + "LEFT JOIN workspaces w ON w.id = wm.workspace_id "
                        + "WHERE k.secret_hash = :hash")
                .bind("hash", hash)
                .map((rs, ctx) -> new Object[]{key(rs, ctx), rs.getString("plan"),
                        instant(rs, "disabled_at").isPresent(), rs.getString("role"), rs.getString("member_ws"),
                        rs.getString("member_ws_org"), new Identity.Standing(instant(rs, "trial_ends_at"),
                        instant(rs, "credits_purchased_at").isPresent())})
                .list();
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Object[] first = rows.getFirst();
        ApiKey k = (ApiKey) first[0];
        Set<String> memberWorkspaces = rows.stream()
                .filter(r -> r[4] != null && k.orgId().equals(r[5]))
                .map(r -> (String) r[4])
                .collect(Collectors.toUnmodifiableSet());
        boolean legacy = k.kind() == ApiKey.Kind.LEGACY;
        CredentialKind kind = switch (k.kind()) {
            case STANDARD -> CredentialKind.API_KEY;
            case LEGACY -> CredentialKind.LEGACY_KEY;
            case OPERATOR -> CredentialKind.OPERATOR;
        };
        Identity identity = new Identity(k.id(), kind, k.displayPrefix(), k.userId(), k.orgId(), (String) first[1],
                (Identity.Standing) first[6], Optional.ofNullable((String) first[3]).flatMap(Role::parse), (Boolean) first[2],
                legacy ? Targets.ALL : k.workspaces(), legacy ? Targets.ALL : k.servers(), legacy ? Targets.ALL : k.tools(),
                k.permissions(), memberWorkspaces, k.expiresAt(), k.rateLimit());
        return Optional.of(new Verifiable(hash, k.revokedAt(), k.deletedAt(), identity));
    }

    void flushUsage(Handle h, List<UsageRow> rows) {
        flush(h, "api_keys", rows);
    }

    /** The same for OAuth grants: their tokens' uses, counted on the grant ("connected app: last used"). */
    void flushGrantUsage(Handle h, List<UsageRow> rows) {
        flush(h, "oauth_grants", rows);
    }

    private static void flush(Handle h, String table, List<UsageRow> rows) {
        if (rows.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch("UPDATE " + table + " SET "
                + "last_used_ip = CASE WHEN last_used_at IS NULL OR last_used_at <= :at THEN :ip ELSE last_used_ip END, "
                + "last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < :at THEN :at ELSE last_used_at END, "
                + "use_count = use_count + :uses WHERE id = :id");
        for (UsageRow r : rows) {
            batch.bind("at", r.lastUsedAt()).bind("ip", r.lastUsedIp()).bind("uses", r.uses()).bind("id", r.keyId())
                    .add();
        }
        batch.execute();
    }

    static ApiKey key(ResultSet rs, StatementContext ctx) throws SQLException {
        String perms = rs.getString("permissions");
        return new ApiKey(rs.getString("id"), rs.getString("org_id"), rs.getString("user_id"), rs.getString("name"),
                ApiKey.Kind.valueOf(rs.getString("kind").toUpperCase(java.util.Locale.ROOT)),
                rs.getString("display_prefix"), Optional.ofNullable(rs.getString("last4")),
                Targets.parse(rs.getString("scope_workspaces")), Targets.parse(rs.getString("scope_servers")),
                Targets.parse(rs.getString("scope_tools")),
                perms.isBlank() ? Set.of() : Set.copyOf(Arrays.asList(perms.split(" "))),
                Optional.ofNullable(rs.getString("rate_limit")).map(io.gatehouse.limits.Rate::parse),
                instant(rs, "created_at").orElseThrow(), Optional.ofNullable(rs.getString("created_by")),
                instant(rs, "expires_at"), instant(rs, "revoked_at"), Optional.ofNullable(rs.getString("revoked_reason")),
                instant(rs, "deleted_at"), Optional.ofNullable(rs.getString("rolled_from")),
                rs.getInt("imported") == 1, instant(rs, "last_used_at"),
                Optional.ofNullable(rs.getString("last_used_ip")), rs.getLong("use_count"));
    }
}
