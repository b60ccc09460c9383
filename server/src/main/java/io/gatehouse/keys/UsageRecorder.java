package io.gatehouse.keys;

import io.gatehouse.store.Database;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Last-used time and address, and a use count, per key — kept in memory on the hot path and written
 * in batches every {@code keys.usage-flush-interval} and once more on a clean shutdown. Recording a
 * use is a map read, two volatile writes and a striped counter increment: no lock, no I/O.
 */
public final class UsageRecorder implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UsageRecorder.class.getName());
    /** Entries idle for this long are dropped from memory (their data is already written). */
    private static final Duration IDLE = Duration.ofHours(1);

    /** Ids of OAuth grants, whose tokens' uses are counted on the grant. */
    static final String GRANT_PREFIX = "grant_";
    private final Database db;
    private final KeyStore store;
    private final Map<String, Usage> byKey = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher;

    private static final class Usage {
        final LongAdder uses = new LongAdder();
        volatile long lastAt;
        volatile String lastAddress;
        /** Read and written only by the flushing thread. */
        long flushedUses;
    }

    public UsageRecorder(Database db, KeyStore store, Duration interval) {
        this.db = db;
        this.store = store;
        this.flusher = Executors.newSingleThreadScheduledExecutor(r ->
                Thread.ofPlatform().daemon().name("gatehouse-usage-flush").unstarted(r));
        long ms = Math.max(100, interval.toMillis());
        flusher.scheduleWithFixedDelay(this::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Notes a use of a key ({@code key_…}) or of an OAuth grant's token ({@code grant_…}). */
    public void record(String keyId, String address, Instant at) {
        Usage usage = byKey.get(keyId);
        if (usage == null) {
            usage = byKey.computeIfAbsent(keyId, k -> new Usage());
        }
        usage.lastAddress = address;
        usage.lastAt = at.toEpochMilli();
        usage.uses.increment();
    }

    /** Writes everything recorded since the last flush. Called by one thread at a time. */
    synchronized void flush() {
        List<KeyStore.UsageRow> rows = new ArrayList<>();
        List<Usage> included = new ArrayList<>();
        long now = System.currentTimeMillis();
        byKey.forEach((id, usage) -> {
            long total = usage.uses.sum();
            long delta = total - usage.flushedUses;
            if (delta > 0) {
                rows.add(new KeyStore.UsageRow(id, usage.lastAt, usage.lastAddress, delta));
                included.add(usage);
            } else if (now - usage.lastAt > IDLE.toMillis() && byKey.remove(id, usage)
                    && usage.uses.sum() != usage.flushedUses) {
                byKey.putIfAbsent(id, usage); // a use slipped in while removing: keep it for the next flush
            }
        });
        if (rows.isEmpty()) {
            return;
        }
        db.inTransaction(h -> {
            store.flushUsage(h, rows.stream().filter(r -> !r.keyId().startsWith(GRANT_PREFIX)).toList());
            store.flushGrantUsage(h, rows.stream().filter(r -> r.keyId().startsWith(GRANT_PREFIX)).toList());
            return null;
        });
        for (int i = 0; i < rows.size(); i++) {
            included.get(i).flushedUses += rows.get(i).uses();
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not write key usage; will retry: " + e.getMessage());
        }
    }

    /** Stops the timer and writes what is left. */
    @Override
    public void close() {
        flusher.shutdown();
        try {
            flusher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
