package io.gatehouse.door;

import io.gatehouse.errors.ApiError;
import java.util.Set;

/**
 * A caller the door let in: the credential's identity, the permissions in effect now, and the
 * workspaces it reaches now (its scope, narrowed to the owner's current memberships).
 */
public record Principal(Identity identity, Set<String> permissions, Set<String> workspaces) {

    public String userId() {
        return identity.userId();
    }

    public String orgId() {
        return identity.orgId();
    }

    public String credentialId() {
        return identity.credentialId();
    }

    /** Acts for the whole instance: an operator credential (see {@link Identity#operator()}). */
    public boolean operator() {
        return identity.operator();
    }

    /** Whether the credential grants {@code permission} now. */
    public boolean may(String permission) {
        return Permissions.grants(permissions, permission);
    }

    /**
     * Refused with {@code 403 insufficient_scope}, naming the first, unless the credential grants one of
     * {@code permissions}: for calls whose permission depends on what they touch (one's own keys or others').
     */
    public void requireAny(String... permissions) {
        for (String p : permissions) {
            if (may(p)) {
                return;
            }
        }
        throw ApiError.insufficientScope(permissions[0], identity.kind().noun() + " does not have the permission "
                + String.join(" or ", permissions));
    }

    /** May read everything in {@code orgId}: a credential of that organization, or an operator's. */
    public boolean canRead(String orgId) {
        return operator() || orgId.equals(orgId());
    }

    /** May change {@code orgId}'s members, workspaces and service accounts: its owners and admins, or an operator. */
    public boolean canManage(String orgId) {
        return operator() || (orgId.equals(orgId()) && manager());
    }

    /** The credential's owner is an owner or admin of the credential's organization. */
    public boolean manager() {
        return identity.role().map(r -> r == Role.OWNER || r == Role.ADMIN).orElse(false);
    }
}
