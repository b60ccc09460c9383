package io.gatehouse.client;

import java.time.Instant;

/**
 * A member of a workspace ({@code WorkspaceMember}).
 *
 * @param object always {@code workspace_member}
 * @param workspaceId the workspace
 * @param userId the member
 * @param email the member's email
 * @param createdAt when they were added
 * @see "docs/operations.md"
 */
public record WorkspaceMember(String object, String workspaceId, String userId, String email, Instant createdAt) {
}
