package io.gatehouse.client;

/**
 * An organization's usage in time buckets: {@code GET /v1/orgs/{id}/usage}: calls, errors and
 * credits per minute, hour or day, for owners, admins and operators.
 *
 * @see "docs/billing.md, Usage"
 */
public final class UsageReports {
    private final Transport transport;

    UsageReports(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code GET /v1/orgs/{id}/usage}. This node's last second is counted; other nodes' within a second.
     *
     * @param organizationId the organization
     * @param query the period, the buckets' size, the grouping and the credential
     * @return the buckets that saw calls
     * @throws InvalidRequestException when {@code to} is not after {@code from}, or the period holds
     *     more than 10,000 buckets
     */
    public Usage get(String organizationId, UsageQuery query) {
        return transport.get(Transport.path("/v1/orgs/", organizationId, "/usage")
                + Transport.query(query.parameters()), Usage.class);
    }
}
