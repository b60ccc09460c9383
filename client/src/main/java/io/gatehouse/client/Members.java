package io.gatehouse.client;

import java.util.List;

/**
 * An organization's members: {@code /v1/orgs/{id}/members}. People join by invitation
 * ({@link Invitations}); setting the role of someone who is not a member is for operators only.
 *
 * @see "docs/operations.md"
 */
public final class Members {
    private final Transport transport;

    Members(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code GET /v1/orgs/{id}/members}.
     *
     * @param organizationId the organization
     * @return its members
     */
    public List<Member> list(String organizationId) {
        return transport.list(Transport.path("/v1/orgs/", organizationId, "/members"), Member.class);
    }

    /**
     * {@code PUT /v1/orgs/{id}/members/{user}}: sets a member's role ({@code owner}, {@code admin} or {@code member}).
     *
     * @param organizationId the organization
     * @param userId the member
     * @param role the new role
     * @return the membership
     */
    public Member setRole(String organizationId, String userId, String role) {
        return transport.call("PUT", Transport.path("/v1/orgs/", organizationId, "/members/", userId),
                new Requests.PutMember(role), Member.class);
    }

    /**
     * {@code DELETE /v1/orgs/{id}/members/{user}}: their keys stop working in the organization at once.
     *
     * @param organizationId the organization
     * @param userId the member
     */
    public void remove(String organizationId, String userId) {
        transport.callForNothing("DELETE", Transport.path("/v1/orgs/", organizationId, "/members/", userId));
    }
}
