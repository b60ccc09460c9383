package io.gatehouse.door;

import io.gatehouse.errors.ApiError;
import java.time.Instant;
import java.util.Optional;

/**
 * One kind of credential (API keys; later OAuth access tokens). Runs the first three checks of the
 * door — format, lookup, state — and must not write to the database.
 */
public interface CredentialResolver {
    /**
     * @return empty when the credential is not of this kind's format; the identity when it is live
     * @throws io.gatehouse.errors.ApiError 401 when it is of this kind but unknown, revoked or expired
     */
    Optional<Identity> resolve(String credential, Instant now);

    /**
     * {@link #resolve}'s answer when memory alone gives it: the identity, the refusal, or that the
     * credential is not of this kind. {@link Recall#UNKNOWN} when the answer needs the store. The
     * default, always unknown, is always safe.
     */
    default Recall recall(String credential, Instant now) {
        return Recall.UNKNOWN;
    }

    /** What {@link #recall} found: {@code known} false (and no refusal) means ask {@link #resolve}. */
    record Recall(boolean known, Optional<Identity> identity, Optional<ApiError> refusal) {
        public static final Recall UNKNOWN = new Recall(false, Optional.empty(), Optional.empty());
        public static final Recall NOT_MINE = new Recall(true, Optional.empty(), Optional.empty());

        public static Recall of(Identity identity) {
            return new Recall(true, Optional.of(identity), Optional.empty());
        }

        /** The credential is of this kind and may not be used: {@link #resolve} would throw {@code refusal}. */
        public static Recall refused(ApiError refusal) {
            return new Recall(true, Optional.empty(), Optional.of(refusal));
        }
    }

    /** Notes a successful use, in memory; written later in batches. */
    void recordUse(Identity identity, String clientAddress, Instant at);
}
