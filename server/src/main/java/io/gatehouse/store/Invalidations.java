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
 * Carries {@link Invalidation}s to every cache on this node and, on PostgreSQL, to every other node
 * sharing the database. {@link #publish} is called inside the transaction that makes the change:
 * PostgreSQL delivers a NOTIFY only when that transaction commits, so no node drops an entry before
 * the change is visible, and a rolled-back change notifies nobody. The local caches are told after
 * the commit by the caller through {@link #afterCommit}.
 */
public final class Invalidations implements AutoCloseable {
    static final String CHANNEL = "gatehouse_invalidate";
    private static final Logger LOG = Logger.getLogger(Invalidations.class.getName());

    private final Database database;
    private final List<Consumer<Invalidation>> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private final Thread listenerThread;

    public Invalidations(Database database) {
        this.database = database;
        if (database.engine() == Database.Engine.POSTGRES) {
            listenerThread = Thread.ofPlatform().daemon().name("gatehouse-invalidations").start(this::listen);
        } else {
            listenerThread = null;
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

    @Override
    public void close() {
        running = false;
        if (listenerThread != null) {
            listenerThread.interrupt();
        }
    }
}
