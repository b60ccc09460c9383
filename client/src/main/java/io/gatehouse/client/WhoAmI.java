package io.gatehouse.client;

import java.util.List;
import java.util.Optional;

/**
 * Who the calling credential is, as {@code GET /v1/whoami} answers ({@code WhoAmI}).
 *
 * @param credentialId the credential's id, {@code key_…}
 * @param credentialKind {@code api_key}, {@code legacy_key}, {@code operator} or {@code internal}
 * @param userId the credential's owner
 * @param organizationId the credential's organization
 * @param role the owner's role there ({@code owner}, {@code admin}, {@code member}), if any
 * @param plan the organization's plan
 * @param workspaces the workspaces the credential reaches now
 * @param permissions the permissions in effect now
 * @param operator whether the credential acts for the whole instance
 * @see "docs/keys.md, Verify a key from another service"
 */
public record WhoAmI(String credentialId, String credentialKind, String userId, String organizationId,
                     Optional<String> role, String plan, List<String> workspaces, List<String> permissions,
                     boolean operator) {
        /** Unmodifiable, like every answer: readers may share it. */
        public WhoAmI {
            workspaces = workspaces == null ? List.of() : List.copyOf(workspaces);
            permissions = permissions == null ? List.of() : List.copyOf(permissions);
        }

}
