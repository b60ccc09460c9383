package io.gatehouse.keys;

import io.gatehouse.accounts.AccountStore;
import io.gatehouse.accounts.Accounts.Organization;
import io.gatehouse.accounts.Accounts.User;
import io.gatehouse.accounts.Role;
import io.gatehouse.audit.Actor;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Targets;
import io.gatehouse.http.ApiError;
import io.gatehouse.http.ErrorCode;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Creating, listing, revoking, renewing, rolling, deleting and importing API keys. A key's owner
 * manages it; so do the owners and admins of its organisation. Every change is audited and takes
 * effect at once on every node.
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

    public KeyService(Database db, Invalidations invalidations, KeyStore keys, AccountStore accounts, AuditLog audit,
                      KeyFormat format, KeyHasher hasher, Duration maxRollGrace, Clock clock) {
        this.db = db;
        this.invalidations = invalidations;
        this.keys = keys;
        this.accounts = accounts;
        this.audit = audit;
        this.format = format;
        this.hasher = hasher;
        this.maxRollGrace = maxRollGrace;
        this.clock = clock;
    }

    public Issued create(Principal caller, Actor actor, Create request) {
        String orgId = request.orgId().orElse(caller.orgId());
        String userId = request.userId().orElse(caller.userId());
        if (!caller.canManage(orgId) && !(orgId.equals(caller.orgId()) && userId.equals(caller.userId()))) {
            throw ApiError.forbidden("not_org_admin", "Only an owner or admin can create keys for someone else");
        }
        return Tx.run(db, invalidations, tx -> issue(tx, actor, orgId, userId, request, Optional.empty()));
    }

    /**
     * Makes a key without checking a caller (bootstrap); the owner and scope are still checked.
     * With the organisation's one-key-per-user rule, the owner's other keys die at once.
     */
    public Issued issue(Tx tx, Actor actor, String orgId, String userId, Create request, Optional<String> rolledFrom) {
        Handle h = tx.handle();
        Instant now = clock.instant();
        Organization org = accounts.organization(h, orgId).orElseThrow(() -> ApiError.notFound("organization"));
        User owner = accounts.user(h, userId).orElseThrow(() -> ApiError.notFound("user"));
        Role role = accounts.member(h, orgId, userId).map(m -> m.role()).orElseThrow(() ->
                ApiError.of(ErrorCode.CONFLICT, "not_member", "The key's owner must be a member of the organization"));
        Set<String> permissions = request.permissions().orElse(Permissions.DEFAULT_DATA_PLANE);
        checkScope(h, org, owner, role, request.workspaces(), permissions);
        Optional<Instant> expiresAt = expiry(org, request.expiry(), now);

        if (org.oneKeyPerUser() && rolledFrom.isEmpty()) {
            for (ApiKey old : keys.liveStandardKeys(h, orgId, userId, now)) {
                keys.revoke(h, old.id(), now, "renewed");
                tx.invalidate(new Invalidation.Credential(keys.hashOf(h, old.id())));
                audit.record(h, actor, orgId, "key.revoked", "key", old.id(), Map.of("reason", "renewed",
                        "masked", old.masked()));
            }
        }
        String plaintext = format.generate();
        String hash = hasher.hash(plaintext);
        ApiKey key = new ApiKey(Ids.next("key"), orgId, userId, request.name(), ApiKey.Kind.STANDARD,
                format.displayPrefix(plaintext), Optional.of(KeyFormat.last4(plaintext)), request.workspaces(),
                request.servers(), request.tools(), permissions, now, actor.userId(), expiresAt, Optional.empty(), Optional.empty(),
                Optional.empty(), rolledFrom, false, Optional.empty(), Optional.empty(), 0);
        keys.insert(h, key, hash);
        tx.invalidate(new Invalidation.Credential(hash)); // drops a negative cache entry, however unlikely
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("name", key.name());
        detail.put("masked", key.masked());
        detail.put("user_id", userId);
        rolledFrom.ifPresent(r -> detail.put("rolled_from", r));
        audit.record(h, actor, orgId, "key.created", "key", key.id(), detail);
        return new Issued(key, plaintext);
    }

    public List<ApiKey> list(Principal caller, KeyRequests.ListQuery query) {
        Optional<String> orgId = query.orgId().or(() -> caller.instanceAdmin() ? Optional.empty()
                : Optional.of(caller.orgId()));
        if (orgId.isPresent() && !caller.canRead(orgId.get())) {
            throw ApiError.notFound("organization");
        }
        boolean seesAll = orgId.map(caller::canManage).orElse(caller.instanceAdmin());
        Optional<String> userId = seesAll ? query.userId() : Optional.of(caller.userId());
        if (!seesAll && query.userId().isPresent() && !query.userId().get().equals(caller.userId())) {
            throw ApiError.forbidden("not_org_admin", "Only an owner or admin can list other members' keys");
        }
        return db.withHandle(h -> keys.list(h, new KeyStore.ListFilter(orgId, userId, false)));
    }

    public ApiKey get(Principal caller, String id) {
        return db.withHandle(h -> visible(h, caller, id));
    }

    public ApiKey revoke(Principal caller, Actor actor, String id) {
        return Tx.run(db, invalidations, tx -> {
            ApiKey key = visible(tx.handle(), caller, id);
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

    private Issued replace(Principal caller, Actor actor, String id, Duration grace) {
        return Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            ApiKey old = visible(h, caller, id);
            Instant now = clock.instant();
            if (old.kind() == ApiKey.Kind.LEGACY) {
                throw ApiError.of(ErrorCode.CONFLICT, "legacy_key",
                        "Legacy keys cannot be renewed; create a scoped key and revoke this one");
            }
            if (old.state(now) != ApiKey.State.ACTIVE) {
                throw ApiError.of(ErrorCode.CONFLICT, "not_active", "Only an active key can be renewed or rolled");
            }
            Expiry expiry = old.expiresAt()
                    .<Expiry>map(at -> new Expiry.At(now.plus(Duration.between(old.createdAt(), at))))
                    .orElse(new Expiry.Never());
            Organization org = accounts.organization(h, old.orgId()).orElseThrow();
            if (org.maxKeyLifetimeDays().isPresent()) {
                expiry = new Expiry.Default();
            }
            Create request = new Create(old.name(), Optional.of(old.userId()), Optional.of(old.orgId()),
                    old.workspaces(), old.servers(), old.tools(), Optional.of(old.permissions()), expiry);
            Issued issued = issue(tx, actor, old.orgId(), old.userId(), request, Optional.of(old.id()));
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
            ApiKey key = visible(tx.handle(), caller, id);
            Instant now = clock.instant();
            keys.revoke(tx.handle(), id, now, "deleted");
            keys.markDeleted(tx.handle(), id, now);
            tx.invalidate(new Invalidation.Credential(keys.hashOf(tx.handle(), id)));
            audit.record(tx.handle(), actor, key.orgId(), "key.deleted", "key", id, Map.of("masked", key.masked()));
            return null;
        });
    }

    /** Brings keys from another system by their SHA-256 hashes, so their holders need not rotate. */
    public List<ApiKey> importKeys(Principal caller, Actor actor, List<Import> requests) {
        return Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            List<ApiKey> imported = new java.util.ArrayList<>();
            for (Import r : requests) {
                String orgId = r.orgId().orElse(caller.orgId());
                String userId = r.userId().orElse(caller.userId());
                if (!caller.canManage(orgId)) {
                    throw ApiError.forbidden("not_org_admin", "Only an owner or admin can import keys");
                }
                Organization org = accounts.organization(h, orgId).orElseThrow(() -> ApiError.notFound("organization"));
                User owner = accounts.user(h, userId).orElseThrow(() -> ApiError.notFound("user"));
                Role role = accounts.member(h, orgId, userId).map(m -> m.role()).orElseThrow(() -> ApiError.of(
                        ErrorCode.CONFLICT, "not_member", "The key's owner must be a member of the organization"));
                boolean legacy = r.kind() == ApiKey.Kind.LEGACY;
                Set<String> permissions = legacy ? Permissions.DEFAULT_DATA_PLANE
                        : r.permissions().orElse(Permissions.DEFAULT_DATA_PLANE);
                checkScope(h, org, owner, role, legacy ? Targets.ALL : r.workspaces(), permissions);
                String hash = hasher.fromSha256(r.sha256());
                if (keys.hashExists(h, hash)) {
                    throw ApiError.of(ErrorCode.CONFLICT, "duplicate_key", "A key with this hash already exists");
                }
                Instant now = clock.instant();
                ApiKey key = new ApiKey(Ids.next("key"), orgId, userId, r.name(), r.kind(),
                        r.displayPrefix().orElse(r.prefix()), r.last4(), legacy ? Targets.ALL : r.workspaces(),
                        legacy ? Targets.ALL : r.servers(), legacy ? Targets.ALL : r.tools(), permissions, r.createdAt().orElse(now), actor.userId(),
                        r.expiresAt(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), true,
                        Optional.empty(), Optional.empty(), 0);
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

    /** The key, if the caller may see it: its owner, or an owner/admin of its organisation. */
    private ApiKey visible(Handle h, Principal caller, String id) {
        ApiKey key = keys.find(h, id).filter(k -> k.deletedAt().isEmpty()).orElseThrow(() -> ApiError.notFound("key"));
        if (!key.userId().equals(caller.userId()) && !caller.canManage(key.orgId())) {
            throw ApiError.notFound("key");
        }
        return key;
    }

    private void checkScope(Handle h, Organization org, User owner, Role role, Targets workspaces,
                            Set<String> permissions) {
        for (String p : permissions) {
            if (!Permissions.isValid(p)) {
                throw ApiError.invalid("permissions: '" + p + "' is not a permission (area:action)");
            }
            boolean manager = owner.instanceAdmin() || role == Role.OWNER || role == Role.ADMIN;
            if (p.startsWith("admin:") && !manager) {
                throw ApiError.forbidden("not_org_admin", "Only an owner or admin's key can carry " + p);
            }
            if (p.startsWith("keys:") && !owner.instanceAdmin()) {
                throw ApiError.forbidden("not_instance_admin", "Only an instance administrator's key can carry " + p);
            }
        }
        if (!workspaces.all()) {
            Set<String> orgWorkspaces = Set.copyOf(accounts.workspaces(h, org.id()).stream().map(w -> w.id()).toList());
            for (String ws : workspaces.ids()) {
                if (!orgWorkspaces.contains(ws)) {
                    throw ApiError.invalid("workspaces: '" + ws + "' is not a workspace of this organization");
                }
                boolean member = accounts.workspaceMembers(h, ws).stream().anyMatch(m -> m.userId().equals(owner.id()));
                if (!member) {
                    throw ApiError.invalid("workspaces: the key's owner is not a member of '" + ws + "'");
                }
            }
        }
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
