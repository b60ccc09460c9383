package io.gatehouse.billing;

import io.gatehouse.limits.RateLimiter;
import io.gatehouse.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Rate limits shared by every node on one database ({@code rate-limits.store = database}). Each node
 * decides from its own {@link RateLimiter} on the hot path; every {@code rate-limits.sync} this adds
 * what the node admitted per limit to the limit's row ({@code rate_limit_buckets}: the GCRA bucket's
 * theoretical arrival time, TAT) and reads back what all nodes admitted, which moves the node's
 * bucket forward ({@link RateLimiter#merge}).
 *
 * <p>A sync moves the shared TAT to the later of its own plus the node's units (the nodes' requests
 * add up) and the node's own TAT (the node's requests came after the others' had drained away, so
 * its own view is the truer one). One node alone is therefore exactly its own in-memory limiter.
 *
 * <p>The bound, as {@code docs/billing.md} states it: every admitted request lands in the shared TAT,
 * so over time the limit holds across any number of nodes; what can go past it is what the other
 * nodes admitted since this node last heard of them, at most one sync interval of their traffic
 * (and, for a bucket a node has never seen, that node's full bucket once).
 *
 * <p>The row's time is the nodes' wall clock in microseconds, so clock difference between nodes
 * adds to the bound: keep them on NTP. The database's clock is not used, so that SQLite and
 * PostgreSQL share one statement.
 */
final class SharedRateLimits implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SharedRateLimits.class.getName());
    /** A row whose TAT is this far past holds a full bucket, the same as no row: it is pruned. */
    private static final Duration PRUNE_AFTER = Duration.ofMinutes(1);

    /**
     * Adds a node's units to the shared bucket, or takes the node's own bucket where that is later
     * (the node's requests came after the others' had drained away); answers the shared TAT.
     */
    private static final String UPSERT = "INSERT INTO rate_limit_buckets (id, tat) VALUES (:id, :local) "
            + "ON CONFLICT (id) DO UPDATE SET tat = CASE WHEN rate_limit_buckets.tat + :add > :local "
            + "THEN rate_limit_buckets.tat + :add ELSE :local END RETURNING tat";

    private final Database db;
    private final RateLimiter limiter;
    private final Clock clock;
    private final ScheduledExecutorService exchanger;

    SharedRateLimits(Database db, RateLimiter limiter, Duration every, Clock clock) {
        this.db = db;
        this.limiter = limiter;
        this.clock = clock;
        this.exchanger = Executors.newSingleThreadScheduledExecutor(r ->
                Thread.ofPlatform().daemon().name("gatehouse-rate-sync").unstarted(r));
        long ms = every.toMillis();
        exchanger.scheduleWithFixedDelay(this::exchangeQuietly, ms, ms, TimeUnit.MILLISECONDS);
        exchanger.scheduleWithFixedDelay(this::pruneQuietly, 1, 1, TimeUnit.MINUTES);
    }

    /**
     * Tells the database what this node admitted since the last exchange and takes in what every
     * node did. Limits are written in id order, so two nodes' exchanges never wait on each other in
     * a cycle. What a failed exchange could not tell is told at the next.
     */
    void exchange() {
        List<RateLimiter.Taken> taken = limiter.drain();
        if (taken.isEmpty()) {
            return;
        }
        List<RateLimiter.Taken> ordered = taken.stream().sorted(Comparator.comparing(t -> t.limit().sharedId())).toList();
        long nowNanos = System.nanoTime();
        long nowMicros = micros(clock.instant());
        long[] shared;
        try {
            shared = db.inTransaction(h -> {
                long[] tats = new long[ordered.size()];
                for (int i = 0; i < tats.length; i++) {
                    RateLimiter.Taken t = ordered.get(i);
                    long add = Math.ceilDiv(t.units() * t.intervalNanos(), 1000);
                    long local = nowMicros + (t.tatNanos() - nowNanos) / 1000;
                    tats[i] = h.createQuery(UPSERT).bind("id", t.limit().sharedId()).bind("local", local)
                            .bind("add", add).mapTo(Long.class).one();
                }
                return tats;
            });
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            ordered.forEach(t -> limiter.undrain(t, now));
            throw e;
        }
        for (int i = 0; i < shared.length; i++) {
            limiter.merge(ordered.get(i).limit(), nowNanos + (shared[i] - nowMicros) * 1000);
        }
    }

    /** Drops rows whose buckets are full again. */
    int prune() {
        long cutoff = micros(clock.instant().minus(PRUNE_AFTER));
        return db.withHandle(h -> h.createUpdate("DELETE FROM rate_limit_buckets WHERE tat < :cutoff")
                .bind("cutoff", cutoff).execute());
    }

    private void exchangeQuietly() {
        try {
            exchange();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "rate limits: could not share with other nodes; trying again at the next sync", e);
        }
    }

    private void pruneQuietly() {
        try {
            prune();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "rate limits: could not prune shared buckets", e);
        }
    }

    private static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    /** Tells the others one last time, then stops. */
    @Override
    public void close() {
        exchanger.shutdownNow();
        try {
            exchanger.awaitTermination(5, TimeUnit.SECONDS);
            exchange();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "rate limits: could not share the last admissions at shutdown", e);
        }
    }
}
