package io.gatehouse.accounts;

import io.gatehouse.door.Role;
import io.gatehouse.accounts.Accounts.Invitation;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

import static io.gatehouse.store.Rows.instant;

/** SQL for invitations. Tokens are stored as their hash only. Every method runs on the caller's handle. */
final class InvitationStore {

    void insert(Handle h, Invitation i, String tokenHash) {
        h.createUpdate("INSERT INTO invitations (id, org_id, email, role, workspaces, token_hash, created_at, "
                        + "created_by, created_by_key, expires_at) "
                        + "VALUES (:id, :org, :email, :role, :ws, :hash, :at, :by, :byKey, :expires)")
                .bind("id", i.id()).bind("org", i.orgId()).bind("email", i.email()).bind("role", i.role().wire())
                .bind("ws", String.join(" ", new TreeSet<>(i.workspaces()))).bind("hash", tokenHash)
                .bind("at", i.createdAt().toEpochMilli()).bind("by", i.createdBy().orElse(null))
                .bind("byKey", i.createdByKey().orElse(null))
                .bind("expires", i.expiresAt().toEpochMilli())
                .execute();
    }

    Optional<Invitation> byTokenHash(Handle h, String tokenHash) {
        return h.createQuery("SELECT * FROM invitations WHERE token_hash = :hash").bind("hash", tokenHash)
                .map(InvitationStore::invitation).findOne();
    }

    Optional<Invitation> find(Handle h, String orgId, String id) {
        return h.createQuery("SELECT * FROM invitations WHERE id = :id AND org_id = :org")
                .bind("id", id).bind("org", orgId).map(InvitationStore::invitation).findOne();
    }

    List<Invitation> list(Handle h, String orgId) {
        return h.createQuery("SELECT * FROM invitations WHERE org_id = :org ORDER BY created_at DESC, id")
                .bind("org", orgId).map(InvitationStore::invitation).list();
    }

    /** Marks a pending invitation accepted; false when it was no longer pending (accepted or revoked meanwhile). */
    boolean markAccepted(Handle h, String id, String userId, Instant at) {
        return h.createUpdate("UPDATE invitations SET accepted_at = :at, accepted_by = :user "
                        + "WHERE id = :id AND accepted_at IS NULL AND revoked_at IS NULL")
                .bind("id", id).bind("user", userId).bind("at", at.toEpochMilli()).execute() == 1;
    }

    boolean revoke(Handle h, String id, Instant at) {
        return h.createUpdate("UPDATE invitations SET revoked_at = :at "
                        + "WHERE id = :id AND accepted_at IS NULL AND revoked_at IS NULL")
                .bind("id", id).bind("at", at.toEpochMilli()).execute() == 1;
    }

    private static Invitation invitation(ResultSet rs, StatementContext ctx) throws SQLException {
        String ws = rs.getString("workspaces");
        Set<String> workspaces = ws.isBlank() ? Set.of()
                : Arrays.stream(ws.split(" ")).collect(Collectors.toUnmodifiableSet());
        return new Invitation(rs.getString("id"), rs.getString("org_id"), rs.getString("email"),
                Role.parse(rs.getString("role")).orElseThrow(), workspaces, instant(rs, "created_at").orElseThrow(),
                Optional.ofNullable(rs.getString("created_by")), Optional.ofNullable(rs.getString("created_by_key")),
                instant(rs, "expires_at").orElseThrow(),
                instant(rs, "accepted_at"), Optional.ofNullable(rs.getString("accepted_by")), instant(rs, "revoked_at"));
    }
}
