package io.gatehouse.billing;

import io.gatehouse.store.Ids;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The credit tables: pools, leases and the ledger (V7). Every change to a balance is an update
 * guarded by what it needs ({@code … WHERE allocation >= :a AND purchased >= :p}, {@code … AND
 * closed_at IS NULL}) and a ledger row in the same transaction, so that the pool's balance is the
 * sum of its ledger's {@code pool_delta} and a lease's credits the sum of its {@code lease_delta},
 * on either engine and with any number of nodes.
 */
final class CreditStore {

    /** A pool as stored: {@code allocation + purchased} is its balance, outside any lease. */
    record Pool(String orgId, long allocation, long purchased, Instant cycleStartedAt, Instant cycleEndsAt) {
        long balance() {
            return allocation + purchased;
        }
    }

    /** A lease as taken: what it holds and until when, by the node's clock. */
    record Lease(String id, String orgId, long granted, Instant expiresAt) {
    }

    /** One charge or refund, written by a node's group writer. */
    record Spend(String orgId, String leaseId, long credits, boolean refund, String callId, String credentialId,
                 String serverId, String tool, long at) {
    }

    /** What the organization's plan gives each cycle, looked up by the caller (the plans are configuration). */
    interface Allocations {
        long monthly(Handle h, String orgId);
    }

    private final Allocations allocations;
    private final Duration cycle;

    CreditStore(Allocations allocations, Duration cycle) {
        this.allocations = allocations;
        this.cycle = cycle;
    }

    /**
     * The organization's pool, made on first use with a first cycle's allocation, and refilled when
     * its cycle has ended: what is left of the allocation lapses, the plan's allocation is granted.
     * Purchased credits are untouched. Cycles are counted from the pool's first use: the new one
     * starts at the last boundary not after {@code now}, not at {@code now}, which would push every
     * later cycle back by however long the pool went unread after its cycle ended.
     */
    Pool pool(Handle h, String orgId, Instant now) {
        Optional<Pool> found = read(h, orgId);
        if (found.isEmpty()) {
            long allocation = allocations.monthly(h, orgId);
            int made = h.createUpdate("INSERT INTO credit_pools (org_id, allocation, purchased, cycle_started_at, "
                            + "cycle_ends_at, updated_at) SELECT :org, :a, 0, :now, :end, :now "
                            + "WHERE NOT EXISTS (SELECT 1 FROM credit_pools WHERE org_id = :org)")
                    .bind("org", orgId).bind("a", allocation).bind("now", now.toEpochMilli())
                    .bind("end", now.plus(cycle).toEpochMilli()).execute();
            if (made == 1 && allocation > 0) {
                ledger(h, orgId, "grant", allocation, null, 0, null, null, null, null, null, "monthly allocation", now);
            }
            found = read(h, orgId);
        }
        Pool pool = found.orElseThrow();
        if (!now.isBefore(pool.cycleEndsAt())) {
            long allocation = allocations.monthly(h, orgId);
            long missed = Duration.between(pool.cycleEndsAt(), now).toMillis() / cycle.toMillis();
            Instant start = pool.cycleEndsAt().plus(cycle.multipliedBy(missed));
            int refilled = h.createUpdate("UPDATE credit_pools SET allocation = :a, cycle_started_at = :start, "
                            + "cycle_ends_at = :end, updated_at = :now WHERE org_id = :org AND cycle_ends_at = :was "
                            + "AND allocation = :left")
                    .bind("org", orgId).bind("a", allocation).bind("now", now.toEpochMilli())
                    .bind("start", start.toEpochMilli()).bind("end", start.plus(cycle).toEpochMilli())
                    .bind("was", pool.cycleEndsAt().toEpochMilli())
                    .bind("left", pool.allocation()).execute();
            if (refilled == 1) {
                if (pool.allocation() > 0) {
                    ledger(h, orgId, "expire", -pool.allocation(), null, 0, null, null, null, null, null,
                            "allocation lapsed at the end of its cycle", now);
                }
                if (allocation > 0) {
                    ledger(h, orgId, "grant", allocation, null, 0, null, null, null, null, null, "monthly allocation", now);
                }
            }
            pool = read(h, orgId).orElseThrow();
        }
        return pool;
    }

