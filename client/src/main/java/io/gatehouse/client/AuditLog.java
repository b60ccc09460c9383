package io.gatehouse.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The audit log: {@code GET /v1/audit}, newest first. Owners and admins read their
 * organization's; an operator credential reads every organization's.
 *
 * @see "docs/storage.md, audit_events"
 */
public final class AuditLog {
    private final Transport transport;

    AuditLog(Transport transport) {
        this.transport = transport;
    }

    /**
     * The latest 100 events of the caller's organization (of all, for an operator credential).
     *
     * @return the events
     */
    public List<AuditEvent> list() {
        return transport.list("/v1/audit", AuditEvent.class);
    }

    /**
     * The latest events of one organization.
     *
     * @param organizationId the organization
     * @param limit 1–1000
     * @return the events
     */
    public List<AuditEvent> list(String organizationId, int limit) {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("organization_id", organizationId);
        q.put("limit", limit);
        return transport.list("/v1/audit" + Transport.query(q), AuditEvent.class);
    }
}
