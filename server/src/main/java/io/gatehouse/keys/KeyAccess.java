package io.gatehouse.keys;

import io.gatehouse.accounts.AccountStore;
import io.gatehouse.accounts.Accounts.Organization;
import io.gatehouse.accounts.Accounts.User;
import io.gatehouse.door.Role;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Targets;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Who may make, see or change which key, and what an owner may hold: the rules of issue 11 in one
 * place, apart from {@link KeyService}'s what-happens. The reach of a new key is {@link KeyReach}'s.
 */
final class KeyAccess {
    private final KeyStore keys;
    private final AccountStore accounts;
    private final Clock clock;

    KeyAccess(KeyStore keys, AccountStore accounts, Clock clock) {
        this.keys = keys;
        this.accounts = accounts;
        this.clock = clock;
    }

    /**
     * Whether {@code caller} may make (or import, renew, roll) a key owned by {@code userId} in
     * {@code orgId}: an operator, anyone; otherwise only in the credential's own organization, for
     * oneself ({@code keys:self} or {@code admin:write}), or as an owner or admin for one of the
     * organization's service accounts. Never for another person.
     */
    void mayMakeKeyFor(Handle h, Principal caller, String orgId, String userId, ApiKey.Kind kind) {
        if (caller.operator()) {
            if (!userId.equals(caller.userId())) {
                caller.requireAny(Permissions.ADMIN_WRITE);
            }
            return;
        }
        if (kind != ApiKey.Kind.STANDARD) {
            throw ApiError.forbidden("not_operator", "Only an operator credential can issue " + kind.wire() + " keys");
        }
        if (!orgId.equals(caller.orgId())) {
            throw ApiError.forbidden("other_organization", "A key makes keys in its own organization only");
        }
        if (userId.equals(caller.userId())) {
            caller.requireAny(Permissions.KEYS_SELF, Permissions.ADMIN_WRITE);
            return;
        }
        caller.requireAny(Permissions.ADMIN_WRITE);
        if (!caller.canManage(orgId)) {
            throw ApiError.forbidden("not_org_admin", "Only an owner or admin can make keys for a service account");
        }
        // One answer for "no such user" and "not a member here": an id elsewhere is not this organization's to learn.
        if (accounts.member(h, orgId, userId).isEmpty()) {
            throw ApiError.notFound("user");
        }
        User owner = accounts.user(h, userId).orElseThrow(() -> ApiError.notFound("user"));
        if (!owner.service() || !owner.serviceOrgId().orElse("").equals(orgId)) {
            throw ApiError.forbidden("not_own_key",
                    "Keys of a person are made by that person; an admin makes keys for service accounts only");
        }
    }

    /**
     * The inviting key as it stands now, when it is an organization's key (empty for an operator's);
     * refused when it could no longer invite to {@code role}.
     */
    Optional<Principal> inviter(Handle h, String keyId, String orgId, Role role) {
        Optional<ApiKey> key = keys.find(h, keyId);
        if (key.isEmpty() && keyId.equals("operator")) {
            return Optional.empty(); // the command line's own credential
        }
        ApiError gone = ApiError.of(ErrorCode.GONE, "inviter_gone",
                "The credential that made this invitation can no longer invite; ask for a new invitation");
        KeyStore.Verifiable v = key.flatMap(k -> keys.loadForVerification(h, keys.hashOf(h, k.id()))).orElseThrow(() -> gone);
        if (v.identity().operator()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Principal p = new Principal(v.identity(), io.gatehouse.door.Door.effectivePermissions(v.identity()), Set.of());
        boolean live = v.revokedAt().isEmpty() && v.deletedAt().isEmpty()
                && v.identity().expiresAt().map(now::isBefore).orElse(true) && !v.identity().userDisabled();
        boolean mayInvite = p.canManage(orgId) && p.may(Permissions.ADMIN_WRITE)
                && (role != Role.OWNER || v.identity().role().orElse(Role.MEMBER) == Role.OWNER);
        if (!live || !mayInvite) {
            throw gone;
        }
        return Optional.of(p);
    }

    /**
     * The key, if the caller may see or change it: its owner, with {@code keys:self} or the management
     * permission {@code manage} ({@code admin:read} to see, {@code admin:write} to change); an owner or
     * admin of its organisation, or an operator, with {@code manage}. Anyone else: not found. Operator
     * keys are an operator's business alone; an owner's keys are changed by owners only, so that an
     * admin cannot lock the organization's owners out.
     */
    ApiKey visible(Handle h, Principal caller, String id, String manage) {
        ApiKey key = keys.find(h, id).filter(k -> k.deletedAt().isEmpty()).orElseThrow(() -> ApiError.notFound("key"));
        boolean own = key.userId().equals(caller.userId()) && key.orgId().equals(caller.orgId());
        if (!own && !caller.operator() && key.kind() == ApiKey.Kind.OPERATOR) {
            throw ApiError.notFound("key");
        }
        if (caller.canManage(key.orgId()) && caller.may(manage)) {
            if (!own && !caller.operator() && manage.equals(Permissions.ADMIN_WRITE)
                    && accounts.member(h, key.orgId(), key.userId()).map(m -> m.role() == Role.OWNER).orElse(false)
                    && caller.identity().role().orElse(Role.MEMBER) != Role.OWNER) {
                throw ApiError.forbidden("not_owner", "Only an owner can revoke or delete an owner's keys");
            }
            return key;
        }
        if (!own) {
            throw ApiError.notFound("key");
        }
        caller.requireAny(Permissions.KEYS_SELF, manage);
        return key;
    }

    /**
     * What the owner may hold: valid permissions; {@code admin:*} only for an owner or admin of the
     * organization; instance-wide {@code keys:*} ({@code keys:verify}) only on an operator key; only
     * workspaces of this organization the owner belongs to.
     */
    void checkScope(Handle h, Organization org, User owner, Role role, ApiKey.Kind kind, Targets workspaces,
                            Set<String> permissions) {
        for (String p : permissions) {
            if (!Permissions.isValid(p)) {
                throw ApiError.invalid("permissions: '" + p + "' is not a permission (area:action)");
            }
            boolean manager = role == Role.OWNER || role == Role.ADMIN;
            if (p.startsWith("admin:") && !manager) {
                throw ApiError.forbidden("not_org_admin", "Only an owner or admin's key can carry " + p);
            }
            if (p.startsWith("keys:") && !p.equals(Permissions.KEYS_SELF) && kind != ApiKey.Kind.OPERATOR) {
                throw ApiError.forbidden("not_operator", "Only an operator key can carry " + p);
            }
        }
        if (kind == ApiKey.Kind.OPERATOR && owner.service()) {
            throw ApiError.invalid("kind: a service account cannot hold an operator key");
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
}
