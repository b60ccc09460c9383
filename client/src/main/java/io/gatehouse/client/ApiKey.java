package io.gatehouse.client;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An API key as the API shows it: masked, never its secret ({@code ApiKey} in the OpenAPI
 * document). The secret is shown once, by the call that made the key, as {@link IssuedApiKey}.
 *
 * @param id the key's id, {@code key_…}
 * @param object always {@code api_key}
 * @param name the name given at creation
 * @param kind {@code standard}, {@code legacy} or {@code operator}
 * @param organizationId the organization the key belongs to
 * @param userId the key's owner
 * @param masked the key as lists show it: display prefix, {@code …}, last four characters
 * @param prefix the safe-to-show beginning of the key
 * @param last4 the last four characters, when known
 * @param scope what the key reaches
 * @param permissions the server scope again, in the older {@code {"mcps": …}} shape
 * @param rateLimit the key's own rate limit on the data plane, as {@code 100/min}, besides its plan's;
 *                  empty for none
 * @param state {@code active}, {@code revoked} or {@code expired}, computed when answered
 * @param createdAt when the key was made
 * @param expiresAt when it expires, if it does
 * @param revokedAt when it was revoked, if it was
 * @param revokedReason {@code revoked}, {@code renewed} or {@code deleted}, if revoked
 * @param rolledFrom the key this one replaced by a renew or a roll
 * @param imported whether it came in through {@code POST /v1/keys/import}
 * @param lastUsedAt the last use, flushed every few seconds by the server
 * @param lastUsedIp the address of the last use
 * @param useCount how many times the key passed the door
 * @see "docs/keys.md"
 */
public record ApiKey(String id, String object, String name, String kind, String organizationId, String userId,
                     String masked, String prefix, Optional<String> last4, Scope scope, ServerPermissions permissions,
                     Optional<String> rateLimit, String state, Instant createdAt, Optional<Instant> expiresAt, Optional<Instant> revokedAt,
                     Optional<String> revokedReason, Optional<String> rolledFrom, boolean imported,
                     Optional<Instant> lastUsedAt, Optional<String> lastUsedIp, long useCount) {

    /**
     * What a key reaches.
     *
     * @param workspaces the workspaces, or {@code "*"}
     * @param servers the upstream servers (ids or slugs), or {@code "*"}
     * @param permissions the sorted {@code area:action} permissions
     * @param tools the {@code server/tool} entries, or {@code "*"}
     */
    public record Scope(Targets workspaces, Targets servers, List<String> permissions, Targets tools) {
            /** Unmodifiable, like every answer: readers may share it. */
            public Scope {
                permissions = permissions == null ? List.of() : List.copyOf(permissions);
            }

    }

    /**
     * The server scope in the shape of PlexMCP's seed 004.
     *
     * @param mcps the same as {@link Scope#servers()}
     */
    public record ServerPermissions(Targets mcps) {
    }

    /** @return whether the key is {@code active} now (as of this answer) */
    public boolean active() {
        return state.equals("active");
    }
}
