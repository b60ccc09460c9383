package io.gatehouse.accounts;

import io.gatehouse.door.Role;
import io.gatehouse.accounts.Accounts.Invitation;
import io.gatehouse.accounts.Accounts.Member;
import io.gatehouse.accounts.Accounts.Organization;
import io.gatehouse.accounts.Accounts.User;
import io.gatehouse.audit.Actor;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.door.Principal;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.store.Database;
import io.gatehouse.store.Ids;
import io.gatehouse.store.Invalidation;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Tx;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * How a person joins an organization: with their consent. An owner or admin invites an email
 * address; the invitation's token is shown once, to the inviter, who passes it on; the person it
 * names accepts it once, with a credential of their own (their email must match), or, when no
 * account has that email yet, without one: the account is made then. Either way they get a first
 * key for the organization, shown once, with which they create the rest themselves.
 *
 * <p>The token is 190 random bits, stored as its SHA-256 only, and travels in request bodies, never
 * in a URL (where access logs and browser histories keep it).
 */
public final class InvitationService {
    static final String TOKEN_PREFIX = "gh_inv_";
    public static final Duration DEFAULT_TTL = Duration.ofDays(7);
    public static final Duration MAX_TTL = Duration.ofDays(30);

    private final Database db;
    private final Invalidations invalidations;
    private final AccountStore accounts;
    private final InvitationStore store;
    private final AccountService people;
    private final AuditLog audit;
    private final FirstKeys firstKeys;
    private final Clock clock;

    /**
     * Issues the first key of a member who just joined, in the transaction that adds them: no wider and no
     * longer-lived than the credential that invited them, which must still be able to invite. Implemented
     * by the keys capability; returns the key as the API shows it at creation, its secret included.
     */
    @FunctionalInterface
    public interface FirstKeys {
        Map<String, Object> issue(Tx tx, Actor actor, Invitation invitation, String userId);
    }

    /** A new invitation and its token, which is never shown again. */
    public record Invited(Invitation invitation, String token) {
        @Override
        public String toString() {
            return "Invited[" + invitation.id() + ", token=(hidden)]";
        }
    }

    /** What acceptance did: the membership, whether the account was made now, and the first key. */
    public record Accepted(Organization organization, Member member, boolean accountCreated,
                           Map<String, Object> firstKey) {
    }

    public InvitationService(Database db, Invalidations invalidations, AccountStore accounts, AccountService people,
                             AuditLog audit, FirstKeys firstKeys, Clock clock) {
        this.db = db;
        this.invalidations = invalidations;
        this.accounts = accounts;
        this.store = new InvitationStore();
        this.people = people;
        this.audit = audit;
        this.firstKeys = firstKeys;
        this.clock = clock;
    }

