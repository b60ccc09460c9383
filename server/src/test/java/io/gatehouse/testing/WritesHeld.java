package io.gatehouse.testing;

import io.gatehouse.store.Database;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A database that takes no writes for a while, as a slow or stuck one would: a transaction held
 * open, on PostgreSQL with {@code table} locked against writers, on SQLite as this process's one
 * writer (its other writers queue behind it). Until {@link #close}, at most a minute.
 */
public final class WritesHeld implements AutoCloseable {
    private final CountDownLatch release = new CountDownLatch(1);
    private final Thread holder;

    private WritesHeld(Database db, String table) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(1);
        holder = Thread.ofPlatform().start(() -> {
            try {
                db.inTransaction(h -> {
                    if (db.engine() == Database.Engine.POSTGRES) {
                        h.execute("LOCK TABLE " + table + " IN EXCLUSIVE MODE");
                    }
                    holding.countDown();
                    return release.await(60, TimeUnit.SECONDS);
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        if (!holding.await(10, TimeUnit.SECONDS)) {
            close();
            throw new IllegalStateException("could not hold the database's writes");
        }
    }

    /** Holds writes to {@code table} (PostgreSQL), or all of this process's writes (SQLite). */
    public static WritesHeld on(Database db, String table) throws InterruptedException {
        return new WritesHeld(db, table);
    }

    /** Lets writes through again, once the holding transaction has ended. */
    @Override
    public void close() throws InterruptedException {
        release.countDown();
        holder.join(60_000);
    }
}
