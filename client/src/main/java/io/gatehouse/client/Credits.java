package io.gatehouse.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An organization's credit pool and its ledger: {@code /v1/orgs/{id}/credits}. Owners and admins
 * read their organization's; adding credits is an operator's act, refused to anyone else with a
 * {@link ForbiddenException} ({@code not_operator}).
 *
 * @see "docs/billing.md"
 */
public final class Credits {
    private final Transport transport;

    Credits(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code GET /v1/orgs/{id}/credits}.
     *
     * @param organizationId the organization
     * @return its pool; {@link CreditPool#added()} is empty
     */
    public CreditPool pool(String organizationId) {
        return transport.get(Transport.path("/v1/orgs/", organizationId, "/credits"), CreditPool.class);
    }

    /**
     * {@code POST /v1/orgs/{id}/credits} (operator credentials only): adds purchased credits, or
     * adjusts them, once per {@link CreditChange#idempotencyKey()}. Sent again after a connection
     * failure, the same change is applied at most once.
     *
     * @param organizationId the organization
     * @param change the credits and the idempotency key
     * @return the pool after the change; {@link CreditPool#added()} says whether this call added the
     *     credits ({@code false}: the key was seen before and nothing changed)
     * @throws ConflictException ({@code insufficient_credits}) when an adjustment takes away more than was purchased
     */
    public CreditPool add(String organizationId, CreditChange change) {
        return transport.call("POST", Transport.path("/v1/orgs/", organizationId, "/credits"), change,
                CreditPool.class);
    }

    /**
     * {@code GET /v1/orgs/{id}/credits/ledger}: the latest 100 movements, newest first.
     *
     * @param organizationId the organization
     * @return the movements
     */
    public List<CreditMovement> ledger(String organizationId) {
        return transport.list(Transport.path("/v1/orgs/", organizationId, "/credits/ledger"), CreditMovement.class);
    }

    /**
     * {@code GET /v1/orgs/{id}/credits/ledger?limit=…&before=…}: one page of movements, newest first.
     * For the next page, pass the id of the last movement of this one as {@code before}; an empty
     * page is the end.
     *
     * @param organizationId the organization
     * @param limit 1–1000
     * @param before only movements older than this one ({@code cl_…}); {@code null} for the newest
     * @return the movements
     */
    public List<CreditMovement> ledger(String organizationId, int limit, String before) {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("limit", limit);
        q.put("before", before);
        return transport.list(Transport.path("/v1/orgs/", organizationId, "/credits/ledger") + Transport.query(q),
                CreditMovement.class);
    }
}
