package io.gatehouse.accounts;

import io.gatehouse.door.Role;
import io.gatehouse.accounts.Accounts.Member;
import io.gatehouse.accounts.Accounts.Organization;
import io.gatehouse.accounts.Accounts.User;
import io.gatehouse.accounts.Accounts.Workspace;
import io.gatehouse.accounts.Accounts.WorkspaceMember;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

import static io.gatehouse.store.Rows.instant;

/** SQL for users, organisations, memberships and workspaces. Every method runs on the caller's handle. */
public final class AccountStore {

    public void insertUser(Handle h, User u) {
        h.createUpdate("INSERT INTO users (id, email, name, kind, service_org_id, instance_admin, created_at) "
                        + "VALUES (:id, :email, :name, :kind, :serviceOrg, :operator, :at)")
                .bind("id", u.id()).bind("email", u.email()).bind("name", u.name().orElse(null))
                .bind("kind", u.kind().wire()).bind("serviceOrg", u.serviceOrgId().orElse(null))
                .bind("operator", u.operator() ? 1 : 0).bind("at", u.createdAt().toEpochMilli())
                .execute();
    }

    /** Marks the user as an operator: someone holding operator keys. */
    public void markOperator(Handle h, String id) {
        h.createUpdate("UPDATE users SET instance_admin = 1 WHERE id = :id").bind("id", id).execute();
    }

    public Optional<User> user(Handle h, String id) {
        return h.createQuery("SELECT * FROM users WHERE id = :id").bind("id", id).map(AccountStore::toUser).findOne();
    }

    public Optional<User> userByEmail(Handle h, String email) {
        return h.createQuery("SELECT * FROM users WHERE email = :email").bind("email", email)
                .map(AccountStore::toUser).findOne();
    }

    public List<User> users(Handle h) {
        return h.createQuery("SELECT * FROM users ORDER BY created_at, id").map(AccountStore::toUser).list();
    }

    public boolean anyOperator(Handle h) {
        return h.createQuery("SELECT COUNT(*) FROM users WHERE instance_admin = 1").mapTo(Long.class).one() > 0;
    }

    public void setUserDisabled(Handle h, String id, Optional<Instant> at) {
        h.createUpdate("UPDATE users SET disabled_at = :at WHERE id = :id")
                .bind("at", at.map(Instant::toEpochMilli).orElse(null)).bind("id", id).execute();
    }

    public void insertOrganization(Handle h, Organization o) {
        h.createUpdate("INSERT INTO organizations (id, name, plan, one_key_per_user, max_key_lifetime_days, created_at, "
                        + "trial_ends_at) VALUES (:id, :name, :plan, :one, :max, :at, :trial)")
                .bind("id", o.id()).bind("name", o.name()).bind("plan", o.plan())
                .bind("one", o.oneKeyPerUser() ? 1 : 0).bind("max", o.maxKeyLifetimeDays().orElse(null))
                .bind("at", o.createdAt().toEpochMilli())
                .bind("trial", o.trialEndsAt().map(Instant::toEpochMilli).orElse(null))
                .execute();
    }

    public void updateOrganization(Handle h, Organization o) {
        h.createUpdate("UPDATE organizations SET name = :name, plan = :plan, one_key_per_user = :one, "
                        + "max_key_lifetime_days = :max, trial_ends_at = :trial WHERE id = :id")
                .bind("id", o.id()).bind("name", o.name()).bind("plan", o.plan())
                .bind("one", o.oneKeyPerUser() ? 1 : 0).bind("max", o.maxKeyLifetimeDays().orElse(null))
                .bind("trial", o.trialEndsAt().map(Instant::toEpochMilli).orElse(null))
                .execute();
    }

    public Optional<Organization> organization(Handle h, String id) {
        return h.createQuery("SELECT * FROM organizations WHERE id = :id").bind("id", id)
                .map(AccountStore::toOrganization).findOne();
    }

    public List<Organization> organizations(Handle h) {
        return h.createQuery("SELECT * FROM organizations ORDER BY created_at, id")
                .map(AccountStore::toOrganization).list();
    }

    public List<Organization> organizationsOf(Handle h, String userId) {
        return h.createQuery("SELECT o.* FROM organizations o JOIN memberships m ON m.org_id = o.id "
                        + "WHERE m.user_id = :user ORDER BY o.created_at, o.id")
                .bind("user", userId).map(AccountStore::toOrganization).list();
    }

    public void upsertMember(Handle h, String orgId, String userId, Role role, Instant at) {
        int updated = h.createUpdate("UPDATE memberships SET role = :role WHERE org_id = :org AND user_id = :user")
                .bind("role", role.wire()).bind("org", orgId).bind("user", userId).execute();
        if (updated == 0) {
            h.createUpdate("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (:org, :user, :role, :at)")
                    .bind("org", orgId).bind("user", userId).bind("role", role.wire())
                    .bind("at", at.toEpochMilli()).execute();
        }
    }

    public Optional<Member> member(Handle h, String orgId, String userId) {
        return h.createQuery("SELECT m.*, u.email, u.kind FROM memberships m JOIN users u ON u.id = m.user_id "
                        + "WHERE m.org_id = :org AND m.user_id = :user")
                .bind("org", orgId).bind("user", userId).map(AccountStore::toMember).findOne();
    }

