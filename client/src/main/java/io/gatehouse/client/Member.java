package io.gatehouse.client;

import java.time.Instant;

/**
 * A member of an organization ({@code Member}).
 *
 * @param object always {@code member}
 * @param organizationId the organization
 * @param userId the member
 * @param email the member's email
 * @param role {@code owner}, {@code admin} or {@code member}
 * @param createdAt when they joined
 * @param kind {@code person} or {@code service}
 * @see "docs/operations.md"
 */
public record Member(String object, String organizationId, String userId, String email, String role,
                     Instant createdAt, String kind) {
}
