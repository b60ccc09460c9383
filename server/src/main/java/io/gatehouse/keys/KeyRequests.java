package io.gatehouse.keys;

import io.gatehouse.door.Targets;
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
     * @param userId owner; empty means the caller
     * @param orgId  organisation; empty means the caller's
     */
    public record Create(String name, Optional<String> userId, Optional<String> orgId, Targets workspaces,
                         Targets servers, Targets tools, Optional<Set<String>> permissions, Expiry expiry) {
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
