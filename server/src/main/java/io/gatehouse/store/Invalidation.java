package io.gatehouse.store;

import java.util.Optional;

/**
 * A change that may alter an access decision: every cache that holds a derived answer drops the
 * entries it names. Travels between nodes as a short text payload.
 */
public sealed interface Invalidation {
    /** One credential, by the hash it is looked up with. */
    record Credential(String hash) implements Invalidation {
    }

    /** Everything about one user (membership, role, disabled). */
    record User(String userId) implements Invalidation {
    }

    /** Everything about one organisation (plan, rules, workspaces). */
    record Organization(String orgId) implements Invalidation {
    }

    /** Every token of one OAuth grant (a connected app revoked, or a refresh token reused). */
    record Grant(String grantId) implements Invalidation {
    }

    /** The registry of upstream servers. */
    record Servers() implements Invalidation {
    }

    /** Everything: used when a node may have missed messages. */
    record All() implements Invalidation {
    }

    default String payload() {
        return switch (this) {
            case Credential c -> "credential:" + c.hash();
            case User u -> "user:" + u.userId();
            case Organization o -> "org:" + o.orgId();
            case Grant g -> "grant:" + g.grantId();
            case Servers s -> "servers";
            case All a -> "all";
        };
    }

    static Optional<Invalidation> parse(String payload) {
        int colon = payload.indexOf(':');
        String kind = colon < 0 ? payload : payload.substring(0, colon);
        String value = colon < 0 ? "" : payload.substring(colon + 1);
        return switch (kind) {
            case "credential" -> Optional.of(new Credential(value));
            case "user" -> Optional.of(new User(value));
            case "org" -> Optional.of(new Organization(value));
            case "grant" -> Optional.of(new Grant(value));
            case "servers" -> Optional.of(new Servers());
            case "all" -> Optional.of(new All());
            default -> Optional.empty();
        };
    }
}