    Optional<Pool> read(Handle h, String orgId) {
        return h.createQuery("SELECT * FROM credit_pools WHERE org_id = :org").bind("org", orgId)
                .map((rs, ctx) -> pool(rs))
                .findOne();
    }

    private static Pool pool(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Pool(rs.getString("org_id"), rs.getLong("allocation"), rs.getLong("purchased"),
                Instant.ofEpochMilli(rs.getLong("cycle_started_at")), Instant.ofEpochMilli(rs.getLong("cycle_ends_at")));
    }

    /**
     * Takes up to {@code wanted} credits (and at least {@code least}) from the pool into a new lease
     * for {@code node}: the allocation first, then purchased credits. Empty when the pool holds fewer
     * than {@code least}, or when another writer changed it meanwhile (the caller tries again).
     */
    Optional<Lease> lease(Handle h, String orgId, long least, long wanted, String node, Instant now, Duration ttl) {
        Pool pool = pool(h, orgId, now);
        if (pool.balance() < least) {
            return Optional.empty();
        }
        long n = Math.max(least, Math.min(wanted, pool.balance()));
        long fromAllocation = Math.min(n, pool.allocation());
        long fromPurchased = n - fromAllocation;
        int taken = h.createUpdate("UPDATE credit_pools SET allocation = allocation - :a, purchased = purchased - :p, "
                        + "updated_at = :now WHERE org_id = :org AND allocation >= :a AND purchased >= :p")
                .bind("org", orgId).bind("a", fromAllocation).bind("p", fromPurchased)
                .bind("now", now.toEpochMilli()).execute();
        if (taken != 1) {
            return Optional.empty();
        }
        String id = Ids.ordered("lease", now.toEpochMilli());
        Instant expires = now.plus(ttl);
        h.createUpdate("INSERT INTO credit_leases (id, org_id, node, from_allocation, from_purchased, spent, cycle, "
                        + "created_at, expires_at) VALUES (:id, :org, :node, :a, :p, 0, :cycle, :now, :exp)")
                .bind("cycle", pool.cycleStartedAt().toEpochMilli())
                .bind("id", id).bind("org", orgId).bind("node", node).bind("a", fromAllocation)
                .bind("p", fromPurchased).bind("now", now.toEpochMilli()).bind("exp", expires.toEpochMilli()).execute();
        ledger(h, orgId, "lease", -n, id, n, null, null, null, null, null, null, now);
        return Optional.of(new Lease(id, orgId, n, expires));
    }

    /**
     * Closes a lease and gives the pool what it did not spend: purchased credits first (they were
     * taken last), the rest to the allocation, unless the pool's cycle has turned since the lease was
     * taken, in which case that part lapses as the rest of its cycle did. Nothing happens to a lease
     * already closed. Answers the credits returned.
     */
    long close(Handle h, String leaseId, Instant now, String why) {
        int closed = h.createUpdate("UPDATE credit_leases SET closed_at = :now WHERE id = :id AND closed_at IS NULL")
                .bind("id", leaseId).bind("now", now.toEpochMilli()).execute();
        if (closed != 1) {
            return 0;
        }
        Map<String, Object> l = h.createQuery("SELECT * FROM credit_leases WHERE id = :id").bind("id", leaseId)
                .mapToMap().one();
        String orgId = (String) l.get("org_id");
        long fromAllocation = ((Number) l.get("from_allocation")).longValue();
        long fromPurchased = ((Number) l.get("from_purchased")).longValue();
        long left = fromAllocation + fromPurchased - ((Number) l.get("spent")).longValue();
        if (left <= 0) {
            return 0;
        }
        Pool pool = pool(h, orgId, now);
        long toPurchased = Math.min(left, fromPurchased);
        long toAllocation = left - toPurchased;
        // Compared by the cycle, not by time: a node's clock and the order of transactions may disagree.
        boolean lapsed = ((Number) l.get("cycle")).longValue() != pool.cycleStartedAt().toEpochMilli();
        h.createUpdate("UPDATE credit_pools SET allocation = allocation + :a, purchased = purchased + :p, "
                        + "updated_at = :now WHERE org_id = :org")
                .bind("org", orgId).bind("a", lapsed ? 0 : toAllocation).bind("p", toPurchased)
                .bind("now", now.toEpochMilli()).execute();
        ledger(h, orgId, "return", left, leaseId, -left, null, null, null, null, null, why, now);
        if (lapsed && toAllocation > 0) {
            ledger(h, orgId, "expire", -toAllocation, null, 0, null, null, null, null, null,
                    "a returned lease's allocation, from a cycle that had ended", now);
        }
        return left;
    }