    public Invited invite(Principal caller, Actor actor, String orgId, String email, Role role, Set<String> workspaces,
                          Duration ttl) {
        people.organization(caller, orgId);
        AccountService.requireManager(caller, orgId);
        String normalized = AccountService.normalizeEmail(email);
        if (normalized.endsWith("@" + AccountService.SERVICE_DOMAIN)) {
            throw AccountService.serviceAccountElsewhere();
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw ApiError.invalid("expires_in_days: from 1 to " + MAX_TTL.toDays());
        }
        return Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            if (role == Role.OWNER && !callerIsOwner(h, caller, orgId)) {
                throw ApiError.forbidden("not_owner", "Only an owner can invite an owner");
            }
            Set<String> orgWorkspaces = Set.copyOf(accounts.workspaces(h, orgId).stream().map(w -> w.id()).toList());
            for (String ws : workspaces) {
                if (!orgWorkspaces.contains(ws)) {
                    throw ApiError.invalid("workspaces: '" + ws + "' is not a workspace of this organization");
                }
                // An invitation passes on no more than the inviting key reaches.
                if (!caller.operator() && !caller.identity().workspaces().allows(ws)) {
                    throw ApiError.forbidden("exceeds_reach", "workspaces: '" + ws + "' is outside your key's reach");
                }
            }
            Optional<User> existing = accounts.userByEmail(h, normalized);
            if (existing.isPresent() && accounts.member(h, orgId, existing.get().id()).isPresent()) {
                throw ApiError.of(ErrorCode.CONFLICT, "already_member", "This person is a member already");
            }
            Instant now = clock.instant();
            String token = TOKEN_PREFIX + Ids.random(32);
            Invitation invitation = new Invitation(Ids.next("inv"), orgId, normalized, role, Set.copyOf(workspaces), now,
                    actor.userId(), actor.credentialId(), now.plus(ttl), Optional.empty(), Optional.empty(),
                    Optional.empty());
            store.insert(h, invitation, hash(token));
            audit.record(h, actor, orgId, "invitation.created", "invitation", invitation.id(),
                    Map.of("email", normalized, "role", role.wire()));
            return new Invited(invitation, token);
        });
    }

    public List<Invitation> list(Principal caller, String orgId) {
        people.organization(caller, orgId);
        AccountService.requireManager(caller, orgId);
        return db.withHandle(h -> store.list(h, orgId));
    }

    public Invitation revoke(Principal caller, Actor actor, String orgId, String id) {
        people.organization(caller, orgId);
        AccountService.requireManager(caller, orgId);
        return Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            Invitation invitation = store.find(h, orgId, id).orElseThrow(() -> ApiError.notFound("invitation"));
            refuseUnlessPending(invitation, clock.instant());
            store.revoke(h, id, clock.instant());
            audit.record(h, actor, orgId, "invitation.revoked", "invitation", id, Map.of("email", invitation.email()));
            return store.find(h, orgId, id).orElseThrow();
        });
    }

    /**
     * Accepts the invitation {@code token} names.
     *
     * @param caller the person's own credential, if they sent one
     */
    public Accepted accept(Optional<Principal> caller, String token, String address, String requestId) {
        return accept(caller, token, Optional.empty(), address, requestId);
    }

    /**
     * Accepts with a password for the account the acceptance creates: the person's way to sign in
     * (never for an account that exists: a credential must not set a password that reaches further).
     */
    public Accepted accept(Optional<Principal> caller, String token, Optional<String> password, String address,
                           String requestId) {
        return acceptAs(caller.map(p -> new SignedIn(p.userId(), Actor.of(p, address, requestId))), token, password,
                address, requestId);
    }

    /** Someone who proved who they are: with a credential of theirs, or a browser session. */
    public record SignedIn(String userId, Actor actor) {
    }

    /** What an invitation page shows before it is accepted: which organization, as what, for whom. */
    public record Pending(Invitation invitation, String organizationName, boolean accountExists) {
    }

    /** The pending invitation {@code token} names, if it is one. */
    public Optional<Pending> pending(String token) {
        if (token == null || !token.startsWith(TOKEN_PREFIX) || token.length() > 128) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        return db.withHandle(h -> store.byTokenHash(h, hash(token))
                .filter(i -> i.state(now) == Invitation.State.PENDING)
                .map(i -> new Pending(i, accounts.organization(h, i.orgId()).map(o -> o.name()).orElse(""),
                        accounts.userByEmail(h, i.email()).isPresent())));
    }

    /**
     * Accepts as {@code who} (signed in: must be the person the invitation names), or, when nobody is
     * signed in, as the new account the invitation creates, with {@code password} if given.
     */
    public Accepted acceptAs(Optional<SignedIn> who, String token, Optional<String> password, String address,
                             String requestId) {
        // The password is hashed (tens of milliseconds) before the transaction, which would hold the
        // database's write lock meanwhile; only for a pending invitation, so a made-up token costs no hash.
        Optional<String> hashed = password.isPresent() && who.isEmpty()
                && pending(token).filter(p -> !p.accountExists()).isPresent()
                ? Optional.of(Passwords.hash(password.get())) : Optional.empty();
        return Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            Instant now = clock.instant();
            Invitation invitation = store.byTokenHash(h, hash(token))
                    .orElseThrow(() -> ApiError.notFound("invitation"));
            refuseUnlessPending(invitation, now);
            Optional<User> holder = accounts.userByEmail(h, invitation.email());
            User person;
            Actor actor;
            boolean created = false;
            if (who.isPresent()) {
                person = accounts.user(h, who.get().userId()).orElseThrow(() -> ApiError.forbidden("not_invitee",
                        "This invitation names another person"));
                if (person.service()) {
                    throw AccountService.serviceAccountElsewhere();
                }
                if (!person.email().equals(invitation.email())) {
                    throw ApiError.forbidden("not_invitee", "This invitation names another person");
                }
                actor = who.get().actor();
            } else if (holder.isPresent()) {
                if (password.isPresent()) {
                    throw ApiError.of(ErrorCode.CONFLICT, "account_exists",
                            "An account with this email exists: sign in, then accept the invitation");
                }
                // The token alone would let whoever holds it (the inviter, say) act as an existing person.
                throw ApiError.of(ErrorCode.CONFLICT, "account_exists",
                        "An account with this email exists: accept the invitation with one of its credentials");
            } else {
                String id = Ids.next("usr");
                actor = Actor.newcomer(id, address, requestId);
                person = people.createUser(h, actor, new User(id, invitation.email(), Optional.empty(),
                        User.Kind.PERSON, Optional.empty(), false, now, Optional.empty()));
                created = true;
                if (password.isPresent()) {
                    h.createUpdate("UPDATE users SET password_hash = :p WHERE id = :id")
                            .bind("p", hashed.orElseGet(() -> Passwords.hash(password.get()))).bind("id", id).execute();
                }
            }
            if (accounts.member(h, invitation.orgId(), person.id()).isPresent()) {
                throw ApiError.of(ErrorCode.CONFLICT, "already_member", "You are a member of this organization already");
            }
            if (!store.markAccepted(h, invitation.id(), person.id(), now)) {
                throw ApiError.of(ErrorCode.CONFLICT, "invitation_used", "This invitation has been used already");
            }
            try {
                accounts.upsertMember(h, invitation.orgId(), person.id(), invitation.role(), now);
            } catch (org.jdbi.v3.core.statement.UnableToExecuteStatementException raced) {
                // another acceptance by the same person, into the same organization, committed first
                throw ApiError.of(ErrorCode.CONFLICT, "already_member", "You are a member of this organization already");
            }
            Set<String> stillThere = Set.copyOf(accounts.workspaces(h, invitation.orgId()).stream().map(w -> w.id()).toList());
            for (String ws : invitation.workspaces()) {
                if (stillThere.contains(ws)) {
                    accounts.addWorkspaceMember(h, ws, person.id(), now);
                }
            }
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("role", invitation.role().wire());
            detail.put("invitation_id", invitation.id());
            audit.record(h, actor, invitation.orgId(), "invitation.accepted", "invitation", invitation.id(),
                    Map.of("user_id", person.id()));
            audit.record(h, actor, invitation.orgId(), "member.added", "user", person.id(), detail);
            tx.invalidate(new Invalidation.User(person.id()));
            Map<String, Object> key = firstKeys.issue(tx, actor, invitation, person.id());
            return new Accepted(accounts.organization(h, invitation.orgId()).orElseThrow(),
                    accounts.member(h, invitation.orgId(), person.id()).orElseThrow(), created, key);
        });
    }

    private static void refuseUnlessPending(Invitation invitation, Instant now) {
        switch (invitation.state(now)) {
            case ACCEPTED -> throw ApiError.of(ErrorCode.CONFLICT, "invitation_used",
                    "This invitation has been used already");
            case REVOKED -> throw ApiError.of(ErrorCode.GONE, "invitation_revoked", "This invitation was revoked");
            case EXPIRED -> throw ApiError.of(ErrorCode.GONE, "invitation_expired", "This invitation has expired");
            case PENDING -> {
                // may be accepted or revoked
            }
        }
    }

    private boolean callerIsOwner(Handle h, Principal caller, String orgId) {
        return caller.operator()
                || accounts.member(h, orgId, caller.userId()).map(m -> m.role() == Role.OWNER).orElse(false);
    }

    /** SHA-256 of a token: 190 random bits need no key nor slow hash. */
    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
