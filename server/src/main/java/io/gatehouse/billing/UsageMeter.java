package io.gatehouse.billing;

import io.gatehouse.store.Database;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Calls, errors and credits per minute, credential, server and tool: counted in memory on the hot
 * path (a map read and striped counters, no lock, no I/O), added to {@code usage_minutes} in one
 * batch every second, and once more on a clean shutdown. After a {@code kill -9}, at most the last
 * second of counts is lost. Two nodes add to the same rows ({@code ON CONFLICT … DO UPDATE}, which
 * SQLite and PostgreSQL both speak).
 */
public final class UsageMeter implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UsageMeter.class.getName());
    private static final long MINUTE = 60_000;

    /** How a call ended, as usage counts it. */
    public enum Result { OK, CLIENT_ERROR, SERVER_ERROR }

    record Key(long minute, String orgId, String credentialId, String serverId, String tool) {
    }

    static final class Counts {
        final LongAdder calls = new LongAdder();
        final LongAdder clientErrors = new LongAdder();
        final LongAdder serverErrors = new LongAdder();
        final LongAdder credits = new LongAdder();
    }

    /** One minute's counts as flushed, for what watches usage (alerts). */
    public record Flushed(Key key, long calls, long clientErrors, long serverErrors, long credits) {
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

    /** Counts one call; {@code credits} net of any refund. */
    public void record(String orgId, String credentialId, String serverId, String tool, Result result, long credits,
                       long atMillis) {
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
            case OK -> {
            }
        }
        if (credits != 0) {
            c.credits.add(credits);
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
            long credits = c.credits.sumThenReset();
            if (calls != 0 || credits != 0) {
                rows.add(new Flushed(e.getKey(), calls, client, server, credits));
            } else if (e.getKey().minute() < now - 2 * MINUTE) {
                counts.remove(e.getKey(), c); // no call counts toward a minute two minutes gone
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        try {
            db.inTransaction(h -> {
                PreparedBatch batch = h.prepareBatch("INSERT INTO usage_minutes (minute, org_id, credential_id, "
                        + "server_id, tool, calls, client_errors, server_errors, credits) VALUES (:m, :org, :cred, "
                        + ":server, :tool, :calls, :ce, :se, :credits) ON CONFLICT (minute, credential_id, server_id, tool) "
                        + "DO UPDATE SET calls = usage_minutes.calls + excluded.calls, "
                        + "client_errors = usage_minutes.client_errors + excluded.client_errors, "
                        + "server_errors = usage_minutes.server_errors + excluded.server_errors, "
                        + "credits = usage_minutes.credits + excluded.credits");
                for (Flushed r : rows) {
                    batch.bind("m", r.key().minute()).bind("org", r.key().orgId())
                            .bind("cred", r.key().credentialId()).bind("server", r.key().serverId())
                            .bind("tool", r.key().tool()).bind("calls", r.calls()).bind("ce", r.clientErrors())
                            .bind("se", r.serverErrors()).bind("credits", r.credits()).add();
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
                c.credits.add(r.credits());
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
