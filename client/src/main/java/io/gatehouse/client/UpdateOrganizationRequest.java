package io.gatehouse.client;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of {@code PATCH /v1/orgs/{id}} ({@code UpdateOrganizationRequest}): only the fields
 * set here change. A patch has three states per field (left out, a value, {@code null} to remove
 * the limit), so it is built from {@link #changes()} rather than from nullable fields.
 *
 * <pre>{@code
 * client.organizations().update(orgId, UpdateOrganizationRequest.changes().withMaxKeyLifetimeDays(365));
 * }</pre>
 *
 * @param fields the JSON members to send, as set by the {@code with…} methods
 * @see "docs/keys.md, Expiry"
 */
public record UpdateOrganizationRequest(Map<String, Object> fields) {
    /** Copies the fields (values may be {@code null}: a JSON null). */
    public UpdateOrganizationRequest {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** @return a patch that changes nothing yet */
    public static UpdateOrganizationRequest changes() {
        return new UpdateOrganizationRequest(Map.of());
    }

    /**
     * @param name 1–200 characters
     * @return a copy that renames the organization
     */
    public UpdateOrganizationRequest withName(String name) {
        return with("name", name);
    }

    /**
     * @param plan a configured plan (operator credentials only)
     * @return a copy that changes the plan
     */
    public UpdateOrganizationRequest withPlan(String plan) {
        return with("plan", plan);
    }

    /**
     * @param on whether a new key revokes its owner's other standard keys
     * @return a copy that sets the rule
     */
    public UpdateOrganizationRequest withOneKeyPerUser(boolean on) {
        return with("one_key_per_user", on);
    }

    /**
     * @param days 1–3650
     * @return a copy that limits every new key's lifetime
     */
    public UpdateOrganizationRequest withMaxKeyLifetimeDays(int days) {
        return with("max_key_lifetime_days", days);
    }

    /**
     * Operator only: ends (a past time) or extends the organization's trial.
     *
     * @param at when the trial ends
     * @return a copy with {@code trial_ends_at} set
     */
    public UpdateOrganizationRequest withTrialEndsAt(java.time.Instant at) {
        return with("trial_ends_at", at.toString());
    }

    /** @return a copy that removes the lifetime limit (sends {@code null}) */
    public UpdateOrganizationRequest withoutMaxKeyLifetime() {
        return with("max_key_lifetime_days", null);
    }

    private UpdateOrganizationRequest with(String field, Object value) {
        Map<String, Object> next = new LinkedHashMap<>(fields);
        next.put(field, value);
        return new UpdateOrganizationRequest(next);
    }

    @JsonValue
    Map<String, Object> json() {
        return fields;
    }
}
