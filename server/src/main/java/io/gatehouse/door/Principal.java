package io.gatehouse.door;

import io.gatehouse.accounts.Role;
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

    public boolean instanceAdmin() {
        return identity.instanceAdmin();
    }

    /** May read everything in {@code orgId}: any member, or an instance administrator. */
    public boolean canRead(String orgId) {
        return instanceAdmin() || orgId.equals(orgId());
    }

    /** May change {@code orgId}'s members, workspaces and others' keys: its owners and admins. */
    public boolean canManage(String orgId) {
        return instanceAdmin() || (orgId.equals(orgId())
                && identity.role().map(r -> r == Role.OWNER || r == Role.ADMIN).orElse(false));
    }
}
