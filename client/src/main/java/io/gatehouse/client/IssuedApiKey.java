package io.gatehouse.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A new key with its plaintext, returned once by the call that made it and never again
 * ({@code IssuedApiKey}: an {@code ApiKey} plus {@code key} and {@code key_shown_once}). Store
 * {@link #key()} now: Gatehouse keeps only a hash. {@link #toString()} masks it.
 *
 * @param apiKey the key's usual, masked view
 * @param key the plaintext key
 * @param keyShownOnce always true: the plaintext is never shown again
 * @see "docs/keys.md, Create a key"
 */
public record IssuedApiKey(ApiKey apiKey, String key, boolean keyShownOnce) {

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static IssuedApiKey fromJson(JsonNode node) {
        return new IssuedApiKey(Json.convert(node, ApiKey.class), node.path("key").asText(),
                node.path("key_shown_once").asBoolean());
    }

    /** @return the new key's id, {@code key_…} */
    public String id() {
        return apiKey.id();
    }

    @Override
    public String toString() {
        return "IssuedApiKey[apiKey=" + apiKey + ", key=" + Secrets.mask(key) + ", keyShownOnce=" + keyShownOnce + "]";
    }
}
