package io.gatehouse.client;

import java.util.List;

/**
 * Organizations: {@code /v1/orgs}. Their members, invitations, service accounts and workspaces
 * have resources of their own ({@link Members}, {@link Invitations}, {@link ServiceAccounts},
 * {@link Workspaces}).
 *
 * @see "docs/operations.md"
 */
public final class Organizations {
    private final Transport transport;

    Organizations(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code POST /v1/orgs} (operator credentials only). With an owner email, the answer's
     * {@link Organization#ownerInvitation()} carries the invitation token to pass on, once.
     *
     * @param request the organization
     * @return the new organization
     */
    public Organization create(CreateOrganizationRequest request) {
        return transport.call("POST", "/v1/orgs", request, Organization.class);
    }

    /**
     * {@code GET /v1/orgs}.
     *
     * @return the organizations the caller may see
     */
    public List<Organization> list() {
        return transport.list("/v1/orgs", Organization.class);
    }

    /**
     * {@code GET /v1/orgs/{id}}.
     *
     * @param id the organization's id
     * @return the organization
     */
    public Organization get(String id) {
        return transport.get(Transport.path("/v1/orgs/", id), Organization.class);
    }

    /**
     * {@code PATCH /v1/orgs/{id}}: changes the fields the request sets.
     *
     * @param id the organization's id
     * @param changes the fields to change
     * @return the organization after the change
     */
    public Organization update(String id, UpdateOrganizationRequest changes) {
        return transport.call("PATCH", Transport.path("/v1/orgs/", id), changes, Organization.class);
    }
}