    public List<Member> members(Handle h, String orgId) {
        return h.createQuery("SELECT m.*, u.email, u.kind FROM memberships m JOIN users u ON u.id = m.user_id "
                        + "WHERE m.org_id = :org ORDER BY m.created_at, m.user_id")
                .bind("org", orgId).map(AccountStore::toMember).list();
    }

    public long countOwners(Handle h, String orgId) {
        return h.createQuery("SELECT COUNT(*) FROM memberships WHERE org_id = :org AND role = 'owner'")
                .bind("org", orgId).mapTo(Long.class).one();
    }

    /** Removes the user from the organisation and from every workspace in it. */
    public void removeMember(Handle h, String orgId, String userId) {
        h.createUpdate("DELETE FROM workspace_members WHERE user_id = :user "
                        + "AND workspace_id IN (SELECT id FROM workspaces WHERE org_id = :org)")
                .bind("org", orgId).bind("user", userId).execute();
        h.createUpdate("DELETE FROM memberships WHERE org_id = :org AND user_id = :user")
                .bind("org", orgId).bind("user", userId).execute();
    }

    public void insertWorkspace(Handle h, Workspace w) {
        h.createUpdate("INSERT INTO workspaces (id, org_id, name, created_at) VALUES (:id, :org, :name, :at)")
                .bind("id", w.id()).bind("org", w.orgId()).bind("name", w.name())
                .bind("at", w.createdAt().toEpochMilli()).execute();
    }

    public Optional<Workspace> workspace(Handle h, String id) {
        return h.createQuery("SELECT * FROM workspaces WHERE id = :id").bind("id", id)
                .map(AccountStore::toWorkspace).findOne();
    }

    public List<Workspace> workspaces(Handle h, String orgId) {
        return h.createQuery("SELECT * FROM workspaces WHERE org_id = :org ORDER BY created_at, id")
                .bind("org", orgId).map(AccountStore::toWorkspace).list();
    }

    public void deleteWorkspace(Handle h, String id) {
        h.createUpdate("DELETE FROM workspace_members WHERE workspace_id = :id").bind("id", id).execute();
        h.createUpdate("DELETE FROM workspaces WHERE id = :id").bind("id", id).execute();
    }

    public void addWorkspaceMember(Handle h, String workspaceId, String userId, Instant at) {
        if (workspaceMembers(h, workspaceId).stream().noneMatch(m -> m.userId().equals(userId))) {
            h.createUpdate("INSERT INTO workspace_members (workspace_id, user_id, created_at) VALUES (:ws, :user, :at)")
                    .bind("ws", workspaceId).bind("user", userId).bind("at", at.toEpochMilli()).execute();
        }
    }

    public boolean removeWorkspaceMember(Handle h, String workspaceId, String userId) {
        return h.createUpdate("DELETE FROM workspace_members WHERE workspace_id = :ws AND user_id = :user")
                .bind("ws", workspaceId).bind("user", userId).execute() > 0;
    }

    public List<WorkspaceMember> workspaceMembers(Handle h, String workspaceId) {
        return h.createQuery("SELECT wm.*, u.email FROM workspace_members wm JOIN users u ON u.id = wm.user_id "
                        + "WHERE wm.workspace_id = :ws ORDER BY wm.created_at, wm.user_id")
                .bind("ws", workspaceId)
                .map((rs, ctx) -> new WorkspaceMember(rs.getString("workspace_id"), rs.getString("user_id"),
                        rs.getString("email"), instant(rs, "created_at").orElseThrow()))
                .list();
    }

    private static User toUser(ResultSet rs, StatementContext ctx) throws SQLException {
        return new User(rs.getString("id"), rs.getString("email"), Optional.ofNullable(rs.getString("name")),
                User.Kind.valueOf(rs.getString("kind").toUpperCase(java.util.Locale.ROOT)),
                Optional.ofNullable(rs.getString("service_org_id")), rs.getInt("instance_admin") == 1,
                instant(rs, "created_at").orElseThrow(), instant(rs, "disabled_at"));
    }

    private static Organization toOrganization(ResultSet rs, StatementContext ctx)
            throws SQLException {
        int max = rs.getInt("max_key_lifetime_days");
        Optional<Integer> maxDays = rs.wasNull() ? Optional.empty() : Optional.of(max);
        return new Organization(rs.getString("id"), rs.getString("name"), rs.getString("plan"),
                rs.getInt("one_key_per_user") == 1, maxDays, instant(rs, "created_at").orElseThrow(),
                instant(rs, "trial_ends_at"), instant(rs, "credits_purchased_at"));
    }

    private static Member toMember(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Member(rs.getString("org_id"), rs.getString("user_id"), rs.getString("email"),
                User.Kind.valueOf(rs.getString("kind").toUpperCase(java.util.Locale.ROOT)),
                Role.parse(rs.getString("role")).orElseThrow(), instant(rs, "created_at").orElseThrow());
    }

    private static Workspace toWorkspace(ResultSet rs, StatementContext ctx)
            throws SQLException {
        return new Workspace(rs.getString("id"), rs.getString("org_id"), rs.getString("name"),
                instant(rs, "created_at").orElseThrow());
    }
}
