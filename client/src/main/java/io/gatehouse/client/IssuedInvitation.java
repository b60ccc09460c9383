package io.gatehouse.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A new invitation with its token, shown this once ({@code IssuedInvitation}: an
 * {@code Invitation} plus {@code token} and {@code token_shown_once}). Pass the token to the person
 * invited; they accept with {@link Invitations#accept(String)}. {@link #toString()} masks it.
 *
 * @param invitation the invitation
 * @param token the token, {@code gh_inv_…}
 * @param tokenShownOnce always true
 * @see "docs/operations.md, Invitations"
 */
public record IssuedInvitation(Invitation invitation, String token, boolean tokenShownOnce) {

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static IssuedInvitation fromJson(JsonNode node) {
        return new IssuedInvitation(Json.convert(node, Invitation.class), node.path("token").asText(),
                node.path("token_shown_once").asBoolean());
    }

    /** @return the invitation's id */
    public String id() {
        return invitation.id();
    }

    @Override
    public String toString() {
        return "IssuedInvitation[invitation=" + invitation + ", token=" + Secrets.mask(token)
                + ", tokenShownOnce=" + tokenShownOnce + "]";
    }
}
