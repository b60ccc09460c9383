package io.gatehouse.client;

import java.util.List;
import java.util.Map;

/**
 * Alerts about an organization's credentials: {@code GET /v1/orgs/{id}/alerts}: bursts, error-rate
 * spikes and first use from a new network, newest first.
 *
 * @see "docs/billing.md, Alerts"
 */
public final class Alerts {
    private final Transport transport;

    Alerts(Transport transport) {
        this.transport = transport;
    }

    /**
     * The latest 100 alerts.
     *
     * @param organizationId the organization
     * @return the alerts, newest first
     */
    public List<Alert> list(String organizationId) {
        return transport.list(Transport.path("/v1/orgs/", organizationId, "/alerts"), Alert.class);
    }

    /**
     * The latest alerts.
     *
     * @param organizationId the organization
     * @param limit 1–1000
     * @return the alerts, newest first
     */
    public List<Alert> list(String organizationId, int limit) {
        return transport.list(Transport.path("/v1/orgs/", organizationId, "/alerts")
                + Transport.query(Map.of("limit", limit)), Alert.class);
    }

    /**
     * {@code GET /v1/orgs/{id}/alerts?limit=…&before=…}: one page of alerts, newest first. For the
     * next page, pass the id of the last alert of this one as {@code before}; an empty page is the end.
     *
     * @param organizationId the organization
     * @param limit 1–1000
     * @param before only alerts older than this one ({@code alert_…}); {@code null} for the newest
     * @return the alerts
     */
    public List<Alert> list(String organizationId, int limit, String before) {
        Map<String, Object> q = new java.util.LinkedHashMap<>();
        q.put("limit", limit);
        q.put("before", before);
        return transport.list(Transport.path("/v1/orgs/", organizationId, "/alerts") + Transport.query(q),
                Alert.class);
    }
}
