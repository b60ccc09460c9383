package io.gatehouse.oauth;

import io.gatehouse.door.Targets;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * One person's consent to one client, for one organization: a "connected app".
 *
 * @param scopes     the scopes consented to
 * @param workspaces the workspaces it may reach ('*': all the person's)
 * @param tools      the tools it may use, as a key's tool scope ({@link io.gatehouse.door.ToolScope})
 * @param redirectUri the redirect URI last used (its host is shown)
 */
public record Grant(String id, String userId, String orgId, String clientId, Set<String> scopes, Targets workspaces,
                    Targets tools, String redirectUri, Instant createdAt, Instant updatedAt, Optional<Instant> lastUsedAt,
                    Optional<String> lastUsedIp, long useCount, Optional<Instant> revokedAt) {

    /** Whether the consent covers {@code asked} in {@code orgId}, so the person need not be asked again. */
    public boolean covers(String orgId, Set<String> asked) {
        return revokedAt.isEmpty() && this.orgId.equals(orgId) && scopes.containsAll(asked);
    }
}
