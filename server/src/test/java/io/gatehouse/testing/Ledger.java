package io.gatehouse.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.store.Database;
import java.util.List;
import java.util.Map;

/**
 * The credit tables' invariants, checked in SQL against what a test left behind:
 * <ol>
 *   <li>every pool's balance ({@code allocation + purchased}) is the sum of its ledger's {@code pool_delta};</li>
 *   <li>every lease's credits left ({@code granted - spent}, or 0 once closed) is the sum of its {@code lease_delta};</li>
 *   <li>a lease's {@code spent} is the sum of its charges less its refunds;</li>
 *   <li>no balance, and no lease, is below zero;</li>
 *   <li>every credit is somewhere: granted + purchased + adjusted − lapsed − charged late + refunded late
 *       = pool + unspent leases + spent from leases.</li>
 * </ol>
 */
public final class Ledger {
    private Ledger() {
    }

    public static void check(Database db) {
        db.withHandle(h -> {
            List<Map<String, Object>> pools = h.createQuery("SELECT p.org_id, p.allocation + p.purchased AS balance, "
                    + "(SELECT COALESCE(SUM(pool_delta), 0) FROM credit_ledger l WHERE l.org_id = p.org_id) AS summed "
                    + "FROM credit_pools p").mapToMap().list();
            for (Map<String, Object> p : pools) {
                assertThat(num(p, "balance")).as("I1 pool " + p.get("org_id") + " balance = sum of its ledger")
                        .isEqualTo(num(p, "summed")).isGreaterThanOrEqualTo(0);
            }
            List<Map<String, Object>> leases = h.createQuery("SELECT c.id, c.from_allocation + c.from_purchased AS granted, "
                    + "c.spent, c.closed_at, "
                    + "(SELECT COALESCE(SUM(lease_delta), 0) FROM credit_ledger l WHERE l.lease_id = c.id) AS summed, "
                    + "(SELECT COALESCE(SUM(CASE WHEN kind = 'charge' THEN -lease_delta WHEN kind = 'refund' "
                    + "THEN -lease_delta ELSE 0 END), 0) FROM credit_ledger l WHERE l.lease_id = c.id) AS charged "
                    + "FROM credit_leases c").mapToMap().list();
            for (Map<String, Object> l : leases) {
                long left = l.get("closed_at") == null ? num(l, "granted") - num(l, "spent") : 0;
                assertThat(num(l, "summed")).as("I2 lease " + l.get("id") + " credits left = sum of its ledger")
                        .isEqualTo(left);
                assertThat(num(l, "spent")).as("I3 lease " + l.get("id") + " spent = charges - refunds")
                        .isEqualTo(num(l, "charged"));
                assertThat(num(l, "granted") - num(l, "spent")).as("I4 lease " + l.get("id") + " not overspent")
                        .isGreaterThanOrEqualTo(0);
            }
            // Charges and refunds outside any lease: those that reached the database after their lease closed.
            long in = h.createQuery("SELECT COALESCE(SUM(pool_delta), 0) FROM credit_ledger WHERE kind IN "
                    + "('grant', 'purchase', 'adjust', 'expire', 'refund', 'charge') AND lease_id IS NULL")
                    .mapTo(Long.class).one();
            long pool = h.createQuery("SELECT COALESCE(SUM(allocation + purchased), 0) FROM credit_pools")
                    .mapTo(Long.class).one();
            long open = h.createQuery("SELECT COALESCE(SUM(from_allocation + from_purchased - spent), 0) "
                    + "FROM credit_leases WHERE closed_at IS NULL").mapTo(Long.class).one();
            long spent = h.createQuery("SELECT COALESCE(SUM(spent), 0) FROM credit_leases").mapTo(Long.class).one();
            assertThat(pool + open + spent).as("I5 every credit is somewhere").isEqualTo(in);
            return null;
        });
    }

    /** Charges recorded, net of refunds, for an organization: from its leases, and from its pool when late. */
    public static long charged(Database db, String orgId) {
        return db.withHandle(h -> h.createQuery("SELECT COALESCE(SUM(CASE WHEN lease_id IS NULL THEN -pool_delta "
                + "ELSE -lease_delta END), 0) FROM credit_ledger WHERE org_id = :org AND kind IN ('charge', 'refund')")
                .bind("org", orgId).mapTo(Long.class).one());
    }

    private static long num(Map<String, Object> row, String column) {
        return ((Number) row.get(column)).longValue();
    }
}