    /** Moves every open lease of {@code node} to {@code expiresAt}: the node is alive and spending. */
    int renew(Handle h, String node, Instant expiresAt) {
        return h.createUpdate("UPDATE credit_leases SET expires_at = :exp WHERE node = :node AND closed_at IS NULL")
                .bind("node", node).bind("exp", expiresAt.toEpochMilli()).execute();
    }

    /** Open leases whose node stopped renewing them before {@code before}. */
    List<String> expired(Handle h, Instant before) {
        return h.createQuery("SELECT id FROM credit_leases WHERE closed_at IS NULL AND expires_at < :t")
                .bind("t", before.toEpochMilli()).mapTo(String.class).list();
    }

    /**
     * Charges (or refunds) of one lease by one credential, server and tool, summed: one ledger row.
     * A lone call's row names it ({@code callId}); {@code at} is the first call's time.
     */
    record Row(String orgId, String leaseId, boolean refund, String credentialId, String serverId, String tool,
               long credits, long calls, String callId, long at) {
        /** {@code spends} summed as the ledger writes them, each row where its first spend was. */
        static List<Row> of(List<Spend> spends) {
            Map<List<Object>, Row> rows = new LinkedHashMap<>();
            for (Spend s : spends) {
                rows.merge(java.util.Arrays.asList(s.orgId(), s.leaseId(), s.refund(), s.credentialId(), s.serverId(), s.tool()),
                        new Row(s.orgId(), s.leaseId(), s.refund(), s.credentialId(), s.serverId(), s.tool(),
                                s.credits(), 1, s.callId(), s.at()),
                        (a, b) -> a.plus(b.credits(), b.calls()));
            }
            return List.copyOf(rows.values());
        }

        /** This row with {@code more} credits of {@code moreCalls} more calls: no call is named any more. */
        Row plus(long more, long moreCalls) {
            return new Row(orgId, leaseId, refund, credentialId, serverId, tool, credits + more, calls + moreCalls,
                    null, at);
        }
    }

