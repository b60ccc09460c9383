package io.gatehouse.client;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Something unusual about one of an organization's credentials ({@code Alert}).
 *
 * @param id the alert's id
 * @param object always {@code alert}
 * @param organizationId the organization
 * @param credentialId the key or connected app it is about
 * @param kind {@code burst}, {@code error_spike} or {@code new_network}
 * @param evidence what showed it: the minute's calls and the usual rate, the errors, or the new
 *     network and the known ones
 * @param createdAt when it was raised
 * @param deliveredAt when it was posted to {@code alerts.webhook-url}, if it was
 * @see "docs/billing.md, Alerts"
 */
public record Alert(String id, String object, String organizationId, String credentialId, String kind,
                    Map<String, Object> evidence, Instant createdAt, Optional<Instant> deliveredAt) {
    /** Unmodifiable, like every answer: readers may share it. */
    public Alert {
        evidence = evidence == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(evidence));
    }
}
