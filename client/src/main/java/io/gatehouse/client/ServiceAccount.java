package io.gatehouse.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An organization's account for automation, made by {@code POST /v1/orgs/{id}/service-accounts}
 * ({@code ServiceAccount}: a {@code User} of kind {@code service} plus its {@code role}). It never
 * signs in; owners and admins make its keys with {@link Keys#create(CreateKeyRequest)}.
 *
 * @param user the account as a user
 * @param role its role in the organization: {@code admin} or {@code member}
 * @see "docs/operations.md, Service accounts"
 */
public record ServiceAccount(User user, String role) {

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static ServiceAccount fromJson(JsonNode node) {
        return new ServiceAccount(Json.convert(node, User.class), node.path("role").asText());
    }

    /** @return the account's user id, {@code usr_…} */
    public String id() {
        return user.id();
    }
}
