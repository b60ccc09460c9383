package io.gatehouse.accounts;

import io.gatehouse.door.Role;
import io.gatehouse.accounts.Accounts.Member;
import io.gatehouse.accounts.Accounts.Organization;
import io.gatehouse.accounts.Accounts.User;
import io.gatehouse.accounts.Accounts.Workspace;
import io.gatehouse.accounts.Accounts.WorkspaceMember;
import io.gatehouse.audit.Actor;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.Principal;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.store.Database;
import io.gatehouse.store.Ids;
import io.gatehouse.store.Invalidation;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Tx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Users, organisations, memberships and workspaces. Every operation checks what the caller may do;
 * every change is audited and invalidates the cached decisions it affects, here and on other nodes.
 */
public final class AccountService {
    private final Database db;
    private final Invalidations invalidations;
    private final AccountStore store;
    private final AuditLog audit;
    private final GatehouseConfig.Plans plans;
    private final Clock clock;

    public AccountService(Database db, Invalidations invalidations, AccountStore store, AuditLog audit,
                          GatehouseConfig.Plans plans, Clock clock) {
        this.db = db;
        this.invalidations = invalidations;
        this.store = store;
        this.audit = audit;
        this.plans = plans;
        this.clock = clock;
    }

    /** Change requests; an empty field is left as it is. */
    public record OrganizationChange(Optional<String> name, Optional<String> plan, Optional<Boolean> oneKeyPerUser,
                                     Optional<Optional<Integer>> maxKeyLifetimeDays,
                                     Optional<Optional<Instant>> trialEndsAt) {
    }

    // --- users -------------------------------------------------------------------------------

    public User createUser(Principal caller, Actor actor, String email, Optional<String> name) {
        requireOperator(caller);
        return tx(tx -> createUser(tx.handle(), actor, email, name, false));
    }

    /** Creates a person without a caller's check: for bootstrap, invitations and sign-in. */
    public User createUser(Handle h, Actor actor, String email, Optional<String> name, boolean operator) {
        return createUser(h, actor, new User(Ids.next("usr"), normalizeEmail(email), name, User.Kind.PERSON,
                Optional.empty(), operator, now(), Optional.empty()));
    }

    /** Stores a new user made by the caller (a service account, an invitee's account). */
    User createUser(Handle h, Actor actor, User user) {
        if (store.userByEmail(h, user.email()).isPresent()) {
            throw ApiError.of(ErrorCode.CONFLICT, "email_taken", "A user with this email already exists");
        }
        store.insertUser(h, user);
        audit.record(h, actor, user.serviceOrgId().orElse(null), "user.created", "user", user.id(),
                Map.of("email", user.email(), "kind", user.kind().wire()));
        return user;
    }

