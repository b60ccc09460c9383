package io.gatehouse.keys;

import io.gatehouse.accounts.AccountStore;
import io.gatehouse.accounts.Accounts.Organization;
import io.gatehouse.accounts.Accounts.User;
import io.gatehouse.door.Role;
import io.gatehouse.audit.Actor;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Targets;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.keys.KeyRequests.Create;
import io.gatehouse.keys.KeyRequests.Expiry;
import io.gatehouse.keys.KeyRequests.Import;
import io.gatehouse.keys.KeyRequests.Issued;
import io.gatehouse.store.Database;
import io.gatehouse.store.Ids;
import io.gatehouse.store.Invalidation;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Tx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.jdbi.v3.core.Handle;

/**
 * Creating, listing, revoking, renewing, rolling, deleting and importing API keys, under one rule: a
 * credential never creates or obtains a credential with more reach than its own ({@link KeyReach}), nor
 * one owned by another person. So a person makes their own keys (with {@code keys:self} or
 * {@code admin:write}); an organization's owners and admins list and revoke its members' keys and make
 * keys for its service accounts only; operator credentials act for the whole instance. Who may do
 * what is {@link KeyAccess}'s to say. Every change is audited and takes effect at once on every node.
 */
public final class KeyService {
    private final Database db;
    private final Invalidations invalidations;
    private final KeyStore keys;
    private final AccountStore accounts;
    private final AuditLog audit;
    private final KeyFormat format;
    private final KeyHasher hasher;
    private final Duration maxRollGrace;
    private final Clock clock;
    private final KeyAccess access;
    private final GatehouseConfig.Plans plans;

    public KeyService(Database db, Invalidations invalidations, KeyStore keys, AccountStore accounts, AuditLog audit,
                      KeyFormat format, KeyHasher hasher, Duration maxRollGrace, GatehouseConfig.Plans plans,
                      Clock clock) {
        this.plans = plans;
        this.db = db;
        this.invalidations = invalidations;
        this.keys = keys;
        this.accounts = accounts;
        this.audit = audit;
        this.format = format;
        this.hasher = hasher;
        this.maxRollGrace = maxRollGrace;
        this.clock = clock;
        this.access = new KeyAccess(keys, accounts, clock);
    }

    public Issued create(Principal caller, Actor actor, Create request) {
        String orgId = request.orgId().orElse(caller.orgId());
        String userId = request.userId().orElse(caller.userId());
        return Tx.run(db, invalidations, tx -> {
            access.mayMakeKeyFor(tx.handle(), caller, orgId, userId, request.kind());
            if (request.kind() != ApiKey.Kind.OPERATOR && reachesDataPlane(request)) {
                requireEntitled(accounts.organization(tx.handle(), orgId)
                        .orElseThrow(() -> ApiError.notFound("organization")));
            }
            Create within = KeyReach.within(caller, request);
            return issue(tx, actor, orgId, userId, within, Optional.empty(), caller, true);
        });
    }

