package io.gatehouse.client;

import java.util.List;

/**
 * Invitations: {@code /v1/orgs/{id}/invitations} and {@code POST /v1/invitations/accept}. An
 * owner or admin invites a person by email; the person accepts with the token and gets their
 * first key of the organization.
 *
 * @see "docs/operations.md, Invitations"
 */
public final class Invitations {
    private final Transport transport;

    Invitations(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code POST /v1/orgs/{id}/invitations}.
     *
     * @param organizationId the organization to join
     * @param request who is invited, and as what
     * @return the invitation with its token, shown once
     */
    public IssuedInvitation create(String organizationId, CreateInvitationRequest request) {
        return transport.call("POST", Transport.path("/v1/orgs/", organizationId, "/invitations"), request,
                IssuedInvitation.class);
    }

    /**
     * {@code GET /v1/orgs/{id}/invitations}.
     *
     * @param organizationId the organization
     * @return its invitations, without tokens
     */
    public List<Invitation> list(String organizationId) {
        return transport.list(Transport.path("/v1/orgs/", organizationId, "/invitations"), Invitation.class);
    }

    /**
     * {@code POST /v1/orgs/{id}/invitations/{invitation}/revoke}.
     *
     * @param organizationId the organization
     * @param invitationId the invitation
     * @return the invitation, now revoked
     */
    public Invitation revoke(String organizationId, String invitationId) {
        return transport.call("POST", Transport.path("/v1/orgs/", organizationId, "/invitations/", invitationId,
                "/revoke"), null, Invitation.class);
    }

    /**
     * {@code POST /v1/invitations/accept}, with the token in the body (never in the URL). Called on
     * a client with a key, it accepts as that key's owner (whose email must be the one invited);
     * on a client built without a key, it accepts as a new account with the invited email.
     *
     * @param token the invitation's token, {@code gh_inv_…}
     * @return the organization, the membership and the person's first key, shown once
     */
    public InvitationAcceptance accept(String token) {
        return transport.call("POST", "/v1/invitations/accept", new Requests.AcceptInvitation(token),
                InvitationAcceptance.class);
    }
}
