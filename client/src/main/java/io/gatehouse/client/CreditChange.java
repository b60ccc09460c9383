package io.gatehouse.client;

import java.util.Objects;

/**
 * The body of {@code POST /v1/orgs/{id}/credits} ({@code CreditChange}): credits an operator adds to
 * an organization's pool, or takes away, once per idempotency key. Start with
 * {@link #purchase(long, String)} or {@link #adjustment(long, String)}.
 *
 * @param credits a purchase: a positive number; an adjustment: any but 0 (it never takes the
 *     purchased credits below zero)
 * @param kind {@code purchase} or {@code adjustment}
 * @param idempotencyKey 1–200 of letters, digits and {@code _ . : -}, e.g. the payment's id: the same
 *     key again changes nothing
 * @param note up to 500 characters, kept in the ledger
 * @see "docs/billing.md, The credit pool"
 */
public record CreditChange(long credits, String kind, String idempotencyKey, String note) {
    /** Requires the kind and the idempotency key. */
    public CreditChange {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    }

    /**
     * @param credits how many were bought, positive
     * @param idempotencyKey the payment's id, say
     * @return a purchase
     */
    public static CreditChange purchase(long credits, String idempotencyKey) {
        return new CreditChange(credits, "purchase", idempotencyKey, null);
    }

    /**
     * @param credits credits to add (positive) or take away (negative) from the purchased credits
     * @param idempotencyKey names this adjustment, so that sending it again changes nothing
     * @return an adjustment
     */
    public static CreditChange adjustment(long credits, String idempotencyKey) {
        return new CreditChange(credits, "adjustment", idempotencyKey, null);
    }

    /**
     * @param value why, for the ledger
     * @return a copy with it set
     */
    public CreditChange withNote(String value) {
        return new CreditChange(credits, kind, idempotencyKey, value);
    }
}
