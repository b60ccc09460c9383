package io.gatehouse.client;

/**
 * Service accounts: {@code POST /v1/orgs/{id}/service-accounts}. A service account belongs to one
 * organization, never signs in, and gets its keys from the organization's owners and admins
 * ({@link Keys#create(CreateKeyRequest)} with {@link CreateKeyRequest#withUser(String)}).
 *
 * @see "docs/operations.md, Service accounts"
 */
public final class ServiceAccounts {
    private final Transport transport;

    ServiceAccounts(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code POST /v1/orgs/{id}/service-accounts}.
     *
     * @param organizationId the organization
     * @param request its name and role
     * @return the new service account
     */
    public ServiceAccount create(String organizationId, CreateServiceAccountRequest request) {
        return transport.call("POST", Transport.path("/v1/orgs/", organizationId, "/service-accounts"), request,
                ServiceAccount.class);
    }
}
