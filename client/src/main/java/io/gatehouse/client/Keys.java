package io.gatehouse.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * API keys: {@code /v1/keys} and the caller's own, {@code /v1/me/keys}. Who may do what is the
 * server's rule (the reach rule: a key never makes a key that reaches further than itself); a
 * refusal arrives as a {@link ForbiddenException} or {@link NotFoundException}.
 *
 * @see "docs/keys.md"
 */
public final class Keys {
    private final Transport transport;

    Keys(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code POST /v1/keys}: makes a key. The answer carries its plaintext, once.
     *
     * @param request the key to make
     * @return the key with its plaintext
     */
    public IssuedApiKey create(CreateKeyRequest request) {
        return transport.call("POST", "/v1/keys", request, IssuedApiKey.class);
    }

    /**
     * {@code POST /v1/me/keys}: makes a key for the calling key's owner, in its organization, within its reach.
     *
     * @param request the key to make
     * @return the key with its plaintext
     */
    public IssuedApiKey createOwn(CreateOwnKeyRequest request) {
        return transport.call("POST", "/v1/me/keys", request, IssuedApiKey.class);
    }

    /**
     * {@code GET /v1/keys}: the keys the caller sees in its own organization (every organization, for an
     * operator credential), newest first, masked.
     *
     * @return the keys
     */
    public List<ApiKey> list() {
        return transport.list("/v1/keys", ApiKey.class);
    }

    /**
     * {@code GET /v1/keys?organization_id=…}: the keys of one organization.
     *
     * @param organizationId the organization
     * @return the keys
     */
    public List<ApiKey> listInOrganization(String organizationId) {
        return transport.list("/v1/keys" + Transport.query(Map.of("organization_id", organizationId)), ApiKey.class);
    }

    /**
     * {@code GET /v1/keys?organization_id=…&user_id=…}: the keys of one owner in one organization.
     *
     * @param organizationId the organization
     * @param userId the owner
     * @return the keys
     */
    public List<ApiKey> listOfUser(String organizationId, String userId) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("organization_id", organizationId);
        q.put("user_id", userId);
        return transport.list("/v1/keys" + Transport.query(q), ApiKey.class);
    }

    /**
     * {@code GET /v1/me/keys}: the caller's own keys in the calling key's organization.
     *
     * @return the keys
     */
    public List<ApiKey> listOwn() {
        return transport.list("/v1/me/keys", ApiKey.class);
    }

    /**
     * {@code GET /v1/keys/{id}}.
     *
     * @param id the key's id
     * @return the key, masked
     * @throws NotFoundException when it does not exist or the caller may not see it
     */
    public ApiKey get(String id) {
        return transport.get(Transport.path("/v1/keys/", id), ApiKey.class);
    }

    /**
     * {@code POST /v1/keys/{id}/revoke}: the key gets {@code 401 revoked} from then on.
     *
     * @param id the key's id
     * @return the key, now {@code revoked}
     */
    public ApiKey revoke(String id) {
        return transport.call("POST", Transport.path("/v1/keys/", id, "/revoke"), null, ApiKey.class);
    }

    /**
     * {@code POST /v1/keys/{id}/renew}: a new key with the same name, owner and scope; the old one is revoked at once.
     *
     * @param id the key's id
     * @return the new key with its plaintext
     */
    public IssuedApiKey renew(String id) {
        return transport.call("POST", Transport.path("/v1/keys/", id, "/renew"), Map.of(), IssuedApiKey.class);
    }

    /**
     * {@code POST /v1/keys/{id}/roll}: like renew, but the old secret keeps working for {@code grace}.
     *
     * @param id the key's id
     * @param grace how long the old secret keeps working (whole seconds, at least one)
     * @return the new key with its plaintext
     */
    public IssuedApiKey roll(String id, Duration grace) {
        return transport.call("POST", Transport.path("/v1/keys/", id, "/roll"),
                new Requests.RollKey(grace.toSeconds()), IssuedApiKey.class);
    }

    /**
     * {@code DELETE /v1/keys/{id}}: revokes the key and hides it from lists.
     *
     * @param id the key's id
     */
    public void delete(String id) {
        transport.callForNothing("DELETE", Transport.path("/v1/keys/", id));
    }

    /**
     * {@code POST /v1/keys/import}: brings keys over by their SHA-256, all or nothing.
     *
     * @param keys 1–1000 keys
     * @return the imported keys, masked
     */
    public List<ApiKey> importKeys(List<ImportKey> keys) {
        return transport.callForList("POST", "/v1/keys/import", new Requests.ImportKeys(List.copyOf(keys)),
                ApiKey.class);
    }

    /**
     * {@code POST /v1/keys/verify}, uncached: whether {@code request.key()} would pass the door. The
     * calling credential needs {@code keys:verify} (an operator key). For a service checking every
     * request, use {@link #verifier(VerifierCache)}, which caches answers.
     *
     * @param request the key and its intended use
     * @return {@link VerifiedKey} or {@link RejectedKey}; an error only when the verifying caller is refused
     */
    public VerifyKeyResult verify(VerifyKeyRequest request) {
        JsonNode answer = transport.tree("POST", "/v1/keys/verify", request);
        return answer.path("valid").asBoolean()
                ? Json.convert(answer, VerifiedKey.class)
                : Json.convert(answer, RejectedKey.class);
    }

    /**
     * A verifier that keeps answers in memory for a short while, so that a service checking keys
     * itself does not call Gatehouse on every request.
     *
     * @param cache the cache's size and lifetimes
     * @return a thread-safe verifier; keep one per service
     */
    public KeyVerifier verifier(VerifierCache cache) {
        return new KeyVerifier(this, cache);
    }
}
