package io.gatehouse.client;

import java.time.Instant;
import java.util.Optional;

/**
 * A user: a person, or an organization's service account ({@code User}).
 *
 * @param id the user's id, {@code usr_…}
 * @param object always {@code user}
 * @param email the email, lower-cased
 * @param name the display name, if given
 * @param createdAt when the user was made
 * @param disabledAt when the user was disabled, if they are
 * @param kind {@code person} or {@code service}
 * @param organizationId a service account's organization; empty for a person
 * @param operator whether the user holds operator keys (a label only)
 * @see "docs/operations.md"
 */
public record User(String id, String object, String email, Optional<String> name, Instant createdAt,
                   Optional<Instant> disabledAt, String kind, Optional<String> organizationId, boolean operator) {

    /** @return whether the user is disabled (their keys get {@code 401 user_disabled}) */
    public boolean disabled() {
        return disabledAt.isPresent();
    }
}
