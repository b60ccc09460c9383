package io.gatehouse.keys;

import io.gatehouse.door.Targets;
import io.gatehouse.limits.Rate;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/** Parsed, typed requests of the key operations. */
public final class KeyRequests {
    private KeyRequests() {
    }

    /** When a new key stops working. */
    public sealed interface Expiry {
        /** The organisation's maximum lifetime if it has one, else never. */
        record Default() implements Expiry {
        }

        record Never() implements Expiry {
        }

        record InDays(int days) implements Expiry {
        }

        record At(Instant at) implements Expiry {
        }
    }

    /**
     * @param kind        {@code standard}, or {@code operator} (only an operator credential makes one)
     * @param userId      owner; empty means the caller
     * @param orgId       organisation; empty means the caller's
     * @param workspaces  empty: as far as the creating credential reaches (everything, for an operator)
     * @param servers     likewise
     * @param tools       likewise
     * @param permissions empty: the data-plane permissions the creating credential has
     * @param rateLimit   empty: the creating credential's own rate limit; else the key's own, or none
     */
    public record Create(String name, ApiKey.Kind kind, Optional<String> userId, Optional<String> orgId,
                         Optional<Targets> workspaces, Optional<Targets> servers, Optional<Targets> tools,
                         Optional<Set<String>> permissions, Optional<Optional<Rate>> rateLimit, Expiry expiry) {

        /** A standard key for {@code userId} in {@code orgId} with everything stated, and no rate limit of its own. */
        public static Create of(String name, ApiKey.Kind kind, String userId, String orgId, Targets workspaces,
                                Targets servers, Targets tools, Set<String> permissions, Expiry expiry) {
            return new Create(name, kind, Optional.of(userId), Optional.of(orgId), Optional.of(workspaces),
                    Optional.of(servers), Optional.of(tools), Optional.of(permissions), Optional.of(Optional.empty()),
                    expiry);
        }

        /** This request with its own rate limit stated: {@code rate}, or none. */
        public Create withRateLimit(Optional<Rate> rate) {
            return new Create(name, kind, userId, orgId, workspaces, servers, tools, permissions, Optional.of(rate),
                    expiry);
        }
    }

    /** A key from another system, known by the SHA-256 of its plaintext. */
    public record Import(String sha256, String prefix, Optional<String> displayPrefix, Optional<String> last4,
                         String name, Optional<String> userId, Optional<String> orgId, ApiKey.Kind kind,
                         Targets workspaces, Targets servers, Targets tools, Optional<Set<String>> permissions,
                         Optional<Instant> expiresAt, Optional<Instant> createdAt) {
    }

    public record ListQuery(Optional<String> orgId, Optional<String> userId) {
    }

    /** A key with its plaintext: returned once, by the call that made it, and never again. */
    public record Issued(ApiKey key, String plaintext) {
        @Override
        public String toString() {
            return "Issued[key=" + key.id() + ", plaintext=(hidden)]";
        }
    }
}
