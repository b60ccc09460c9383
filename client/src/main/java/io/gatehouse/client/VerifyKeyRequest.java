package io.gatehouse.client;

import java.util.Objects;

/**
 * The body of {@code POST /v1/keys/verify} ({@code VerifyKeyRequest}): a key to check, and what
 * the call is about to do with it, checked as the door would. {@link #toString()} masks the key.
 *
 * @param key the plaintext key to check
 * @param workspace a workspace the use acts in
 * @param server an upstream server the use reaches, by id or slug
 * @param permission a permission the use needs, e.g. {@code mcp:use}
 * @param planGated whether the organization's plan must allow API access (default true)
 * @param clientAddress the address the key was used from, recorded as its last use
 * @see "docs/keys.md, Verify a key from another service"
 */
public record VerifyKeyRequest(String key, String workspace, String server, String permission, Boolean planGated,
                               String clientAddress) {

    /** Requires the key. */
    public VerifyKeyRequest {
        Objects.requireNonNull(key, "key");
    }

    /**
     * @param key the plaintext key to check
     * @return a request that checks only the key itself
     */
    public static VerifyKeyRequest of(String key) {
        return new VerifyKeyRequest(key, null, null, null, null, null);
    }

    /**
     * @param id a workspace id
     * @return a copy with it set
     */
    public VerifyKeyRequest withWorkspace(String id) {
        return new VerifyKeyRequest(key, id, server, permission, planGated, clientAddress);
    }

    /**
     * @param idOrSlug a server id or slug
     * @return a copy with it set
     */
    public VerifyKeyRequest withServer(String idOrSlug) {
        return new VerifyKeyRequest(key, workspace, idOrSlug, permission, planGated, clientAddress);
    }

    /**
     * @param value a permission, e.g. {@code mcp:use}
     * @return a copy with it set
     */
    public VerifyKeyRequest withPermission(String value) {
        return new VerifyKeyRequest(key, workspace, server, value, planGated, clientAddress);
    }

    /**
     * @param value whether the plan must allow API access
     * @return a copy with it set
     */
    public VerifyKeyRequest withPlanGated(boolean value) {
        return new VerifyKeyRequest(key, workspace, server, permission, value, clientAddress);
    }

    /**
     * @param address the address the key was used from
     * @return a copy with it set
     */
    public VerifyKeyRequest withClientAddress(String address) {
        return new VerifyKeyRequest(key, workspace, server, permission, planGated, address);
    }

    @Override
    public String toString() {
        return "VerifyKeyRequest[key=" + Secrets.mask(key) + ", workspace=" + workspace + ", server=" + server
                + ", permission=" + permission + ", planGated=" + planGated + ", clientAddress=" + clientAddress + "]";
    }
}
