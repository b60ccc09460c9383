package io.gatehouse.store;

import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * One transaction that changes state: its handle, and the invalidations the change causes.
 * {@link #invalidate} tells other nodes on commit and this node right after.
 */
public final class Tx {
    private final Handle handle;
    private final Invalidations invalidations;
    private final List<Invalidation> pending = new ArrayList<>();

    private Tx(Handle handle, Invalidations invalidations) {
        this.handle = handle;
        this.invalidations = invalidations;
    }

    public Handle handle() {
        return handle;
    }

    public void invalidate(Invalidation invalidation) {
        invalidations.publish(handle, invalidation);
        pending.add(invalidation);
    }

    /** A unit of work inside one transaction. */
    @FunctionalInterface
    public interface Work<R> {
        R run(Tx tx);
    }

    /** Runs {@code work} in a transaction, then applies its invalidations on this node. */
    public static <R> R run(Database database, Invalidations invalidations, Work<R> work) {
        List<Invalidation> done = new ArrayList<>();
        R result = database.inTransaction(handle -> {
            Tx tx = new Tx(handle, invalidations);
            R r = work.run(tx);
            done.addAll(tx.pending);
            return r;
        });
        invalidations.afterCommit(done);
        return result;
    }
}