    /**
     * Writes one batch of charges and refunds, summed into ledger rows ({@link Row}): a lease's
     * {@code spent} moves by their sum, only while the lease is open, and each row is written. Answers
     * the leases found closed meanwhile (their node was taken for dead): their rows did not go to
     * them. Such rows are dropped, unless {@code collectLate}: their calls were answered (the journal
     * kept them), so they are taken from the pool itself ({@link #late}).
     */
    synchronized java.util.Set<String> spend(Handle h, List<Row> rows, boolean collectLate) {
        Map<String, Long> byLease = new LinkedHashMap<>();
        for (Row r : rows) {
            byLease.merge(r.leaseId(), r.refund() ? -r.credits() : r.credits(), Long::sum);
        }
        java.util.Set<String> closed = new java.util.HashSet<>();
        try {
            Statements st = statements(h.getConnection());
            for (Map.Entry<String, Long> lease : byLease.entrySet()) {
                st.spent.setLong(1, lease.getValue());
                st.spent.setString(2, lease.getKey());
                st.spent.addBatch();
            }
            int[] counts = st.spent.executeBatch();
            int i = 0;
            for (String id : byLease.keySet()) {
                if (counts[i++] != 1) {
                    closed.add(id);
                }
            }
            boolean any = false;
            for (Row r : rows) {
                if (closed.contains(r.leaseId())) {
                    if (collectLate) {
                        late(h, r);
                    }
                    continue;
                }
                any = true;
                java.sql.PreparedStatement in = st.ledger;
                in.setString(1, Ids.orderedLabel("cl", r.at()));
                in.setString(2, r.orgId());
                in.setString(3, r.refund() ? "refund" : "charge");
                in.setString(4, r.leaseId());
                in.setLong(5, r.refund() ? r.credits() : -r.credits());
                in.setString(6, r.calls() == 1 ? r.callId() : null);
                in.setLong(7, r.calls());
                in.setString(8, r.credentialId());
                in.setString(9, r.serverId());
                in.setString(10, r.tool());
                in.setLong(11, r.at());
                in.addBatch();
            }
            if (any) {
                st.ledger.executeBatch();
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not write a batch of charges: " + e.getMessage(), e);
        }
        return closed;
    }

    /**
     * Spends whose lease had closed before they reached the database (their node was taken for
     * dead, or its journal was replayed after the lease expired): the lease gave back credits these
     * calls had spent, so a charge takes them from the pool, as far as it holds them, and a refund
     * gives them to it. What a late charge could not take is named in its row's note: the one
     * place Gatehouse can undercharge, bounded by what a node spent between its last flush and
     * the expiry of its leases (docs/billing.md, "Where a charge is kept").
     */
    private void late(Handle h, Row s) {
        long credits = s.credits();
        long calls = s.calls();
        Instant now = Instant.ofEpochMilli(Math.max(s.at(), System.currentTimeMillis()));
        Pool pool = pool(h, s.orgId(), now);
        long delta;
        String note;
        if (s.refund()) {
            h.createUpdate("UPDATE credit_pools SET purchased = purchased + :c, updated_at = :now WHERE org_id = :org")
                    .bind("c", credits).bind("now", now.toEpochMilli()).bind("org", s.orgId()).execute();
            delta = credits;
            note = "refunded after lease " + s.leaseId() + " had closed";
        } else {
            long taken = Math.min(credits, pool.balance());
            long fromAllocation = Math.min(taken, pool.allocation());
            h.createUpdate("UPDATE credit_pools SET allocation = allocation - :a, purchased = purchased - :p, "
                            + "updated_at = :now WHERE org_id = :org")
                    .bind("a", fromAllocation).bind("p", taken - fromAllocation).bind("now", now.toEpochMilli())
                    .bind("org", s.orgId()).execute();
            delta = -taken;
            note = "charged after lease " + s.leaseId() + " had closed"
                    + (taken < credits ? "; " + (credits - taken) + " credits could not be taken, the pool was empty" : "");
        }
        h.createUpdate("INSERT INTO credit_ledger (id, org_id, kind, pool_delta, lease_id, lease_delta, call_id, calls, "
                        + "credential_id, server_id, tool, note, created_at) VALUES (:id, :org, :kind, :pd, NULL, 0, "
                        + ":call, :calls, :cred, :server, :tool, :note, :at)")
                .bind("id", Ids.ordered("cl", now.toEpochMilli())).bind("org", s.orgId())
                .bind("kind", s.refund() ? "refund" : "charge").bind("pd", delta)
                .bind("call", calls == 1 ? s.callId() : null).bind("calls", calls).bind("cred", s.credentialId())
                .bind("server", s.serverId()).bind("tool", s.tool()).bind("note", note).bind("at", now.toEpochMilli())
                .execute();
    }

    /** How far into {@code node}'s charge journal the database has applied it (0: not at all). */
    long journalFlushedTo(Handle h, String node) {
        return h.createQuery("SELECT flushed_to FROM credit_journals WHERE node = :node").bind("node", node)
                .mapTo(Long.class).findOne().orElse(0L);
    }

    /** Records that {@code node}'s journal is applied up to {@code position}: in the batch's own transaction. */
    void journalFlushed(Handle h, String node, long position, Instant now) {
        h.createUpdate("INSERT INTO credit_journals (node, flushed_to, updated_at) VALUES (:node, :p, :now) "
                        + "ON CONFLICT (node) DO UPDATE SET flushed_to = excluded.flushed_to, updated_at = excluded.updated_at")
                .bind("node", node).bind("p", position).bind("now", now.toEpochMilli()).execute();
    }

    /** Forgets {@code node}'s journal: it is applied and deleted. */
    void journalGone(Handle h, String node) {
        h.createUpdate("DELETE FROM credit_journals WHERE node = :node").bind("node", node).execute();
    }

    /** {@code node}'s open leases. */
    List<String> openLeases(Handle h, String node) {
        return h.createQuery("SELECT id FROM credit_leases WHERE node = :node AND closed_at IS NULL")
                .bind("node", node).mapTo(String.class).list();
    }

    /**
     * The charge writer's two statements, prepared once on its connection rather than per batch:
     * the writer is one thread on one dedicated connection (GroupCommit), and JDBI's named-parameter
     * batches cost more CPU than the statements they run. Prepared again when the connection changes.
     */
    private record Statements(java.sql.Connection connection, java.sql.PreparedStatement spent,
                              java.sql.PreparedStatement ledger) {
    }

    private Statements statements;

    private Statements statements(java.sql.Connection connection) throws java.sql.SQLException {
        Statements kept = statements;
        if (kept != null && kept.connection() == connection && !kept.spent().isClosed()) {
            return kept;
        }
        statements = new Statements(connection,
                connection.prepareStatement("UPDATE credit_leases SET spent = spent + ? WHERE id = ? AND closed_at IS NULL"),
                connection.prepareStatement("INSERT INTO credit_ledger (id, org_id, kind, pool_delta, lease_id, "
                        + "lease_delta, call_id, calls, credential_id, server_id, tool, created_at) "
                        + "VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)"));
        return statements;
    }

    /**
     * Adds purchased credits (or takes some away, for an operator's adjustment) once per idempotency
     * key: the same change under a key seen before answers false and changes nothing; another change
     * under it throws {@link OtherUse}, for it is a mistake to report, not a retry. A negative
     * adjustment never takes the purchased credits below zero.
     */
    boolean purchase(Handle h, String orgId, String kind, long credits, String idempotencyKey, String note, Instant now) {
        pool(h, orgId, now);
        Optional<Recorded> seen = h.createQuery("SELECT kind, pool_delta FROM credit_ledger "
                        + "WHERE org_id = :org AND idempotency_key = :k")
                .bind("org", orgId).bind("k", idempotencyKey)
                .map((rs, ctx) -> new Recorded(rs.getString(1), rs.getLong(2))).findFirst();
        if (seen.isPresent()) {
            if (!seen.get().equals(new Recorded(kind, credits))) {
                throw new OtherUse(seen.get());
            }
            return false;
        }
        int changed = h.createUpdate("UPDATE credit_pools SET purchased = purchased + :n, updated_at = :now "
                        + "WHERE org_id = :org AND purchased + :n >= 0")
                .bind("org", orgId).bind("n", credits).bind("now", now.toEpochMilli()).execute();
        if (changed != 1) {
            throw new IllegalArgumentException("the pool holds fewer purchased credits than that");
        }
        ledger(h, orgId, kind, credits, null, 0, null, null, null, null, idempotencyKey, note, now);
        if (kind.equals("purchase")) {
            h.createUpdate("UPDATE organizations SET credits_purchased_at = :now WHERE id = :org "
                            + "AND credits_purchased_at IS NULL")
                    .bind("org", orgId).bind("now", now.toEpochMilli()).execute();
        }
        return true;
    }

    /** The change an idempotency key was first used for. */
    record Recorded(String kind, long credits) {
    }

    /** An idempotency key used before for another change: nothing was changed now. */
    static final class OtherUse extends RuntimeException {
        final Recorded recorded;

        OtherUse(Recorded recorded) {
            super("idempotency key used before for " + recorded.kind() + " of " + recorded.credits(), null, false, false);
            this.recorded = recorded;
        }
    }

    /** The pool and the credits its open leases hold, unspent: together, the organization's balance. */
    record Holdings(Pool pool, long inLeases) {
        long balance() {
            return pool.balance() + inLeases;
        }
    }

    /**
     * The pool (made or refilled as {@link #pool} does) and its open leases, read in one statement:
     * on PostgreSQL each statement of a READ COMMITTED transaction sees its own snapshot, so a pool
     * read and a lease read in two would count a lease taken between them twice (once in the pool
     * it came from, once as a lease).
     */
    Holdings holdings(Handle h, String orgId, Instant now) {
        pool(h, orgId, now);
        return h.createQuery("SELECT p.*, (SELECT COALESCE(SUM(from_allocation + from_purchased - spent), 0) "
                        + "FROM credit_leases l WHERE l.org_id = p.org_id AND l.closed_at IS NULL) AS in_leases "
                        + "FROM credit_pools p WHERE p.org_id = :org").bind("org", orgId)
                .map((rs, ctx) -> new Holdings(pool(rs), rs.getLong("in_leases")))
                .one();
    }

    /** One row of the ledger, as the API shows it. */
    record Entry(String id, String kind, long poolDelta, long leaseDelta, String leaseId, String callId, long calls,
                 String credentialId, String serverId, String tool, String note, Instant at) {
    }

    List<Entry> ledger(Handle h, String orgId, int limit, Optional<String> before) {
        return h.createQuery("SELECT * FROM credit_ledger WHERE org_id = :org"
                        + (before.isPresent() ? " AND id < :before" : "") + " ORDER BY id DESC LIMIT :limit")
                .bind("org", orgId).bind("limit", limit).bind("before", before.orElse(null))
                .map((rs, ctx) -> new Entry(rs.getString("id"), rs.getString("kind"), rs.getLong("pool_delta"),
                        rs.getLong("lease_delta"), rs.getString("lease_id"), rs.getString("call_id"),
                        rs.getLong("calls"), rs.getString("credential_id"), rs.getString("server_id"), rs.getString("tool"),
                        rs.getString("note"), Instant.ofEpochMilli(rs.getLong("created_at"))))
                .list();
    }

    private static void ledger(Handle h, String orgId, String kind, long poolDelta, String leaseId, long leaseDelta,
                               String callId, String credentialId, String serverId, String tool, String idempotencyKey,
                               String note, Instant at) {
        h.createUpdate("INSERT INTO credit_ledger (id, org_id, kind, pool_delta, lease_id, lease_delta, call_id, "
                        + "credential_id, server_id, tool, idempotency_key, note, created_at) VALUES (:id, :org, :kind, "
                        + ":pd, :lease, :ld, :call, :cred, :server, :tool, :idem, :note, :at)")
                .bind("id", Ids.ordered("cl", at.toEpochMilli())).bind("org", orgId).bind("kind", kind)
                .bind("pd", poolDelta).bind("lease", leaseId).bind("ld", leaseDelta).bind("call", callId)
                .bind("cred", credentialId).bind("server", serverId).bind("tool", tool).bind("idem", idempotencyKey)
                .bind("note", note).bind("at", at.toEpochMilli()).execute();
    }
}
