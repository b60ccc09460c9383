package io.gatehouse.client;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A key that would pass the door for the stated use ({@code VerifiedKey}).
 *
 * @param valid always true
 * @param keyId the key's id
 * @param kind the credential kind: {@code api_key}, {@code legacy_key}, {@code operator} or {@code internal}
 * @param organizationId the key's organization
 * @param userId the key's owner
 * @param plan the organization's plan
 * @param role the owner's role in the organization, if any
 * @param workspaces the workspaces the key reaches now
 * @param servers the key's server scope as stored
 * @param permissions the permissions in effect now
 * @param expiresAt when the key expires, if it does
 * @param verifiedBy the id of the credential that made the verifying call
 * @param tools the key's tool scope as stored
 * @see "docs/keys.md, Verify a key from another service"
 */
public record VerifiedKey(boolean valid, String keyId, String kind, String organizationId, String userId, String plan,
                          Optional<String> role, List<String> workspaces, Targets servers, List<String> permissions,
                          Optional<Instant> expiresAt, String verifiedBy, Targets tools) implements VerifyKeyResult {

    /** Unmodifiable: a cached answer is shared, and must not be widened by one of its readers. */
    public VerifiedKey {
        workspaces = workspaces == null ? List.of() : List.copyOf(workspaces);
        permissions = permissions == null ? List.of() : List.copyOf(permissions);
    }
}
