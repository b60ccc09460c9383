package io.gatehouse.client;

/**
 * The answer of {@code POST /v1/keys/verify} ({@code VerifyKeyResult}): whether a key would pass
 * the door for the stated use. Either {@link VerifiedKey} ({@code valid: true}) or
 * {@link RejectedKey} ({@code valid: false}, with the door's error).
 *
 * <pre>{@code
 * switch (verifier.verify(key)) {
 *     case VerifiedKey ok -> serve(ok.userId(), ok.organizationId());
 *     case RejectedKey no -> refuse(401, no.error().message());
 * }
 * }</pre>
 *
 * @see "docs/keys.md, Verify a key from another service"
 */
public sealed interface VerifyKeyResult permits VerifiedKey, RejectedKey {
    /** @return whether the key would pass */
    boolean valid();

    /** @return the id of the credential that made the verifying call */
    String verifiedBy();
}
