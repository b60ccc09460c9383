package io.gatehouse.client;

import java.time.Instant;
import java.util.Optional;

/**
 * One row of an organization's credit ledger ({@code CreditMovement}). The pool's balance is the sum
 * of {@code poolDelta}; a lease's credits the sum of its {@code leaseDelta}.
 *
 * @param id the movement's id, {@code cl_…}; ids order the ledger, newest last
 * @param object always {@code credit_movement}
 * @param kind {@code grant}, {@code expire}, {@code purchase}, {@code adjust}, {@code lease},
 *     {@code return}, {@code charge} or {@code refund}
 * @param poolDelta what it added to (or took from) the pool
 * @param leaseDelta what it added to (or took from) a lease
 * @param leaseId the lease it concerns, if any
 * @param callId the call a charge or refund of one call is for
 * @param calls how many calls a charge or refund row holds
 * @param credentialId the key or connected app charged, if any
 * @param serverId the server called, if any
 * @param tool the MCP tool called, if any
 * @param note why, if it says
 * @param createdAt when it was written
 * @see "docs/billing.md, The credit pool"
 */
public record CreditMovement(String id, String object, String kind, long poolDelta, long leaseDelta,
                             Optional<String> leaseId, Optional<String> callId, long calls,
                             Optional<String> credentialId, Optional<String> serverId, Optional<String> tool,
                             Optional<String> note, Instant createdAt) {
}
