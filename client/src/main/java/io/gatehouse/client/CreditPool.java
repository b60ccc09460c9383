package io.gatehouse.client;

import java.time.Instant;
import java.util.Optional;

/**
 * An organization's credit pool ({@code CreditPool}), as {@code GET /v1/orgs/{id}/credits} shows it
 * and {@code POST /v1/orgs/{id}/credits} answers.
 *
 * @param object always {@code credit_pool}
 * @param organizationId the organization
 * @param balance credits the organization can spend: the pool and what nodes hold in open leases
 * @param allocation what is left of this cycle's allocation ({@code plans.<name>.credits}), outside
 *     leases; spent first, lapses at the cycle's end
 * @param purchased purchased credits left, outside leases; kept until spent
 * @param inLeases credits nodes have taken from the pool and not yet spent
 * @param cycleStartedAt when this cycle's allocation was put in
 * @param cycleEndsAt when what is left of it lapses
 * @param added only in the answer to an add: whether this request added the credits ({@code false}:
 *     its idempotency key was seen before, and nothing changed)
 * @see "docs/billing.md, The credit pool"
 */
public record CreditPool(String object, String organizationId, long balance, long allocation, long purchased,
                         long inLeases, Instant cycleStartedAt, Instant cycleEndsAt, Optional<Boolean> added) {
}
