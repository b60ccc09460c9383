package io.gatehouse.client;

import java.util.List;
import java.util.Objects;

/**
 * The body of {@code POST /v1/orgs/{id}/invitations} ({@code CreateInvitationRequest}).
 *
 * @param email the person invited
 * @param role {@code owner}, {@code admin} or {@code member} (default); only an owner invites an owner
 * @param workspaces workspaces of the organization to join on acceptance
 * @param expiresInDays 1–30 (default 7)
 * @see "docs/operations.md, Invitations"
 */
public record CreateInvitationRequest(String email, String role, List<String> workspaces, Integer expiresInDays) {
    /** Requires the email. */
    public CreateInvitationRequest {
        Objects.requireNonNull(email, "email");
        workspaces = workspaces == null ? null : List.copyOf(workspaces);
    }

    /**
     * @param email the person invited
     * @return an invitation as a member, for 7 days
     */
    public static CreateInvitationRequest to(String email) {
        return new CreateInvitationRequest(email, null, null, null);
    }

    /**
     * @param value {@code owner}, {@code admin} or {@code member}
     * @return a copy with it set
     */
    public CreateInvitationRequest withRole(String value) {
        return new CreateInvitationRequest(email, value, workspaces, expiresInDays);
    }

    /**
     * @param ids workspaces to join on acceptance
     * @return a copy with them set
     */
    public CreateInvitationRequest withWorkspaces(String... ids) {
        return new CreateInvitationRequest(email, role, List.of(ids), expiresInDays);
    }

    /**
     * @param days 1–30
     * @return a copy with it set
     */
    public CreateInvitationRequest withExpiresInDays(int days) {
        return new CreateInvitationRequest(email, role, workspaces, days);
    }
}
