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
 * @param trialEndsAt when its trial on {@code plan} ends, if it is on one
 * @param creditsPurchasedAt when it first bought credits, if it has
 * @param ownerInvitation only in the answer to a create with an owner email: the invitation, with its token
 * @see "docs/operations.md"
 */
public record Organization(String id, String object, String name, String plan, boolean oneKeyPerUser,
                           OptionalInt maxKeyLifetimeDays, Instant createdAt,
                           Optional<IssuedInvitation> ownerInvitation, Optional<Instant> trialEndsAt,
                           Optional<Instant> creditsPurchasedAt) {
}
