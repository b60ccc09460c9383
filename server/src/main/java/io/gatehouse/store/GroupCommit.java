package io.gatehouse.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;

/**
 * Group commit: small writes from many threads, committed together. A caller hands its write to
 * {@link #submit} and waits; one writer thread takes every write waiting, runs them in one
 * transaction, commits once, and answers each. Nothing waits for a batch to fill: a lone write is
 * committed at once, and a batch is whatever queued while the previous one committed (a writer
 * built with a linger waits that long for more, but only right after a batch of several).
 *
 * <p>Why: on SQLite every transaction holds the one write lock, and most of its time goes to the
 * transaction itself (begin, commit, the connection) rather than to the statements. A write that
 * many clients make at once (a refresh token's rotation) then serialises behind a lock it mostly
 * spends on overhead; committed together, the overhead is paid once per batch. On PostgreSQL it
 * saves a commit (a WAL flush) per write.
 *
 * <p>A write that throws fails the whole transaction; its batch is then replayed one write per
 * transaction, so one bad write fails only its own caller.
 *
 * @param <T> what a caller writes
 * @param <R> what the write answers
 */
public final class GroupCommit<T, R> implements AutoCloseable {
    /**
     * The writes of one batch, in order, inside its transaction: one answer per item. Taking them
     * together lets a write prepare its statements once per batch (JDBI's {@code PreparedBatch}).
     */
    @FunctionalInterface
    public interface Write<T, R> {
        List<R> apply(Handle handle, List<T> items);
    }

    private record Pending<T, R>(T item, CompletableFuture<R> answer) {
    }

    private final Database db;
    private final Write<T, R> write;
    private final int maxBatch;
    private final long lingerNanos;
    private final BlockingQueue<Pending<T, R>> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean closed;

    public GroupCommit(Database db, String name, int maxBatch, Write<T, R> write) {
        this(db, name, maxBatch, 0, write);
    }

    /**
     * As above, and when the last batch was more than one write (writes are arriving together),
     * waits up to {@code lingerNanos} for more before committing: fewer, larger transactions when
     * busy; a lone write still commits at once.
     */
    public GroupCommit(Database db, String name, int maxBatch, long lingerNanos, Write<T, R> write) {
        this.db = db;
        this.write = write;
        this.maxBatch = maxBatch;
        this.lingerNanos = lingerNanos;
        this.writer = Thread.ofPlatform().daemon().name("gatehouse-group-commit-" + name).start(this::run);
    }

    /** Writes {@code item} in the next batch and answers once that batch has committed. */
    public R submit(T item) {
        if (closed) {
            return alone(item);
        }
        Pending<T, R> pending = new Pending<>(item, new CompletableFuture<>());
        queue.add(pending);
        if (closed && queue.remove(pending)) {
            // Closed while it was being queued: the writer may already be gone.
            return alone(item);
        }
        try {
            return pending.answer().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /**
     * Writes {@code item} in the next batch without waiting: the future completes once that batch
     * has committed (or failed). For callers that must not block, such as the edge's event loop.
     */
    public CompletableFuture<R> submitAsync(T item) {
        if (closed) {
            return CompletableFuture.supplyAsync(() -> alone(item), Thread::startVirtualThread);
        }
        Pending<T, R> pending = new Pending<>(item, new CompletableFuture<>());
        queue.add(pending);
        if (closed && queue.remove(pending)) {
            return CompletableFuture.supplyAsync(() -> alone(item), Thread::startVirtualThread);
        }
        return pending.answer();
    }

    /** Writes waiting for the next batch. */
    int queued() {
        return queue.size();
    }

    private void run() {
        int lastBatch = 0;
        List<Pending<T, R>> batch = new ArrayList<>(maxBatch);
        while (!closed || !queue.isEmpty()) {
            try {
                Pending<T, R> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                if (lingerNanos > 0 && lastBatch > 1 && batch.size() < maxBatch) {
                    java.util.concurrent.locks.LockSupport.parkNanos(lingerNanos);
                    queue.drainTo(batch, maxBatch - batch.size());
                }
                lastBatch = batch.size();
                commit(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException | Error e) {
                // commit() answers every write it took; this only keeps the writer alive.
                batch.forEach(p -> p.answer().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
        // Interrupted: whatever is left is refused rather than left waiting.
        for (Pending<T, R> p; (p = queue.poll()) != null; ) {
            p.answer().completeExceptionally(new IllegalStateException("the writer stopped"));
        }
        if (handle != null) {
            handle.close();
        }
    }

    private R alone(T item) {
        return db.inTransaction(h -> write.apply(h, List.of(item)).getFirst());
    }

    /** The writer's own connection, opened on first use and again after a failure. */
    private Handle handle;

    private List<R> inTransaction(List<T> items) {
        if (handle == null) {
            handle = db.openDedicated();
        }
        try {
            return db.inTransaction(handle, h -> write.apply(h, items));
        } catch (RuntimeException e) {
            // The connection may be what failed: the next batch gets a new one.
            try {
                handle.close();
            } catch (RuntimeException ignored) {
                // Already broken; nothing more to release.
            }
            handle = null;
            throw e;
        }
    }

    private void commit(List<Pending<T, R>> batch) {
        List<R> answers;
        try {
            List<T> items = batch.stream().map(Pending::item).toList();
            answers = inTransaction(items);
            if (answers.size() != items.size()) {
                throw new IllegalStateException("a group write answered " + answers.size() + " of " + items.size());
            }
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                batch.getFirst().answer().completeExceptionally(e);
                return;
            }
            for (Pending<T, R> p : batch) {
                try {
                    p.answer().complete(alone(p.item()));
                } catch (RuntimeException alone) {
                    p.answer().completeExceptionally(alone);
                }
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).answer().complete(answers.get(i));
        }
    }

    /** Commits what is queued, then stops; later writes run one transaction each. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            writer.interrupt();
        }
    }
}
