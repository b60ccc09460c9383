package io.gatehouse.client;

import java.util.Objects;

/**
 * The body of {@code POST /v1/orgs} ({@code CreateOrganizationRequest}); operator credentials
 * only. Give at most one of {@code ownerUserId} and {@code ownerEmail}: with an email, the answer's
 * {@link Organization#ownerInvitation()} carries the invitation's token, once.
 *
 * @param name 1–200 characters
 * @param plan a configured plan; default the configured default plan
 * @param ownerUserId an existing user to make the first owner
 * @param ownerEmail invite the first owner by email
 * @see "docs/operations.md, Invitations"
 */
public record CreateOrganizationRequest(String name, String plan, String ownerUserId, String ownerEmail) {
    /** Requires the name. */
    public CreateOrganizationRequest {
        Objects.requireNonNull(name, "name");
    }

    /**
     * @param name 1–200 characters
     * @return a request on the default plan, without an owner
     */
    public static CreateOrganizationRequest named(String name) {
        return new CreateOrganizationRequest(name, null, null, null);
    }

    /**
     * @param value a configured plan
     * @return a copy with it set
     */
    public CreateOrganizationRequest withPlan(String value) {
        return new CreateOrganizationRequest(name, value, ownerUserId, ownerEmail);
    }

    /**
     * @param userId an existing user, made the first owner
     * @return a copy with it set
     */
    public CreateOrganizationRequest withOwner(String userId) {
        return new CreateOrganizationRequest(name, plan, userId, ownerEmail);
    }

    /**
     * @param email the person invited as the first owner
     * @return a copy with it set
     */
    public CreateOrganizationRequest withOwnerEmail(String email) {
        return new CreateOrganizationRequest(name, plan, ownerUserId, email);
    }
}
