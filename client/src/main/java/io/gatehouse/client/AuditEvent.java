package io.gatehouse.client;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One event of the audit log ({@code AuditEvent}).
 *
 * @param id the event's id
 * @param at when it happened
 * @param organizationId the organization it concerns, if any
 * @param actorUserId who acted, if a user did
 * @param actorCredentialId with which credential
 * @param action what happened, e.g. {@code key.created}
 * @param targetType the kind of object acted on
 * @param targetId the object acted on
 * @param ip the caller's address
 * @param requestId the request that did it
 * @param detail action-specific details: ids, names, masked keys, never secrets
 * @see "docs/storage.md, audit_events"
 */
public record AuditEvent(String id, Instant at, Optional<String> organizationId, Optional<String> actorUserId,
                         Optional<String> actorCredentialId, String action, Optional<String> targetType,
                         Optional<String> targetId, String ip, String requestId, Map<String, Object> detail) {
        /** Unmodifiable, like every answer: readers may share it. */
        public AuditEvent {
            detail = detail == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(detail));
        }

}