    /**
     * The first key of a person who just joined {@code orgId} by invitation: what they need to make the
     * rest themselves ({@code keys:self}), the data plane, and management if their role manages. An
     * invitation carries the inviting credential's reach, no more: the key is cut to that credential's
     * workspaces, servers, tools, permissions and expiry, and the credential must still be able to
     * invite to that role now (not revoked or expired, its owner still an owner or admin).
     *
     * @param inviterKeyId the inviting credential; empty or an operator's: no cut
     */
    public Issued firstKey(Tx tx, Actor actor, String orgId, String userId, Role role, Optional<String> inviterKeyId) {
        Set<String> permissions = new java.util.TreeSet<>(Permissions.DEFAULT_DATA_PLANE);
        permissions.add(Permissions.KEYS_SELF);
        if (role == Role.OWNER || role == Role.ADMIN) {
            permissions.addAll(Set.of(Permissions.ADMIN_READ, Permissions.ADMIN_WRITE));
        }
        Create wanted = Create.of("first key (invitation)", ApiKey.Kind.STANDARD, userId, orgId, Targets.ALL,
                Targets.ALL, Targets.ALL, permissions, new Expiry.Default());
        Optional<Principal> inviter = inviterKeyId.flatMap(id -> access.inviter(tx.handle(), id, orgId, role));
        if (inviter.isEmpty()) {
            return issue(tx, actor, orgId, userId, wanted, Optional.empty());
        }
        Principal by = inviter.get();
        Set<String> passed = new java.util.TreeSet<>(permissions);
        passed.removeIf(p -> !by.may(p) && !p.equals(Permissions.KEYS_SELF));
        Create within = KeyReach.within(by, new Create(wanted.name(), ApiKey.Kind.STANDARD, wanted.userId(),
                wanted.orgId(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(passed),
                Optional.empty(), new Expiry.Default()));
        return issue(tx, actor, orgId, userId, within, Optional.empty(), by, false);
    }

    /**
     * Makes a key for the operator (bootstrap, an invitee's first key): the owner and scope are still
     * checked, not a caller's reach. With the organisation's one-key-per-user rule, the owner's other
     * standard keys die at once.
     */
    public Issued issue(Tx tx, Actor actor, String orgId, String userId, Create request, Optional<String> rolledFrom) {
        return issue(tx, actor, orgId, userId, request, rolledFrom, null, false);
    }

    /**
     * @param caller       whose expiry caps the new key's; null for none (the operator, a key renewing itself)
     * @param refuseLonger whether an explicit expiry past the caller's is refused rather than capped
     */
    private Issued issue(Tx tx, Actor actor, String orgId, String userId, Create request, Optional<String> rolledFrom,
                         Principal caller, boolean refuseLonger) {
        Handle h = tx.handle();
        Instant now = clock.instant();
        Organization org = rules(accounts.organization(h, orgId).orElseThrow(() -> ApiError.notFound("organization")));
        User owner = accounts.user(h, userId).orElseThrow(() -> ApiError.notFound("user"));
        Role role = accounts.member(h, orgId, userId).map(m -> m.role()).orElseThrow(() ->
                ApiError.of(ErrorCode.CONFLICT, "not_member", "The key's owner must be a member of the organization"));
        Targets workspaces = request.workspaces().orElse(Targets.ALL);
        Set<String> permissions = request.permissions().orElse(Permissions.DEFAULT_DATA_PLANE);
        access.checkScope(h, org, owner, role, request.kind(), workspaces, permissions);
        Optional<io.gatehouse.limits.Rate> rateLimit = request.rateLimit().flatMap(r -> r);
        if (request.kind() == ApiKey.Kind.OPERATOR && rateLimit.isPresent()) {
            throw ApiError.invalid("rate_limit: an operator key is never rate-limited, so it cannot have a rate limit");
        }
        // stored in milliseconds: the answer that makes the key says what every later read will say
        Optional<Instant> expiresAt = expiry(org, request.expiry(), now).map(at -> at.truncatedTo(ChronoUnit.MILLIS));
        if (caller != null) {
            expiresAt = KeyReach.expiry(caller, expiresAt, refuseLonger && !(request.expiry() instanceof Expiry.Default));
        }
        if (request.kind() == ApiKey.Kind.OPERATOR && !owner.operator()) {
            accounts.markOperator(h, owner.id());
            audit.record(h, actor, null, "user.operator_granted", "user", owner.id(), Map.of());
        }

        if (org.oneKeyPerUser() && rolledFrom.isEmpty() && request.kind() == ApiKey.Kind.STANDARD) {
            for (ApiKey old : keys.liveStandardKeys(h, orgId, userId, now)) {
                keys.revoke(h, old.id(), now, "renewed");
                tx.invalidate(new Invalidation.Credential(keys.hashOf(h, old.id())));
                audit.record(h, actor, orgId, "key.revoked", "key", old.id(), Map.of("reason", "renewed",
                        "masked", old.masked()));
            }
        }
        Optional<Integer> maxKeys = plans.find(org.plan()).flatMap(GatehouseConfig.Plan::maxKeys);
        if (maxKeys.isPresent() && rolledFrom.isEmpty() && request.kind() != ApiKey.Kind.OPERATOR
                && keys.countLiveKeys(h, orgId, now) >= maxKeys.get()) {
            throw ApiError.forbidden("key_limit_reached", "Your organization's plan allows at most " + maxKeys.get()
                    + " API keys; revoke one to make another");
        }
        String plaintext = format.generate();
        String hash = hasher.hash(plaintext);
        ApiKey key = new ApiKey(Ids.next("key"), orgId, userId, request.name(), request.kind(),
                format.displayPrefix(plaintext), Optional.of(KeyFormat.last4(plaintext)), workspaces,
                request.servers().orElse(Targets.ALL), request.tools().orElse(Targets.ALL), permissions, rateLimit, now,
                actor.userId(), expiresAt, Optional.empty(), Optional.empty(), Optional.empty(), rolledFrom, false,
                Optional.empty(), Optional.empty(), 0);
        keys.insert(h, key, hash);
        tx.invalidate(new Invalidation.Credential(hash)); // drops a negative cache entry, however unlikely
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("name", key.name());
        detail.put("kind", key.kind().wire());
        detail.put("masked", key.masked());
        detail.put("user_id", userId);
        rolledFrom.ifPresent(r -> detail.put("rolled_from", r));
        rateLimit.ifPresent(r -> detail.put("rate_limit", r.toString()));
        audit.record(h, actor, orgId, "key.created", "key", key.id(), detail);
        return new Issued(key, plaintext);
    }

    /**
     * Keys the caller may see: their own (with {@code keys:self} or {@code admin:read}); every key of
     * their organization for its owners and admins ({@code admin:read}); any for an operator.
     */
    public List<ApiKey> list(Principal caller, KeyRequests.ListQuery query) {
        Optional<String> orgId = query.orgId().or(() -> caller.operator() ? Optional.empty()
                : Optional.of(caller.orgId()));
        if (orgId.isPresent() && !caller.canRead(orgId.get())) {
            throw ApiError.notFound("organization");
        }
        boolean seesAll = orgId.map(caller::canManage).orElse(caller.operator()) && caller.may(Permissions.ADMIN_READ);
        if (!seesAll) {
            caller.requireAny(Permissions.KEYS_SELF, Permissions.ADMIN_READ);
            if (query.userId().isPresent() && !query.userId().get().equals(caller.userId())) {
                throw ApiError.forbidden("not_org_admin", "Only an owner or admin can list other members' keys");
            }
        }
        Optional<String> userId = seesAll ? query.userId() : Optional.of(caller.userId());
        List<ApiKey> listed = db.withHandle(h -> keys.list(h, new KeyStore.ListFilter(orgId, userId, false)));
        if (caller.operator()) {
            return listed;
        }
        // operator keys are listed to operators and to their owners only
        return listed.stream().filter(k -> k.kind() != ApiKey.Kind.OPERATOR || k.userId().equals(caller.userId())).toList();
    }

    public ApiKey get(Principal caller, String id) {
        return db.withHandle(h -> access.visible(h, caller, id, Permissions.ADMIN_READ));
    }

    public ApiKey revoke(Principal caller, Actor actor, String id) {
        return Tx.run(db, invalidations, tx -> {
            ApiKey key = access.visible(tx.handle(), caller, id, Permissions.ADMIN_WRITE);
            if (key.revokedAt().isEmpty()) {
                keys.revoke(tx.handle(), id, clock.instant(), "revoked");
                tx.invalidate(new Invalidation.Credential(keys.hashOf(tx.handle(), id)));
                audit.record(tx.handle(), actor, key.orgId(), "key.revoked", "key", id,
                        Map.of("reason", "revoked", "masked", key.masked()));
            }
            return keys.find(tx.handle(), id).orElseThrow();
        });
    }

    /** A new secret; the old one dies now. */
    public Issued renew(Principal caller, Actor actor, String id) {
        return replace(caller, actor, id, Duration.ZERO);
    }

    /** A new secret; the old one keeps working for {@code grace}, then expires. */
    public Issued roll(Principal caller, Actor actor, String id, Duration grace) {
        if (grace.isNegative() || grace.isZero() || grace.compareTo(maxRollGrace) > 0) {
            throw ApiError.invalid("grace_seconds: must be between 1 and " + maxRollGrace.toSeconds());
        }
        return replace(caller, actor, id, grace);
    }

    /**
     * Renewing or rolling hands out a new secret, so only who could make that key may do it: its owner,
     * an admin for a service account's key, an operator; never an admin for a person's key. The copy
     * keeps the old key's reach, which must lie within the caller's; it ends when the old key would have
     * (an operator's renewal gives a new term of the same length), and never after the caller's own expiry.
     * A key that was already renewed or rolled (its successor made) cannot be again: one successor each.
     */
    private Issued replace(Principal caller, Actor actor, String id, Duration grace) {
        return Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            ApiKey old = access.visible(h, caller, id, Permissions.ADMIN_WRITE);
            Instant now = clock.instant();
            if (old.kind() == ApiKey.Kind.LEGACY) {
                throw ApiError.of(ErrorCode.CONFLICT, "legacy_key",
                        "Legacy keys cannot be renewed; create a scoped key and revoke this one");
            }
            if (old.state(now) != ApiKey.State.ACTIVE) {
                throw ApiError.of(ErrorCode.CONFLICT, "not_active", "Only an active key can be renewed or rolled");
            }
            if (keys.hasSuccessor(h, old.id())) {
                // a rolled key lives on for its grace period: rolling it again would multiply live keys
                throw ApiError.of(ErrorCode.CONFLICT, "already_replaced",
                        "This key was renewed or rolled already; renew or roll the key that replaced it");
            }
            access.mayMakeKeyFor(h, caller, old.orgId(), old.userId(), old.kind());
            Organization org = rules(accounts.organization(h, old.orgId()).orElseThrow());
            // An operator renews for a new term of the same length; anyone else replaces the secret only,
            // and the new key ends when the old one would have: renewing never makes a key live longer.
            Expiry expiry = caller.operator()
                    ? old.expiresAt().<Expiry>map(at -> new Expiry.At(now.plus(Duration.between(old.createdAt(), at))))
                            .orElse(new Expiry.Never())
                    : old.expiresAt().<Expiry>map(Expiry.At::new).orElse(new Expiry.Never());
            if (org.maxKeyLifetimeDays().isPresent() && (caller.operator() || old.expiresAt().isEmpty())) {
                expiry = new Expiry.Default();
            }
            Create request = KeyReach.within(caller, Create.of(old.name(), old.kind(), old.userId(), old.orgId(),
                    old.workspaces(), old.servers(), old.tools(), old.permissions(), expiry)
                    .withRateLimit(old.rateLimit()));
            Issued issued = issue(tx, actor, old.orgId(), old.userId(), request, Optional.of(old.id()), caller, false);
            if (grace.isZero()) {
                keys.revoke(h, id, now, "renewed");
                audit.record(h, actor, old.orgId(), "key.renewed", "key", id, Map.of("replaced_by", issued.key().id()));
            } else {
                keys.expireAt(h, id, now.plus(grace));
                audit.record(h, actor, old.orgId(), "key.rolled", "key", id, Map.of("replaced_by", issued.key().id(),
                        "grace_seconds", grace.toSeconds()));
            }
            tx.invalidate(new Invalidation.Credential(keys.hashOf(h, id)));
            return issued;
        });
    }

    /** Revokes the key and hides it from lists; its record stays for the audit trail. */
    public void delete(Principal caller, Actor actor, String id) {
        Tx.run(db, invalidations, tx -> {
            ApiKey key = access.visible(tx.handle(), caller, id, Permissions.ADMIN_WRITE);
            Instant now = clock.instant();
            keys.revoke(tx.handle(), id, now, "deleted");
            keys.markDeleted(tx.handle(), id, now);
            tx.invalidate(new Invalidation.Credential(keys.hashOf(tx.handle(), id)));
            audit.record(tx.handle(), actor, key.orgId(), "key.deleted", "key", id, Map.of("masked", key.masked()));
            return null;
        });
    }

    /**
     * Brings keys from another system by their SHA-256 hashes, so their holders need not rotate. Whoever
     * imports a hash may know its secret, so the rules of making a key apply: an operator imports any
     * (legacy keys too); an owner or admin imports standard keys for themselves and their service
     * accounts, within their own key's reach.
     */
    public List<ApiKey> importKeys(Principal caller, Actor actor, List<Import> requests) {
        return Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            List<ApiKey> imported = new java.util.ArrayList<>();
            for (Import r : requests) {
                String orgId = r.orgId().orElse(caller.orgId());
                String userId = r.userId().orElse(caller.userId());
                if (!caller.canManage(orgId) || !caller.may(Permissions.ADMIN_WRITE)) {
                    throw ApiError.forbidden("not_org_admin", "Only an owner or admin can import keys");
                }
                access.mayMakeKeyFor(h, caller, orgId, userId, r.kind());
                Organization org = rules(accounts.organization(h, orgId).orElseThrow(() -> ApiError.notFound("organization")));
                User owner = accounts.user(h, userId).orElseThrow(() -> ApiError.notFound("user"));
                Role role = accounts.member(h, orgId, userId).map(m -> m.role()).orElseThrow(() -> ApiError.of(
                        ErrorCode.CONFLICT, "not_member", "The key's owner must be a member of the organization"));
                boolean legacy = r.kind() == ApiKey.Kind.LEGACY;
                Create scope = KeyReach.within(caller, new Create(r.name(), ApiKey.Kind.STANDARD, Optional.of(userId),
                        Optional.of(orgId), Optional.of(legacy ? Targets.ALL : r.workspaces()),
                        Optional.of(legacy ? Targets.ALL : r.servers()), Optional.of(legacy ? Targets.ALL : r.tools()),
                        legacy ? Optional.of(Permissions.DEFAULT_DATA_PLANE) : r.permissions(), Optional.empty(),
                        new Expiry.Default()));
                Set<String> permissions = scope.permissions().orElseThrow();
                access.checkScope(h, org, owner, role, r.kind(), scope.workspaces().orElseThrow(), permissions);
                Optional<Instant> expiresAt = KeyReach.expiry(caller, r.expiresAt(), true);
                if (r.createdAt().filter(c -> c.isAfter(clock.instant())).isPresent()) {
                    throw ApiError.invalid("keys[].created_at: must not be in the future");
                }
                String hash = hasher.fromSha256(r.sha256());
                if (keys.hashExists(h, hash)) {
                    throw ApiError.of(ErrorCode.CONFLICT, "duplicate_key", "A key with this hash already exists");
                }
                Instant now = clock.instant();
                ApiKey key = new ApiKey(Ids.next("key"), orgId, userId, r.name(), r.kind(),
                        r.displayPrefix().orElse(r.prefix()), r.last4(), scope.workspaces().orElseThrow(),
                        scope.servers().orElseThrow(), scope.tools().orElseThrow(), permissions,
                        scope.rateLimit().orElseThrow(), r.createdAt().orElse(now), actor.userId(), expiresAt, Optional.empty(), Optional.empty(),
                        Optional.empty(), Optional.empty(), true, Optional.empty(), Optional.empty(), 0);
                keys.insert(h, key, hash);
                keys.addImportPrefix(h, r.prefix(), now);
                tx.invalidate(new Invalidation.Credential(hash));
                audit.record(h, actor, orgId, "key.imported", "key", key.id(),
                        Map.of("kind", r.kind().wire(), "masked", key.masked()));
                imported.add(key);
            }
            // Other nodes must learn the new prefixes: the simplest correct message is "reload".
            tx.invalidate(new Invalidation.All());
            return imported;
        });
    }

    /**
     * The organization with its plan's key rules joined to its own: one key per person if either
     * says so, and the shorter of the two lifetimes. A plan change applies to the next key made.
     */
    /**
     * Keys are made only for an organization whose plan lets them be used somewhere: seed 002's "a
     * Free account with only its monthly credit allocation cannot create an API key". The door
     * applies the same rule at every call. A key for management alone is made whatever the plan.
     */
    /** Whether the key asked for would call the data plane: management-only keys are never gated by plan. */
    private static boolean reachesDataPlane(Create request) {
        return request.permissions().map(ps -> ps.stream()
                .anyMatch(p -> !p.startsWith("admin:") && !p.startsWith("keys:"))).orElse(true);
    }

    private void requireEntitled(Organization org) {
        GatehouseConfig.Plan plan = plans.effective(org.plan(), org.trialEndsAt(), clock.instant());
        if (!plan.allows(GatehouseConfig.Plan.Access.EITHER, org.creditsPurchasedAt().isPresent())) {
            throw io.gatehouse.door.Door.planRefusal(plan, GatehouseConfig.Plan.Access.EITHER);
        }
    }

    private Organization rules(Organization org) {
        Optional<GatehouseConfig.Plan> plan = plans.find(org.plan());
        boolean oneKey = org.oneKeyPerUser() || plan.map(GatehouseConfig.Plan::oneKeyPerUser).orElse(false);
        Optional<Integer> maxDays = Stream.of(org.maxKeyLifetimeDays(), plan.flatMap(GatehouseConfig.Plan::maxKeyLifetimeDays))
                .flatMap(Optional::stream).min(Integer::compare);
        return org.withKeyRules(oneKey, maxDays);
    }

    private static Optional<Instant> expiry(Organization org, Expiry expiry, Instant now) {
        Optional<Instant> max = org.maxKeyLifetimeDays().map(d -> now.plus(Duration.ofDays(d)));
        Optional<Instant> at = switch (expiry) {
            case Expiry.Default d -> max;
            case Expiry.Never n -> Optional.empty();
            case Expiry.InDays d -> Optional.of(now.plus(Duration.ofDays(d.days())));
            case Expiry.At a -> Optional.of(a.at());
        };
        if (at.isPresent() && !at.get().isAfter(now)) {
            throw ApiError.invalid("expires_at: must be in the future");
        }
        if (max.isPresent() && (at.isEmpty() || at.get().isAfter(max.get().plusSeconds(60)))) {
            throw ApiError.invalid("expiry: keys of this organization must expire within "
                    + org.maxKeyLifetimeDays().get() + " days");
        }
        return at;
    }
}