    /** Emails compare without case and surrounding space. */
    public static String normalizeEmail(String email) {
        return email.strip().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * A service account: a user the organization owns for its automation. It belongs to this one
     * organization, never signs in, and cannot join another; its owners and admins issue its keys.
     */
    public User createServiceAccount(Principal caller, Actor actor, String orgId, String name, Role role) {
        organization(caller, orgId);
        requireManager(caller, orgId);
        if (role == Role.OWNER) {
            throw ApiError.invalid("role: a service account is a member or an admin, never an owner");
        }
        return tx(tx -> {
            Handle h = tx.handle();
            String id = Ids.next("usr");
            // A service account has no mailbox: a reserved domain (RFC 2606) that no invitation may name.
            User user = createUser(h, actor, new User(id, id.toLowerCase(java.util.Locale.ROOT) + "@" + SERVICE_DOMAIN,
                    Optional.of(name), User.Kind.SERVICE, Optional.of(orgId), false, now(), Optional.empty()));
            store.upsertMember(h, orgId, id, role, now());
            audit.record(h, actor, orgId, "member.added", "user", id, Map.of("role", role.wire(), "kind", "service"));
            return user;
        });
    }

    /** Service accounts' emails end with this: {@code .invalid} can never be a real address. */
    public static final String SERVICE_DOMAIN = "service.invalid";

    public List<User> users(Principal caller) {
        if (caller.operator()) {
            return db.withHandle(store::users);
        }
        return db.withHandle(h -> store.members(h, caller.orgId()).stream()
                .map(m -> store.user(h, m.userId()).orElseThrow()).toList());
    }

    public User user(Principal caller, String id) {
        return db.withHandle(h -> {
            User user = store.user(h, id).orElseThrow(() -> ApiError.notFound("user"));
            boolean visible = caller.operator() || caller.userId().equals(id)
                    || store.member(h, caller.orgId(), id).isPresent();
            if (!visible) {
                throw ApiError.notFound("user");
            }
            return user;
        });
    }

    public User setDisabled(Principal caller, Actor actor, String id, boolean disabled) {
        requireOperator(caller);
        if (disabled && caller.userId().equals(id)) {
            throw ApiError.of(ErrorCode.CONFLICT, "self", "You cannot disable yourself");
        }
        return tx(tx -> {
            store.user(tx.handle(), id).orElseThrow(() -> ApiError.notFound("user"));
            store.setUserDisabled(tx.handle(), id, disabled ? Optional.of(now()) : Optional.empty());
            audit.record(tx.handle(), actor, null, disabled ? "user.disabled" : "user.enabled", "user", id, Map.of());
            tx.invalidate(new Invalidation.User(id));
            return store.user(tx.handle(), id).orElseThrow();
        });
    }

    /**
     * Gives a person a password to sign in with, as the operator on this machine (the demo does, for
     * its demo user): an operator act, audited. No API does this for another person.
     */
    public void setPasswordAsOperator(Actor actor, String userId, String password) {
        String weakness = Passwords.weakness(password);
        if (weakness != null) {
            throw ApiError.invalid("password: " + weakness);
        }
        tx(tx -> {
            User user = store.user(tx.handle(), userId).orElseThrow(() -> ApiError.notFound("user"));
            if (user.service()) {
                throw ApiError.invalid("a service account never signs in");
            }
            tx.handle().createUpdate("UPDATE users SET password_hash = :p WHERE id = :id")
                    .bind("p", Passwords.hash(password)).bind("id", userId).execute();
            audit.record(tx.handle(), actor, null, "user.password_set", "user", userId, Map.of());
            return null;
        });
    }

    /**
     * A person's first sign-in at an OpenID provider: their account, linked to (issuer, subject), and
     * a personal organization on the default plan that they own (DESIGN §2). Refused when the email
     * has an account already: that account was made another way, and nothing links it to this
     * provider's account unasked.
     */
    public User createFederatedPerson(String issuer, String subject, String email, Optional<String> name,
                                      String address, String requestId) {
        return tx(tx -> {
            Handle h = tx.handle();
            String id = Ids.next("usr");
            Actor actor = Actor.newcomer(id, address, requestId);
            User person = createUser(h, actor, new User(id, normalizeEmail(email), name, User.Kind.PERSON,
                    Optional.empty(), false, now(), Optional.empty()));
            h.createUpdate("INSERT INTO user_identities (issuer, subject, user_id, email, created_at) "
                            + "VALUES (:iss, :sub, :user, :email, :at)")
                    .bind("iss", issuer).bind("sub", subject).bind("user", id).bind("email", person.email())
                    .bind("at", now().toEpochMilli()).execute();
            String orgName = name.filter(n -> !n.isBlank()).orElse(person.email()) + "'s organization";
            Organization org = createOrganization(h, actor, orgName.length() > 200 ? orgName.substring(0, 200) : orgName,
                    plans.defaultPlan());
            store.upsertMember(h, org.id(), id, Role.OWNER, now());
            audit.record(h, actor, org.id(), "member.added", "user", id, Map.of("role", Role.OWNER.wire()));
            return person;
        });
    }

    /** The person linked to (issuer, subject), if any. */
    public Optional<User> federatedPerson(String issuer, String subject) {
        return db.withHandle(h -> h.createQuery("SELECT user_id FROM user_identities WHERE issuer = :iss AND subject = :sub")
                .bind("iss", issuer).bind("sub", subject).mapTo(String.class).findOne()
                .flatMap(id -> store.user(h, id)));
    }

    /** The account with this email, if any. */
    public Optional<User> userByEmail(String email) {
        return db.withHandle(h -> store.userByEmail(h, normalizeEmail(email)));
    }

    // --- organisations -----------------------------------------------------------------------

    public Organization createOrganization(Principal caller, Actor actor, String name, Optional<String> plan,
                                           Optional<String> ownerUserId) {
        requireOperator(caller);
        String planName = plan.orElse(plans.defaultPlan());
        requirePlan(planName);
        return tx(tx -> {
            Organization org = createOrganization(tx.handle(), actor, name, planName);
            if (ownerUserId.isPresent()) {
                User owner = store.user(tx.handle(), ownerUserId.get())
                        .orElseThrow(() -> ApiError.invalid("owner_user_id: no such user"));
                if (owner.service()) {
                    throw serviceAccountElsewhere();
                }
                store.upsertMember(tx.handle(), org.id(), ownerUserId.get(), Role.OWNER, now());
                audit.record(tx.handle(), actor, org.id(), "member.added", "user", ownerUserId.get(),
                        Map.of("role", "owner"));
                tx.invalidate(new Invalidation.User(ownerUserId.get()));
            }
            return org;
        });
    }

    /** Creates an organisation without a caller's check: for bootstrap and sign-in. */
    public Organization createOrganization(Handle h, Actor actor, String name, String plan) {
        Organization org = new Organization(Ids.next("org"), name, plan, false, Optional.empty(), now(),
                trialEnd(plan), Optional.empty());
        store.insertOrganization(h, org);
        audit.record(h, actor, org.id(), "organization.created", "organization", org.id(),
                Map.of("name", name, "plan", plan));
        return org;
    }

    public List<Organization> organizations(Principal caller) {
        return db.withHandle(h -> caller.operator() ? store.organizations(h)
                : store.organization(h, caller.orgId()).stream().toList());
    }

    public Organization organization(Principal caller, String id) {
        if (!caller.canRead(id)) {
            throw ApiError.notFound("organization");
        }
        return db.withHandle(h -> store.organization(h, id)).orElseThrow(() -> ApiError.notFound("organization"));
    }

    public Organization updateOrganization(Principal caller, Actor actor, String id, OrganizationChange change) {
        Organization current = organization(caller, id);
        requireManager(caller, id);
        Optional<Instant> trialEndsAt = current.trialEndsAt();
        if (change.plan().isPresent() && !change.plan().get().equals(current.plan())) {
            // The plan is what the operator sells: only an operator changes it.
            requireOperator(caller);
            requirePlan(change.plan().get());
            trialEndsAt = trialEnd(change.plan().get()); // a new plan starts its own trial, or none
        }
        if (change.trialEndsAt().isPresent()) {
            requireOperator(caller); // ending or extending a trial is a commercial decision too
            trialEndsAt = change.trialEndsAt().get();
        }
        Organization updated = new Organization(id, change.name().orElse(current.name()),
                change.plan().orElse(current.plan()), change.oneKeyPerUser().orElse(current.oneKeyPerUser()),
                change.maxKeyLifetimeDays().orElse(current.maxKeyLifetimeDays()), current.createdAt(), trialEndsAt,
                current.creditsPurchasedAt());
        return tx(tx -> {
            store.updateOrganization(tx.handle(), updated);
            audit.record(tx.handle(), actor, id, "organization.updated", "organization", id, Map.of(
                    "plan", updated.plan(), "one_key_per_user", updated.oneKeyPerUser(),
                    "max_key_lifetime_days", updated.maxKeyLifetimeDays().map(Object::toString).orElse("none"),
                    "trial_ends_at", updated.trialEndsAt().map(Instant::toString).orElse("none")));
            tx.invalidate(new Invalidation.Organization(id));
            return updated;
        });
    }

    // --- members -----------------------------------------------------------------------------

    public List<Member> members(Principal caller, String orgId) {
        organization(caller, orgId);
        return db.withHandle(h -> store.members(h, orgId));
    }

    /**
     * Changes a member's role. Only owners make owners. Adding someone who is not a member needs their
     * consent, so only an operator may do it here; everyone else invites ({@link InvitationService}).
     */
    public Member putMember(Principal caller, Actor actor, String orgId, String userId, Role role) {
        organization(caller, orgId);
        requireManager(caller, orgId);
        return tx(tx -> {
            Handle h = tx.handle();
            Optional<Member> existing = store.member(h, orgId, userId);
            if (existing.isEmpty() && !caller.operator()) {
                // Not "no such user": whether an id is a user elsewhere is not this organization's to learn.
                throw ApiError.forbidden("invitation_required",
                        "Only members' roles can be changed here; invite a person to add them");
            }
            User user = store.user(h, userId).orElseThrow(() -> ApiError.notFound("user"));
            if (user.service() && !user.serviceOrgId().orElse("").equals(orgId)) {
                throw serviceAccountElsewhere();
            }
            if (user.service() && role == Role.OWNER) {
                throw ApiError.invalid("role: a service account is a member or an admin, never an owner");
            }
            boolean callerIsOwner = caller.operator()
                    || store.member(h, orgId, caller.userId()).map(m -> m.role() == Role.OWNER).orElse(false);
            boolean touchesOwner = role == Role.OWNER || existing.map(m -> m.role() == Role.OWNER).orElse(false);
            if (touchesOwner && !callerIsOwner) {
                throw ApiError.forbidden("not_owner", "Only an owner can make or unmake owners");
            }
            if (existing.map(m -> m.role() == Role.OWNER).orElse(false) && role != Role.OWNER
                    && store.countOwners(h, orgId) == 1) {
                throw ApiError.of(ErrorCode.CONFLICT, "last_owner", "An organization keeps at least one owner");
            }
            store.upsertMember(h, orgId, userId, role, now());
            audit.record(h, actor, orgId, existing.isPresent() ? "member.role_changed" : "member.added", "user",
                    userId, Map.of("role", role.wire()));
            tx.invalidate(new Invalidation.User(userId));
            return store.member(h, orgId, userId).orElseThrow();
        });
    }

    /** Removes a member (a member may also leave): their keys of this organisation stop working at once. */
    public void removeMember(Principal caller, Actor actor, String orgId, String userId) {
        organization(caller, orgId);
        if (!caller.userId().equals(userId)) {
            requireManager(caller, orgId);
        }
        tx(tx -> {
            Handle h = tx.handle();
            Member member = store.member(h, orgId, userId).orElseThrow(() -> ApiError.notFound("member"));
            if (member.role() == Role.OWNER) {
                boolean callerIsOwner = caller.operator() || caller.userId().equals(userId)
                        || store.member(h, orgId, caller.userId()).map(m -> m.role() == Role.OWNER).orElse(false);
                if (!callerIsOwner) {
                    throw ApiError.forbidden("not_owner", "Only an owner can remove an owner");
                }
                if (store.countOwners(h, orgId) == 1) {
                    throw ApiError.of(ErrorCode.CONFLICT, "last_owner", "An organization keeps at least one owner");
                }
            }
            store.removeMember(h, orgId, userId);
            audit.record(h, actor, orgId, "member.removed", "user", userId, Map.of());
            tx.invalidate(new Invalidation.User(userId));
            return null;
        });
    }

    // --- workspaces --------------------------------------------------------------------------

    public Workspace createWorkspace(Principal caller, Actor actor, String orgId, String name) {
        organization(caller, orgId);
        requireManager(caller, orgId);
        return tx(tx -> {
            Handle h = tx.handle();
            Workspace ws = new Workspace(Ids.next("ws"), orgId, name, now());
            store.insertWorkspace(h, ws);
            if (store.member(h, orgId, caller.userId()).isPresent()) {
                store.addWorkspaceMember(h, ws.id(), caller.userId(), now());
                tx.invalidate(new Invalidation.User(caller.userId()));
            }
            audit.record(h, actor, orgId, "workspace.created", "workspace", ws.id(), Map.of("name", name));
            return ws;
        });
    }

    public List<Workspace> workspaces(Principal caller, String orgId) {
        organization(caller, orgId);
        return db.withHandle(h -> store.workspaces(h, orgId));
    }

    public Workspace workspace(Principal caller, String id) {
        Workspace ws = db.withHandle(h -> store.workspace(h, id)).orElseThrow(() -> ApiError.notFound("workspace"));
        if (!caller.canRead(ws.orgId())) {
            throw ApiError.notFound("workspace");
        }
        return ws;
    }

    public void deleteWorkspace(Principal caller, Actor actor, String id) {
        Workspace ws = workspace(caller, id);
        requireManager(caller, ws.orgId());
        tx(tx -> {
            store.deleteWorkspace(tx.handle(), id);
            audit.record(tx.handle(), actor, ws.orgId(), "workspace.deleted", "workspace", id, Map.of());
            tx.invalidate(new Invalidation.Organization(ws.orgId()));
            return null;
        });
    }

    public List<WorkspaceMember> workspaceMembers(Principal caller, String workspaceId) {
        workspace(caller, workspaceId);
        return db.withHandle(h -> store.workspaceMembers(h, workspaceId));
    }

    public WorkspaceMember addWorkspaceMember(Principal caller, Actor actor, String workspaceId, String userId) {
        Workspace ws = workspace(caller, workspaceId);
        requireManager(caller, ws.orgId());
        return tx(tx -> {
            Handle h = tx.handle();
            if (store.member(h, ws.orgId(), userId).isEmpty()) {
                throw ApiError.of(ErrorCode.CONFLICT, "not_member",
                        "The user must be a member of the workspace's organization first");
            }
            store.addWorkspaceMember(h, workspaceId, userId, now());
            audit.record(h, actor, ws.orgId(), "workspace.member_added", "workspace", workspaceId,
                    Map.of("user_id", userId));
            tx.invalidate(new Invalidation.User(userId));
            return store.workspaceMembers(h, workspaceId).stream()
                    .filter(m -> m.userId().equals(userId)).findFirst().orElseThrow();
        });
    }

    /** Removes a user from a workspace: their keys stop reaching it at once. */
    public void removeWorkspaceMember(Principal caller, Actor actor, String workspaceId, String userId) {
        Workspace ws = workspace(caller, workspaceId);
        if (!caller.userId().equals(userId)) {
            requireManager(caller, ws.orgId());
        }
        tx(tx -> {
            if (!store.removeWorkspaceMember(tx.handle(), workspaceId, userId)) {
                throw ApiError.notFound("workspace member");
            }
            audit.record(tx.handle(), actor, ws.orgId(), "workspace.member_removed", "workspace", workspaceId,
                    Map.of("user_id", userId));
            tx.invalidate(new Invalidation.User(userId));
            return null;
        });
    }

    // --- shared checks -----------------------------------------------------------------------

    static void requireOperator(Principal caller) {
        if (!caller.operator()) {
            throw ApiError.forbidden("not_operator", "Only an operator credential can do this");
        }
    }

    static ApiError serviceAccountElsewhere() {
        return ApiError.of(ErrorCode.CONFLICT, "service_account",
                "A service account belongs to its own organization only");
    }

    static void requireManager(Principal caller, String orgId) {
        if (!caller.canManage(orgId)) {
            throw ApiError.forbidden("not_org_admin", "Only an owner or admin of the organization can do this");
        }
    }

    /** When a trial on {@code plan} that starts now ends: empty for a plan that is not a trial. */
    private Optional<Instant> trialEnd(String plan) {
        return plans.find(plan).flatMap(GatehouseConfig.Plan::trialDays).map(d -> now().plus(Duration.ofDays(d)));
    }

    private void requirePlan(String plan) {
        if (plans.find(plan).isEmpty()) {
            throw ApiError.invalid("plan: no plan named '" + plan + "' is configured");
        }
    }

    private <R> R tx(Tx.Work<R> work) {
        return Tx.run(db, invalidations, work);
    }

    private Instant now() {
        return clock.instant();
    }
}
