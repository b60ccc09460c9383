package io.gatehouse.store;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jdbi.v3.core.Handle;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Carries {@link Invalidation}s to every cache on this node and to every other process sharing the
 * database. {@link #publish} is called inside the transaction that makes the change, so no process
 * drops an entry before the change is visible, and a rolled-back change tells nobody:
 * <ul>
 *   <li>PostgreSQL delivers a NOTIFY only when that transaction commits; every node listens.
 *   <li>SQLite has no notifications, so the change is written to {@code change_log} in the same
 *       transaction, and every process reads the rows past the last one it saw once a second. That
 *       is how the local-store CLI next to a running server reaches the server's caches.
 * </ul>
 * The local caches are told after the commit by the caller through {@link #afterCommit}.
 */
public final class Invalidations implements AutoCloseable {
    static final String CHANNEL = "gatehouse_invalidate";
    private static final Logger LOG = Logger.getLogger(Invalidations.class.getName());

    /** How often a process on SQLite reads the change log. */
    static final Duration LOG_POLL = Duration.ofSeconds(1);
    /** How long a change stays in the log: a process that did not read it for that long starts over. */
    static final Duration LOG_KEEP = Duration.ofMinutes(10);

    private final Database database;
    private final java.time.Clock clock;
    private final List<Consumer<Invalidation>> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private final Thread listenerThread;

    public Invalidations(Database database, java.time.Clock clock) {
        this.database = database;
        this.clock = clock;
        if (database.engine() == Database.Engine.POSTGRES) {
            listenerThread = Thread.ofPlatform().daemon().name("gatehouse-invalidations").start(this::listen);
        } else {
            long seen = database.withHandle(h -> h.createQuery("SELECT COALESCE(MAX(seq), 0) FROM change_log")
                    .mapTo(Long.class).one());
            listenerThread = Thread.ofPlatform().daemon().name("gatehouse-change-log").start(() -> follow(seen));
        }
    }

    public void subscribe(Consumer<Invalidation> listener) {
        listeners.add(listener);
    }

    /** Queues the invalidation for other nodes; call inside the transaction that makes the change. */
    public void publish(Handle handle, Invalidation invalidation) {
        if (database.engine() == Database.Engine.POSTGRES) {
            handle.createQuery("SELECT pg_notify(:channel, :payload)")
                    .bind("channel", CHANNEL)
                    .bind("payload", invalidation.payload())
                    .mapTo(String.class)
                    .one();
        } else {
            // SQLite has one writer at a time and assigns the rowid (seq) under its write lock as the
            // largest plus one: seq grows in commit order, and a rolled-back row leaves no gap.
            handle.createUpdate("INSERT INTO change_log (payload, created_at) VALUES (:payload, :at)")
                    .bind("payload", invalidation.payload())
                    .bind("at", clock.millis())
                    .execute();
        }
    }

    /** Applies invalidations on this node; call after the transaction committed. */
    public void afterCommit(List<Invalidation> invalidations) {
        invalidations.forEach(this::deliver);
    }

    private void deliver(Invalidation invalidation) {
        for (Consumer<Invalidation> listener : listeners) {
            listener.accept(invalidation);
        }
    }

    private void listen() {
        Duration backoff = Duration.ofMillis(100);
        while (running) {
            try (Connection connection = database.dedicatedConnection()) {
                try (Statement st = connection.createStatement()) {
                    st.execute("LISTEN " + CHANNEL);
                }
                // Anything may have changed while we were not listening.
                deliver(new Invalidation.All());
                backoff = Duration.ofMillis(100);
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(500);
                    if (notifications == null) {
                        continue;
                    }
                    for (PGNotification n : notifications) {
                        Invalidation.parse(n.getParameter()).ifPresent(this::deliver);
                    }
                }
            } catch (Exception e) {
                if (!running) {
                    return;
                }
                LOG.log(Level.WARNING, "invalidation listener lost its connection; retrying in " + backoff.toMillis()
                        + " ms: " + e.getMessage());
                deliver(new Invalidation.All());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                        ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * SQLite: delivers the changes other processes (and this one) logged past {@code seen}. This
     * process's own changes come round a second time, which costs a cache entry re-read at most.
     */
    private void follow(long seen) {
        long polls = 0;
        while (running) {
            try {
                Thread.sleep(LOG_POLL);
                seen = readLog(seen);
                if (++polls % 60 == 0) {
                    prune();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (!running) {
                    return;
                }
                LOG.log(Level.WARNING, "could not read the change log; retrying: " + e.getMessage());
            }
        }
    }

    /** The rows past {@code seen}, delivered; returns the last one read. */
    long readLog(long seen) {
        record Row(long seq, String payload) {
        }
        List<Row> rows = database.withHandle(h -> h.createQuery(
                        "SELECT seq, payload FROM change_log WHERE seq > :seen ORDER BY seq LIMIT 1000")
                .bind("seen", seen)
                .map((rs, ctx) -> new Row(rs.getLong("seq"), rs.getString("payload")))
                .list());
        if (rows.isEmpty()) {
            return seen;
        }
        if (rows.getFirst().seq() != seen + 1) {
            // Rows this process never read were pruned (it was stopped for longer than LOG_KEEP):
            // anything may have changed.
            deliver(new Invalidation.All());
        } else {
            rows.forEach(r -> Invalidation.parse(r.payload()).ifPresent(this::deliver));
        }
        return rows.getLast().seq();
    }

    /**
     * Drops rows older than {@link #LOG_KEEP}, always keeping the newest, so seq never starts over.
     * Only ever a prefix goes, up to the last row old enough: if a clock stepped back, a row in the
     * middle that looks old stays, since a reader would otherwise skip it without noticing a gap.
     */
    void prune() {
        database.withHandle(h -> h.createUpdate("DELETE FROM change_log "
                        + "WHERE seq <= (SELECT MAX(seq) FROM change_log WHERE created_at < :before) "
                        + "AND seq < (SELECT MAX(seq) FROM change_log)")
                .bind("before", clock.millis() - LOG_KEEP.toMillis())
                .execute());
    }

    @Override
    public void close() {
        running = false;
        if (listenerThread != null) {
            listenerThread.interrupt();
        }
    }
}
