package io.gatehouse.client;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An invitation to join an organization ({@code Invitation}). Its token is shown once, in
 * {@link IssuedInvitation}.
 *
 * @param id the invitation's id, {@code inv_…}
 * @param object always {@code invitation}
 * @param organizationId the organization to join
 * @param email the person invited (only they accept)
 * @param role the role they get
 * @param workspaces the workspaces they join on acceptance
 * @param state {@code pending}, {@code accepted}, {@code revoked} or {@code expired}
 * @param createdAt when it was made
 * @param expiresAt when it expires
 * @param acceptedAt when it was accepted, if it was
 * @param acceptedBy who accepted it, if someone did
 * @param revokedAt when it was revoked, if it was
 * @see "docs/operations.md, Invitations"
 */
public record Invitation(String id, String object, String organizationId, String email, String role,
                         List<String> workspaces, String state, Instant createdAt, Instant expiresAt,
                         Optional<Instant> acceptedAt, Optional<String> acceptedBy, Optional<Instant> revokedAt) {
        /** Unmodifiable, like every answer: readers may share it. */
        public Invitation {
            workspaces = workspaces == null ? List.of() : List.copyOf(workspaces);
        }

}
