package io.gatehouse.door;

import java.time.Instant;
import java.util.Optional;

/**
 * One kind of credential (API keys; later OAuth access tokens). Runs the first three checks of the
 * door — format, lookup, state — and must not write to the database.
 */
public interface CredentialResolver {
    /**
     * @return empty when the credential is not of this kind's format; the identity when it is live
     * @throws io.gatehouse.http.ApiError 401 when it is of this kind but unknown, revoked or expired
     */
    Optional<Identity> resolve(String credential, Instant now);

    /**
     * Whether {@link #resolve} would answer for {@code credential} without reading the store (its
     * answer is cached, or the credential is not of this kind). The default, false, is always safe.
     */
    default boolean answersFromMemory(String credential) {
        return false;
    }

    /** Notes a successful use, in memory; written later in batches. */
    void recordUse(Identity identity, String clientAddress, Instant at);
}
