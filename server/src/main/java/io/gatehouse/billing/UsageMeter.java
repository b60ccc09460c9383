package io.gatehouse.billing;

import io.gatehouse.store.Database;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Calls, errors by kind and credits per minute, credential, server and tool, with the row's last
 * call and the address it came from: counted in memory on the hot path (a map read, striped
 * counters, and a field written only when the address changes; no lock, no I/O), added to
 * {@code usage_minutes} in one batch every second, and once more on a clean shutdown. After a
 * {@code kill -9}, at most the last second of counts is lost. Two nodes add to the same rows
 * ({@code ON CONFLICT … DO UPDATE}, which SQLite and PostgreSQL both speak); of their last calls,
 * the later is kept.
 */
public final class UsageMeter implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UsageMeter.class.getName());
    private static final long MINUTE = 60_000;

    /** How a call ended, as usage counts it: each error in one kind only. */
    public enum Result {
        OK,
        /** A 4xx other than the two below: refused by Gatehouse past the door, or by the upstream. */
        CLIENT_ERROR,
        /** A 5xx, an unreachable upstream, a timeout. */
        SERVER_ERROR,
        /** 429: a rate limit of the plan or the server was spent. */
        RATE_LIMITED,
        /** 402: the organization's credits did not cover the call. */
        UNPAID
    }

    record Key(long minute, String orgId, String credentialId, String serverId, String tool) {
    }

    static final class Counts {
        final LongAdder calls = new LongAdder();
        final LongAdder clientErrors = new LongAdder();
        final LongAdder serverErrors = new LongAdder();
        final LongAdder rateLimited = new LongAdder();
        final LongAdder unpaid = new LongAdder();
        final LongAdder credits = new LongAdder();
        /** The latest call since the last flush (0: none); its address is {@link #lastAddress}. */
        final LongAccumulator lastAt = new LongAccumulator(Math::max, 0);
        /** Written only when it changes: a busy credential calling from one address writes nothing. */
        volatile String lastAddress;
    }

    /**
     * One minute's counts as flushed, for what watches usage (alerts).
     *
     * @param lastAt      the latest call counted in this batch, epoch ms (0: none, a refund alone)
     * @param lastAddress the client address last seen for the row, or null
     */
    public record Flushed(Key key, long calls, long clientErrors, long serverErrors, long rateLimited, long unpaid,
                          long credits, long lastAt, String lastAddress) {
        /** Errors of every kind. */
        public long errors() {
            return clientErrors + serverErrors + rateLimited + unpaid;
        }

        public String orgId() {
            return key.orgId();
        }

        public String credentialId() {
            return key.credentialId();
        }

        public long minute() {
            return key.minute();
        }
    }

    private final Database db;
    private final Map<Key, Counts> counts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher;
    private final List<Consumer<List<Flushed>>> watchers = new java.util.concurrent.CopyOnWriteArrayList<>();

    public UsageMeter(Database db) {
        this.db = db;
        this.flusher = Executors.newSingleThreadScheduledExecutor(r ->
                Thread.ofPlatform().daemon().name("gatehouse-usage-minutes").unstarted(r));
        flusher.scheduleWithFixedDelay(this::flushQuietly, 1, 1, TimeUnit.SECONDS);
    }

    /** Adds {@code watcher}, told of each batch once it is written. */
    public void watch(Consumer<List<Flushed>> watcher) {
        watchers.add(watcher);
    }

    /**
     * Counts one call; {@code credits} net of any refund.
     *
     * @param address the client's address ({@code null} when unknown), kept as the row's last
     */
    public void record(String orgId, String credentialId, String serverId, String tool, Result result, long credits,
                       String address, long atMillis) {
        Key key = new Key(atMillis - atMillis % MINUTE, orgId, credentialId, serverId == null ? "" : serverId,
                tool == null ? "" : tool);
        Counts c = counts.get(key);
        if (c == null) {
            c = counts.computeIfAbsent(key, k -> new Counts());
        }
        c.calls.increment();
        switch (result) {
            case CLIENT_ERROR -> c.clientErrors.increment();
            case SERVER_ERROR -> c.serverErrors.increment();
            case RATE_LIMITED -> c.rateLimited.increment();
            case UNPAID -> c.unpaid.increment();
            case OK -> {
            }
        }
        if (credits != 0) {
            c.credits.add(credits);
        }
        c.lastAt.accumulate(atMillis);
        if (address != null && !address.equals(c.lastAddress)) {
            c.lastAddress = address;
        }
    }

    /** Writes what was counted since the last flush. One thread at a time. */
    public synchronized void flush() {
        long now = System.currentTimeMillis();
        List<Flushed> rows = new ArrayList<>();
        for (Map.Entry<Key, Counts> e : counts.entrySet()) {
            Counts c = e.getValue();
            long calls = c.calls.sumThenReset();
            long client = c.clientErrors.sumThenReset();
            long server = c.serverErrors.sumThenReset();
            long limited = c.rateLimited.sumThenReset();
            long unpaid = c.unpaid.sumThenReset();
            long credits = c.credits.sumThenReset();
            long lastAt = c.lastAt.getThenReset();
            if (calls != 0 || credits != 0) {
                rows.add(new Flushed(e.getKey(), calls, client, server, limited, unpaid, credits, lastAt,
                        c.lastAddress));
            } else if (e.getKey().minute() < now - 2 * MINUTE) {
                counts.remove(e.getKey(), c); // no call counts toward a minute two minutes gone
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        try {
            db.inTransaction(h -> {
                // Both sides of each SET read the row as it was, so the last call's time and address move together.
                String later = "excluded.last_used_at IS NOT NULL AND (usage_minutes.last_used_at IS NULL "
                        + "OR excluded.last_used_at >= usage_minutes.last_used_at)";
                PreparedBatch batch = h.prepareBatch("INSERT INTO usage_minutes (minute, org_id, credential_id, "
                        + "server_id, tool, calls, client_errors, server_errors, rate_limited, unpaid, credits, "
                        + "last_used_at, last_used_ip) VALUES (:m, :org, :cred, :server, :tool, :calls, :ce, :se, :rl, "
                        + ":unpaid, :credits, :at, :ip) ON CONFLICT (minute, credential_id, server_id, tool) "
                        + "DO UPDATE SET calls = usage_minutes.calls + excluded.calls, "
                        + "client_errors = usage_minutes.client_errors + excluded.client_errors, "
                        + "server_errors = usage_minutes.server_errors + excluded.server_errors, "
                        + "rate_limited = usage_minutes.rate_limited + excluded.rate_limited, "
                        + "unpaid = usage_minutes.unpaid + excluded.unpaid, "
                        + "credits = usage_minutes.credits + excluded.credits, "
                        + "last_used_at = CASE WHEN " + later + " THEN excluded.last_used_at "
                        + "ELSE usage_minutes.last_used_at END, "
                        + "last_used_ip = CASE WHEN " + later + " THEN COALESCE(excluded.last_used_ip, "
                        + "usage_minutes.last_used_ip) ELSE usage_minutes.last_used_ip END");
                for (Flushed r : rows) {
                    batch.bind("m", r.key().minute()).bind("org", r.key().orgId())
                            .bind("cred", r.key().credentialId()).bind("server", r.key().serverId())
                            .bind("tool", r.key().tool()).bind("calls", r.calls()).bind("ce", r.clientErrors())
                            .bind("se", r.serverErrors()).bind("rl", r.rateLimited()).bind("unpaid", r.unpaid())
                            .bind("credits", r.credits())
                            .bind("at", r.lastAt() == 0 ? null : r.lastAt())
                            .bind("ip", r.lastAt() == 0 ? null : r.lastAddress()).add();
                }
                batch.execute();
                return null;
            });
        } catch (RuntimeException e) {
            for (Flushed r : rows) { // kept for the next flush
                Counts c = counts.computeIfAbsent(r.key(), k -> new Counts());
                c.calls.add(r.calls());
                c.clientErrors.add(r.clientErrors());
                c.serverErrors.add(r.serverErrors());
                c.rateLimited.add(r.rateLimited());
                c.unpaid.add(r.unpaid());
                c.credits.add(r.credits());
                c.lastAt.accumulate(r.lastAt());
            }
            throw e;
        }
        for (Consumer<List<Flushed>> w : watchers) {
            try {
                w.accept(rows);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "usage watcher failed", e);
            }
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not write usage; will retry: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        flusher.shutdown();
        try {
            flusher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flushQuietly();
    }
}
