package io.gatehouse.keys;

import io.gatehouse.door.Targets;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * An API key as stored: never its plaintext, only what may be shown ({@link #masked()}).
 *
 * @param tools      tools it may use: all, or {@code server/tool} entries ({@code server/*} for all of one)
 * @param rateLimit  its own rate limit on the data plane, besides its plan's; empty for none
 * @param rolledFrom the key this one replaced by a renew or a roll
 */
public record ApiKey(String id, String orgId, String userId, String name, Kind kind, String displayPrefix,
                     Optional<String> last4, Targets workspaces, Targets servers, Targets tools, Set<String> permissions,
                     Optional<io.gatehouse.limits.Rate> rateLimit,
                     Instant createdAt, Optional<String> createdBy, Optional<Instant> expiresAt,
                     Optional<Instant> revokedAt, Optional<String> revokedReason, Optional<Instant> deletedAt,
                     Optional<String> rolledFrom, boolean imported, Optional<Instant> lastUsedAt,
                     Optional<String> lastUsedIp, long useCount) {

    public enum Kind {
        /** Scoped to workspaces, servers and permissions. */
        STANDARD,
        /** From before scoping: reaches all of its owner's workspaces; honoured, never created again. */
        LEGACY,
        /**
         * Acts for the whole instance: issued by {@code gatehouse admin init} or by another operator
         * key, never by an organization. Its permissions still say which operations it may call.
         */
        OPERATOR;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum State {
        ACTIVE, REVOKED, EXPIRED, DELETED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public State state(Instant now) {
        if (deletedAt.isPresent()) {
            return State.DELETED;
        }
        if (revokedAt.isPresent()) {
            return State.REVOKED;
        }
        if (expiresAt.isPresent() && !expiresAt.get().isAfter(now)) {
            return State.EXPIRED;
        }
        return State.ACTIVE;
    }

    /** The key as the list shows it: {@code gk_live_AbCd…x9Zq}. */
    public String masked() {
        return displayPrefix + "…" + last4.orElse("");
    }
}
