package io.gatehouse.client;

import java.time.Instant;

/**
 * A workspace of an organization ({@code Workspace}).
 *
 * @param id the workspace's id, {@code ws_…}
 * @param object always {@code workspace}
 * @param organizationId its organization
 * @param name its name
 * @param createdAt when it was made
 * @see "docs/operations.md"
 */
public record Workspace(String id, String object, String organizationId, String name, Instant createdAt) {
}
