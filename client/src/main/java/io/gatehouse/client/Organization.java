package io.gatehouse.client;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An organization ({@code Organization}).
 *
 * @param id the organization's id, {@code org_…}
 * @param object always {@code organization}
 * @param name its name
 * @param plan its plan
 * @param oneKeyPerUser whether a new key revokes its owner's other standard keys here
 * @param maxKeyLifetimeDays the longest lifetime a key may have, if limited
 * @param createdAt when it was made
 * @param ownerInvitation only in the answer to a create with an owner email: the invitation, with its token
 * @see "docs/operations.md"
 */
public record Organization(String id, String object, String name, String plan, boolean oneKeyPerUser,
                           OptionalInt maxKeyLifetimeDays, Instant createdAt,
                           Optional<IssuedInvitation> ownerInvitation) {
}
