package io.gatehouse.billing;

import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.store.Database;
import io.gatehouse.store.GroupCommit;
import io.gatehouse.store.Ids;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's share of every organization's credit pool: credits taken from the pool in leases and
 * spent from memory, so that a charge on the hot path is a compare-and-set, never a wait on the
 * database while a lease lasts.
 *
 * <p><b>Exact, with no overspend, across nodes.</b> A lease is taken with one guarded update of the
 * pool ({@link CreditStore#lease}); a node spends only what its leases hold. Each charge is kept
 * before its call is answered, so a charge a client was answered for survives the node's
 * {@code kill -9}: by default in this node's {@link ChargeJournal} (a few stores into a mapped
 * file), applied to the database every {@link #FLUSH_MILLIS} ms as ledger rows and the lease's
 * {@code spent}; with {@code credits.charges=database}, the answer waits for that write itself
 * (group-committed). A lease a node stops renewing (it died) is closed by any node once it has
 * expired plus {@code credits.lease-grace}, or at once by a node on the same host that replays the
 * dead node's journal, and what it did not spend returns to the pool. A charge that reaches the
 * database after its lease closed is taken from the pool itself (journal), or is not written and
 * its call is refused (database).
 *
 * <p><b>Sizing.</b> A lease is sized to the organization's spending on this node: about what it
 * spent in the last renewal period (a third of {@code credits.lease-ttl}), twice over, or what it
 * would spend in a period at the rate it spent since its last lease, whichever is more, within
 * {@code credits.min-lease}…{@code credits.max-lease}, and never more than half of what the pool
 * holds while the pool holds more than a few calls' worth. A lease that is spent, or unused for a
 * whole lease-ttl, goes back at once. The price of leasing: a node may answer 402 while another
 * node's lease still holds credits, until that lease is spent or returned (at most lease-ttl).
 */
public final class CreditPool implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CreditPool.class.getName());

    /**
     * Credits taken from a lease for one call: kept (journaled as it is taken, or written by
     * {@link #record}), then paid for or refunded.
     */
    public record Charge(String orgId, String leaseId, long credits, String node, long call, long at, Held held,
                         boolean journaled) {
        /** The call's id in the ledger: this node's name and a number unique on it, made only when written. */
        public String callId() {
            return "call_" + node + "_" + Long.toString(call, 36);
        }
    }

    /** One lease in memory. */
    static final class Held {
        final String id;
        final String orgId;
        final long granted;
        /** The organization's and the lease's ids as the charge journal writes them, encoded once. */
        final byte[] journalKey;
        final AtomicLong left;
        /** Charges taken and not yet written ({@code credits.charges=database} alone): a closer waits for them. */
        final AtomicInteger inFlight = new AtomicInteger();
        volatile long expiresAt;
        volatile long lastUsed;
        volatile boolean closing;

        Held(CreditStore.Lease lease, long now) {
            this.id = lease.id();
            this.orgId = lease.orgId();
            this.granted = lease.granted();
            this.journalKey = ChargeJournal.leaseKey(lease.orgId(), lease.id());
            this.left = new AtomicLong(lease.granted());
            this.expiresAt = lease.expiresAt().toEpochMilli();
            this.lastUsed = now;
        }
    }

    private static final class Account {
        final String orgId;
        volatile Held[] leases = new Held[0];
        volatile long spentLastPeriod;
        /**
         * What it would spend in a renewal period at the rate it spent between its last two leases:
         * sizes a lease before a tick has seen the spending (a first lease of {@code credits.min-lease}
         * at thousands of calls a second would otherwise be followed by one lease a millisecond until
         * the next tick). Under {@link #leasing}, as are the two fields it is worked out from.
         */
        volatile long spendingRate;
        long leasedAtNanos;
        long spentAtLease;
        /**
         * What its leases had spent at the last tick, and what the leases it has let go of had spent:
         * a period's spending is worked out from the leases at each tick, not counted on every call.
         * Both under the pool's monitor (the tick's).
         */
        long spentAtTick;
        long spentByClosed;
        final AtomicBoolean toppingUp = new AtomicBoolean();
        /** Held while leasing: a call that finds its leases empty waits for a top-up under way, then looks again. */
        final ReentrantLock leasing = new ReentrantLock();

        Account(String orgId) {
            this.orgId = orgId;
        }

        synchronized void add(Held h) {
            Held[] next = Arrays.copyOf(leases, leases.length + 1);
            next[leases.length] = h;
            leases = next;
        }

        synchronized void remove(Held h) {
            Held[] next = Arrays.stream(leases).filter(x -> x != h).toArray(Held[]::new);
            if (next.length < leases.length) {
                spentByClosed += h.granted - h.left.get();
                leases = next;
            }
        }

        /** What its leases have spent, those it has let go of included (refunds count back). */
        long spent() {
            long spent = spentByClosed;
            for (Held h : leases) {
                spent += h.granted - h.left.get();
            }
            return spent;
        }
    }

    private final Database db;
    private final CreditStore store;
    private final GatehouseConfig.Credits config;
    /** The renewal period: leases are renewed, and the spending of each account read, this often. */
    private final long periodMillis;
    private final Clock clock;
    private final String nodeName = Ids.label(12);
    private final String node = "node_" + nodeName;
    /**
     * Call ids: this node's name and a number, unique across nodes, made without randomness on the hot
     * path. With the journal, a charge's slot in it; with {@code credits.charges=database}, this counter.
     */
    private final AtomicLong calls = new AtomicLong();


    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    /**
     * The clock's time at one {@link System#nanoTime}, taken again on every tick: the hot path turns
     * the monotonic time it already read into the clock's without reading the clock again.
     */
    private record Anchor(long millis, long nanos) {
        static Anchor of(Clock clock) {
            return new Anchor(clock.millis(), System.nanoTime());
        }
    }

    private volatile Anchor anchor;
    /** Writes each charge before its answer ({@code credits.charges=database}); null with the journal. */
    private final GroupCommit<CreditStore.Spend, Boolean> writer;
    /** This node's charge journal ({@code credits.charges=journal}); null otherwise. */
    private final ChargeJournal journal;
    /** Applying the journal to the database: one flush at a time. */
    private final Object flushing = new Object();
    private volatile long journalWarnedAt;
    private final ScheduledExecutorService ticker;
    /** Applies the journal every {@link #FLUSH_MILLIS} ms; null without one. */
    private final ScheduledExecutorService flusher;
    private volatile boolean closed;

    public CreditPool(Database db, GatehouseConfig.Plans plans, GatehouseConfig.Credits config, Clock clock) {
        this.db = db;
        this.config = config;
        this.periodMillis = Math.max(1000, config.leaseTtl().toMillis() / 3);
        this.clock = clock;
        this.anchor = Anchor.of(clock);
        this.store = new CreditStore((h, orgId) -> monthlyAllocation(h, orgId, plans, clock), config.cycle());
        boolean journaled = config.charges() == GatehouseConfig.Charges.JOURNAL;
        this.journal = journaled ? ChargeJournal.create(config.journalDir(), node, config.journalBytes()) : null;
        // A busy writer lingers 0.1 ms for more charges: fewer transactions (and WAL checkpoints) under load.
        this.writer = journaled ? null
                : new GroupCommit<>(db, "credits", 256, 100_000, (h, spends) -> {
                    java.util.Set<String> closed = store.spend(h, CreditStore.Row.of(spends), false);
                    return spends.stream().map(spend -> !closed.contains(spend.leaseId())).toList();
                });
        try {
            replayDeadJournals();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not replay the charge journals of nodes that are gone; will retry", e);
        }
        this.ticker = Executors.newSingleThreadScheduledExecutor(r ->
                Thread.ofPlatform().daemon().name("gatehouse-credits").unstarted(r));
        ticker.scheduleWithFixedDelay(this::tickQuietly, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        // Its own thread: a slow commit, or a flusher catching up, never holds back the leases' renewal.
        this.flusher = journal == null ? null : Executors.newSingleThreadScheduledExecutor(r ->
                Thread.ofPlatform().daemon().name("gatehouse-credits-flush").unstarted(r));
        if (flusher != null) {
            flusher.scheduleWithFixedDelay(this::flushQuietly, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Tests only: run by a taker that has found a lease open and is about to announce its charge
     * (reserve its journal slot, or count it in flight): where a closer can mark the lease closing and
     * finish closing it before the charge is announced. Null in a server.
     */
    Runnable beforeAnnouncing;

    /** How often the journal is applied to the database. */
    static final long FLUSH_MILLIS = 100;
    private static final CompletableFuture<Boolean> JOURNALED = CompletableFuture.completedFuture(true);

    private static long monthlyAllocation(org.jdbi.v3.core.Handle h, String orgId, GatehouseConfig.Plans plans,
                                          Clock clock) {
        return h.createQuery("SELECT plan, trial_ends_at FROM organizations WHERE id = :id").bind("id", orgId)
                .map((rs, ctx) -> {
                    long trial = rs.getLong("trial_ends_at");
                    Optional<Instant> ends = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(trial));
                    return plans.effective(rs.getString("plan"), ends, clock.instant()).credits();
                }).findOne().orElse(0L);
    }

    CreditStore store() {
        return store;
    }

    /**
     * Takes {@code credits} from this node's leases, from memory alone, for a call of
     * {@code credentialId} on {@code serverId} ({@code tool}: its tool or route, or null); empty when
     * they do not hold that much (then {@link #take} decides, off the event loop). At
     * {@code nowNanos} ({@link System#nanoTime}), the time the rate limits were taken at: one clock
     * read for both steps. May start a top-up in the background.
     *
     * <p>With the journal, the charge is journaled when this returns ({@link #record} has nothing left
     * to do). Its slot in the journal is reserved <em>before</em> the lease is looked at for the last
     * time (whether it is closing, whether it holds enough), and a closer
     * marks a lease closing before it reads how far the journal is reserved: so either this sees the
     * lease closing, or the closer waits for this charge to reach the database before closing it.
     * That is the whole handshake; no counter of charges in flight is shared between threads.
     *
     * @throws ApiError 503 {@code credits_unavailable} when the journal is full (the database has been
     *                  behind for a whole ring): refused before the call goes anywhere
     */
    public Optional<Charge> takeFromMemory(String orgId, long credits, long nowNanos, String credentialId,
                                           String serverId, String tool) {
        Account account = accounts.get(orgId);
        if (account == null) {
            return Optional.empty();
        }
        Anchor a = anchor;
        long now = a.millis + (nowNanos - a.nanos) / 1_000_000;
        for (Held held : account.leases) {
            if (held.closing || now >= held.expiresAt || held.left.get() < credits) {
                continue;
            }
            Runnable pause = beforeAnnouncing;
            if (pause != null) {
                pause.run();
            }
            Optional<Charge> charge = journal == null ? takeFrom(held, credits, now)
                    : takeJournaled(held, credits, now, credentialId, serverId, tool);
            if (charge.isPresent()) {
                if (held.lastUsed != now) {
                    held.lastUsed = now; // a volatile write only once a millisecond, not on every call
                }
                long low = lowWater(account);
                if (held.left.get() < low && held(account) < low) {
                    topUpLater(account, credits);
                }
                return charge;
            }
        }
        return Optional.empty();
    }

    /** From {@code held}, counted in flight until {@link #record} has written it to the database. */
    private Optional<Charge> takeFrom(Held held, long credits, long now) {
        held.inFlight.incrementAndGet(); // before looking at closing: a closer waits for this to drop
        if (!held.closing && takeLeft(held, credits)) {
            return Optional.of(new Charge(held.orgId, held.id, credits, nodeName, calls.incrementAndGet(), now,
                    held, false));
        }
        held.inFlight.decrementAndGet();
        return Optional.empty();
    }

    /** From {@code held}, its record's slot reserved first (see {@link #takeFromMemory}); numbered by its slot. */
    private Optional<Charge> takeJournaled(Held held, long credits, long now, String credentialId, String serverId,
                                           String tool) {
        ChargeJournal.Slot slot;
        try {
            slot = journal.reserve(held.journalKey, false, credentialId, serverId, tool);
        } catch (RuntimeException e) {
            journalTrouble(e);
            throw ApiError.of(ErrorCode.UNAVAILABLE, "credits_unavailable",
                    "The call's charge cannot be recorded just now, so the call is refused; try again");
        }
        boolean taken = false;
        try {
            taken = !held.closing && takeLeft(held, credits);
            if (taken) {
                journal.commit(slot, credits, slot.position(), now);
                return Optional.of(new Charge(held.orgId, held.id, credits, nodeName, slot.position(), now, held,
                        true));
            }
        } catch (RuntimeException | Error e) {
            if (taken) {
                held.left.addAndGet(credits); // not kept, so not spent
            }
            journal.abandon(slot); // an open slot would hold the flusher for good
            throw e;
        }
        journal.abandon(slot);
        return Optional.empty();
    }

    private static boolean takeLeft(Held held, long credits) {
        long left = held.left.get();
        while (left >= credits) {
            if (held.left.compareAndSet(left, left - credits)) {
                return true;
            }
            left = held.left.get();
        }
        return false;
    }

    /**
     * Takes {@code credits} as {@link #takeFromMemory} does, leasing more from the pool when this
     * node's leases do not hold them. May block on the database: never on the event loop.
     *
     * @throws ApiError 402 {@code insufficient_credits} when the pool does not hold them either
     */
    public Charge take(String orgId, long credits, String credentialId, String serverId, String tool) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Optional<Charge> charge = takeFromMemory(orgId, credits, System.nanoTime(), credentialId, serverId, tool);
            if (charge.isPresent()) {
                return charge.get();
            }
            Account account = accounts.computeIfAbsent(orgId, Account::new);
            account.leasing.lock();
            try {
                if (accounts.get(orgId) != account) {
                    continue; // let go by the ticker meanwhile
                }
                // a top-up may have landed while we waited for it
                charge = takeFromMemory(orgId, credits, System.nanoTime(), credentialId, serverId, tool);
                if (charge.isPresent()) {
                    return charge.get();
                }
                observeSpending(account);
                if (!lease(account, credits, target(account, credits))
                        && !(gatherRemainders(account, credits) && lease(account, credits, target(account, credits)))) {
                    throw insufficient(orgId, credits);
                }
            } finally {
                account.leasing.unlock();
            }
        }
        throw ApiError.of(ErrorCode.UNAVAILABLE, "credits_unavailable",
                "Credits could not be taken from the pool just now; try again");
    }

    /**
     * A charge taken and not used (the call was refused after all, or its client left): back to its
     * lease. Journaled already, it is refunded; otherwise nothing was written.
     */
    public void cancel(Charge charge, String credentialId, String serverId, String tool) {
        if (charge.journaled()) {
            refund(charge, credentialId, serverId, tool);
            return;
        }
        charge.held().left.addAndGet(charge.credits());
        charge.held().inFlight.decrementAndGet();
    }

    /**
     * Keeps the charge where a {@code kill -9} cannot take it: the future says whether it was kept
     * (false: its lease was closed meanwhile), and the call's answer waits for it. A journaled
     * charge is kept already; with {@code credits.charges=database}, once the charge's batch has
     * committed.
     */
    public CompletableFuture<Boolean> record(Charge charge, String credentialId, String serverId, String tool) {
        if (charge.journaled()) {
            return JOURNALED;
        }
        return submit(new CreditStore.Spend(charge.orgId(), charge.leaseId(), charge.credits(), false,
                charge.callId(), credentialId, serverId, tool, charge.at()), charge.held());
    }

    private void journalTrouble(RuntimeException e) {
        long now = System.nanoTime();
        if (now - journalWarnedAt > 60_000_000_000L) {
            journalWarnedAt = now;
            LOG.log(Level.WARNING, "a charge could not be journaled, its call is refused: " + e.getMessage(),
                    e instanceof ChargeJournal.Full ? null : e);
        }
    }

    /**
     * Gives a charge back (the upstream failed and the refund rule says so): to its lease, in memory
     * and in the ledger; to the pool itself when the lease has closed meanwhile.
     */
    public void refund(Charge charge, String credentialId, String serverId, String tool) {
        Held held = charge.held();
        long at = clock.millis();
        if (journal != null) {
            try {
                // First: a lease is never given back credits the database did not hear of. Reserved before
                // closing is looked at, as a charge is (see takeFromMemory).
                journal.append(held.journalKey, true, charge.credits(), charge.call(), at, credentialId, serverId,
                        tool);
            } catch (RuntimeException e) {
                journalTrouble(e);
                Thread.ofVirtual().start(() -> refundToPool(charge));
                return;
            }
            if (!held.closing) {
                held.left.addAndGet(charge.credits());
            }
            return;
        }
        held.inFlight.incrementAndGet();
        if (!held.closing) {
            held.left.addAndGet(charge.credits());
        }
        submit(new CreditStore.Spend(charge.orgId(), charge.leaseId(), charge.credits(), true, charge.callId(),
                credentialId, serverId, tool, at), held).thenAccept(recorded -> {
            if (!recorded) {
                Thread.ofVirtual().start(() -> refundToPool(charge));
            }
        });
    }

    /** A refund whose lease closed before it was written: straight to the pool, once. */
    private void refundToPool(Charge charge) {
        try {
            db.inTransaction(h -> store.purchase(h, charge.orgId(), "refund", charge.credits(),
                    "refund:" + charge.callId(), "refund of a call whose lease had closed", clock.instant()));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not refund " + charge.credits() + " credits of call " + charge.callId(), e);
        }
    }

    private CompletableFuture<Boolean> submit(CreditStore.Spend spend, Held held) {
        CompletableFuture<Boolean> written = writer.submitAsync(spend);
        return written.whenComplete((ok, e) -> {
            if (Boolean.FALSE.equals(ok)) {
                held.closing = true; // closed in the store meanwhile (taken for dead): spend no more of it
            }
            held.inFlight.decrementAndGet();
        });
    }

    /** What the organization has: its pool and the credits in every node's open leases. */
    public long balance(String orgId) {
        return db.withHandle(h -> store.holdings(h, orgId, clock.instant()).balance());
    }

    private ApiError insufficient(String orgId, long credits) {
        long balance;
        try {
            flush(); // the balance the 402 names counts this node's charges: off the loop, so it may write
            balance = balance(orgId);
        } catch (RuntimeException e) {
            balance = -1;
        }
        return new InsufficientCredits(balance, credits).error();
    }

    /** The 402's facts, for the answer's body and for an MCP client's JSON-RPC error. */
    public record InsufficientCredits(long balance, long cost) {
        public ApiError error() {
            return ApiError.of(ErrorCode.PAYMENT_REQUIRED, "insufficient_credits", "Your organization's credit "
                    + "balance is too low for this call: it costs " + cost + (balance >= 0 ? " and "
                    + balance + " remain" : "")).withData(Map.of("balance", balance, "cost", cost));
        }
    }

    /** Below this, across all its leases, a node tops up an organization's credits: a quarter of a lease. */
    private long lowWater(Account account) {
        return Math.max(1, target(account, 1) / 4);
    }

    /** What this node's open leases of the organization hold. */
    private static long held(Account account) {
        long sum = 0;
        for (Held h : account.leases) {
            if (!h.closing) {
                sum += h.left.get();
            }
        }
        return sum;
    }

    private long target(Account account, long least) {
        long wanted = Math.max(config.minLease(), Math.max(2 * account.spentLastPeriod, account.spendingRate));
        return Math.max(least, Math.min(config.maxLease(), wanted));
    }

    /**
     * Before a lease is sized (under the account's {@code leasing} lock): the rate at which the
     * account spent since its last lease, as credits per renewal period. A tick's figure comes up to
     * a period late; this one is as fresh as the last lease.
     */
    private void observeSpending(Account account) {
        long now = System.nanoTime();
        long spent = account.spent();
        if (account.leasedAtNanos != 0) {
            long elapsed = Math.max(1_000_000L, now - account.leasedAtNanos); // a millisecond at least
            double perPeriod = (double) (spent - account.spentAtLease) * periodMillis * 1_000_000L / elapsed;
            account.spendingRate = (long) Math.min(config.maxLease(), Math.max(0, perPeriod));
        }
        account.leasedAtNanos = now;
        account.spentAtLease = spent;
    }

    private void topUpLater(Account account, long least) {
        if (closed || !account.toppingUp.compareAndSet(false, true)) {
            return;
        }
        Thread.ofVirtual().name("gatehouse-credits-topup").start(() -> {
            account.leasing.lock();
            try {
                if (held(account) < lowWater(account) && accounts.get(account.orgId) == account) {
                    observeSpending(account);
                    lease(account, least, target(account, least));
                }
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "could not top up credits of " + account.orgId, e);
            } finally {
                account.leasing.unlock();
                account.toppingUp.set(false);
            }
        });
    }

    /** Takes a new lease into memory; false when the pool cannot give {@code least}. */
    private boolean lease(Account account, long least, long wanted) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Instant now = clock.instant();
            Optional<CreditStore.Lease> lease;
            try {
                lease = db.inTransaction(h -> {
                    CreditStore.Pool pool = store.pool(h, account.orgId, now);
                    if (pool.balance() < least) {
                        return Optional.<CreditStore.Lease>empty();
                    }
                    // Never more than half of a pool that holds more than a few calls' worth: other nodes need some.
                    long fair = pool.balance() > 4 * least ? Math.max(least, pool.balance() / 2) : pool.balance();
                    return store.lease(h, account.orgId, least, Math.min(wanted, fair), node, now, config.leaseTtl())
                            .map(Optional::of).orElseThrow(Contended::new);
                });
            } catch (Contended | org.jdbi.v3.core.statement.UnableToExecuteStatementException retry) {
                continue; // another writer changed the pool between our read and our update
            }
            if (lease.isEmpty()) {
                return false;
            }
            account.add(new Held(lease.get(), now.toEpochMilli()));
            if (closed) {
                tick(); // closing: give it straight back
            }
            return true;
        }
        return false;
    }

    /**
     * Gives back this node's leases of {@code account} that hold some credits but fewer than
     * {@code credits}, so that their remainders, with what the pool holds, can pay for the call:
     * leases of 10 spent 4 at a time each end with 2 that no call of 4 can use, and without this a
     * call would be refused 402 while the organization's credits sat on this node until the leases
     * went idle. Closed as the ticker closes them (after the charges taken from them are in the
     * database), under its lock; a lease whose charges are still on their way is left closing, for the
     * ticker. Off the event loop only.
     *
     * @return whether any lease was given back
     */
    private synchronized boolean gatherRemainders(Account account, long credits) {
        List<Held> small = new ArrayList<>();
        for (Held held : account.leases) {
            long left = held.left.get();
            if (!held.closing && left > 0 && left < credits) {
                held.closing = true; // from here on no charge is taken from it (see takeFromMemory)
                small.add(held);
            }
        }
        for (int wait = 0; wait < 100 && small.stream().anyMatch(h -> h.inFlight.get() > 0); wait++) {
            try {
                Thread.sleep(1); // a charge taken before closing was set is being written (credits.charges=database)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return closeApplied(small, clock.instant(), "returned: its remainder, to pay with others") > 0;
    }

    /**
     * Closes the leases of {@code closing} (each marked closing already) whose charges are all in the
     * database: none in flight, and the journal applied up to where it is reserved. What is left
     * closing is the ticker's, on a later turn. Under this pool's lock (the ticker's).
     *
     * @return how many were closed
     */
    private int closeApplied(List<Held> closing, Instant now, String why) {
        closing.removeIf(held -> held.inFlight.get() > 0); // its charges are still on their way
        if (closing.isEmpty() || journal != null && !flushedUpTo(journal.reserved())) {
            return 0; // what they spent is not all in the database yet
        }
        for (Held held : closing) {
            db.inTransaction(h -> store.close(h, held.id, now, why));
            accounts.values().forEach(a -> a.remove(held));
        }
        return closing.size();
    }

    private static final class Contended extends RuntimeException {
        Contended() {
            super(null, null, false, false);
        }
    }

    private volatile long flushWarnedAt;

    /**
     * The flusher's turn: again at once while the journal is more than a quarter full (a slow commit
     * left it behind), so that a busy node is not refused for want of room; a database that is down
     * is said once a minute, not ten times a second.
     */
    private void flushQuietly() {
        try {
            long before;
            do {
                before = journal.flushedTo();
                flush();
            } while (journal.flushedTo() > before && journal.reserved() - journal.flushedTo() > journal.capacity() / 4
                    && !closed);
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            if (now - flushWarnedAt > 60_000_000_000L) {
                flushWarnedAt = now;
                LOG.log(Level.WARNING, "could not apply the charge journal to the database; retrying every "
                        + FLUSH_MILLIS + " ms: " + e.getMessage());
            }
        }
    }

    /**
     * Applies what the journal held when called to the database, in one transaction (per 50,000
     * charges) that also records how far it got: not what is appended meanwhile, or a busy node's
     * flusher would commit one small transaction after another. A charge whose lease was closed
     * meanwhile is taken from the pool instead ({@link CreditStore#spend}), and this node spends no
     * more from that lease.
     */
    public void flush() {
        if (journal == null) {
            return;
        }
        long upTo = journal.reserved();
        synchronized (flushing) {
            while (journal.flushedTo() < upTo && flushBatch()) {
                // more than one transaction's worth was appended since the last flush
            }
        }
    }

    /** One transaction's worth of the journal; false when there was nothing to apply. */
    private boolean flushBatch() {
        long from = journal.flushedTo();
        ChargeJournal.Read read = journal.read(from, 50_000);
        if (read.next() == from) {
            return false;
        }
        Instant now = clock.instant();
        java.util.Set<String> closed = db.inTransaction(h -> {
            java.util.Set<String> out = read.rows().isEmpty() ? java.util.Set.of() : store.spend(h, read.rows(), true);
            store.journalFlushed(h, node, read.next(), now);
            return out;
        });
        journal.flushed(read.next());
        closed.forEach(this::leaveLease);
        return true;
    }

    /** Flushes until the journal is applied up to {@code position}; false if an append there takes too long. */
    private boolean flushedUpTo(long position) {
        for (int attempt = 0; attempt < 100; attempt++) {
            flush();
            if (journal.flushedTo() >= position) {
                return true;
            }
            try {
                Thread.sleep(1); // an append reserved before position is being written
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** The store found lease {@code id} closed (its node was taken for dead): spend no more of it. */
    private void leaveLease(String id) {
        for (Account account : accounts.values()) {
            for (Held held : account.leases) {
                if (held.id.equals(id)) {
                    held.closing = true;
                }
            }
        }
    }

    /**
     * Replays the journals of this host's nodes whose process is gone (their lock is free): what
     * they journaled goes to the database, exactly once, then their leases are closed at once (no
     * need to wait for them to expire: the node cannot spend them any more), and their journal is
     * deleted. At start and on every tick.
     */
    private void replayDeadJournals() {
        for (java.nio.file.Path file : ChargeJournal.others(config.journalDir(), node)) {
            try {
                replayIfDead(file);
            } catch (RuntimeException e) {
                // One journal that cannot be applied (corrupt, or of another database) must not stop the
                // others, nor the rest of the tick: it stays where it is, and is named once an hour.
                long now = System.nanoTime();
                Long warned = journalsWarnedAt.get(file);
                if (warned == null || now - warned > 3_600_000_000_000L) {
                    journalsWarnedAt.put(file, now);
                    LOG.log(Level.WARNING, "could not replay the charge journal " + file + " of a node that is gone; "
                            + "it is kept and tried again: " + e.getMessage(), e);
                }
            }
        }
    }

    private final Map<java.nio.file.Path, Long> journalsWarnedAt = new ConcurrentHashMap<>();

    private void replayIfDead(java.nio.file.Path file) {
        Optional<ChargeJournal> claimed = ChargeJournal.claim(file);
        if (claimed.isEmpty()) {
            return;
        }
        ChargeJournal dead = claimed.get();
        boolean replayed = false;
        try {
            String other = dead.node();
            long from = db.withHandle(h -> store.journalFlushedTo(h, other)); // read once it is ours
            ChargeJournal.Read read = dead.replay(from);
            Instant now = clock.instant();
            long returned = db.inTransaction(h -> {
                if (!read.rows().isEmpty()) {
                    store.spend(h, read.rows(), true);
                }
                long back = 0;
                for (String lease : store.openLeases(h, other)) {
                    back += store.close(h, lease, now, "its node is gone; its journal was replayed");
                }
                // Applied to its end: should the file outlive this (its deletion failing), a replay
                // after this one starts there and applies nothing twice.
                store.journalFlushed(h, other, read.next(), now);
                return back;
            });
            replayed = true;
            journalsWarnedAt.remove(file);
            LOG.info("replayed " + read.records() + " charges from the journal of " + other
                    + ", a node that is gone, and returned " + returned + " credits of its leases");
        } finally {
            dead.close(replayed);
        }
        forgetJournal(dead.node());
    }

    /** Its journal deleted, a node's row goes too; one left behind (this failing) says only where it ended. */
    private void forgetJournal(String node) {
        try {
            db.inTransaction(h -> {
                store.journalGone(h, node);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "could not forget the charge journal of " + node, e);
        }
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "credit leases: " + e.getMessage());
        }
    }

    /**
     * Renews this node's open leases, gives back the spent, idle and expired ones, and closes other
     * nodes' leases that expired (plus the grace) without renewal: their node is gone.
     */
    synchronized void tick() {
        anchor = Anchor.of(clock);
        Instant now = clock.instant();
        long ms = now.toEpochMilli();
        List<Held> closing = new ArrayList<>();
        for (Account account : accounts.values()) {
            long spent = account.spent();
            account.spentLastPeriod = Math.max(0, spent - account.spentAtTick);
            account.spentAtTick = spent;
            for (Held held : account.leases) {
                boolean idle = ms - held.lastUsed >= config.leaseTtl().toMillis();
                if (closed || held.left.get() == 0 || idle || ms >= held.expiresAt) {
                    held.closing = true;
                }
                if (held.closing) {
                    closing.add(held);
                }
            }
        }
        closeApplied(closing, now, closed ? "node stopped" : "returned"); // the rest: next tick
        long expires = ms + config.leaseTtl().toMillis();
        if (db.inTransaction(h -> store.renew(h, node, Instant.ofEpochMilli(expires))) > 0) {
            for (Account account : accounts.values()) {
                for (Held held : account.leases) {
                    if (!held.closing) {
                        held.expiresAt = expires;
                    }
                }
            }
        }
        try {
            replayDeadJournals();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not look for the charge journals of nodes that are gone: " + e.getMessage());
        }
        for (String dead : db.withHandle(h -> store.expired(h, now.minus(config.leaseGrace())))) {
            long back = db.inTransaction(h -> store.close(h, dead, now, "expired: its node stopped renewing it"));
            if (back > 0) {
                LOG.info("returned " + back + " credits of expired lease " + dead);
            }
        }
        for (Account account : accounts.values()) {
            if (account.leases.length == 0 && account.spentLastPeriod == 0 && account.leasing.tryLock()) {
                try {
                    accounts.remove(account.orgId, account); // under its lock: nobody is leasing into it
                } finally {
                    account.leasing.unlock();
                }
            }
        }
    }

    /** Writes every charge taken, then gives back every lease. */
    @Override
    public void close() {
        closed = true;
        for (ScheduledExecutorService thread : flusher == null ? List.of(ticker) : List.of(ticker, flusher)) {
            thread.shutdown();
            try {
                thread.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (writer != null) {
            writer.close();
        }
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not return credit leases at shutdown; they return once expired: "
                    + e.getMessage());
        }
        if (journal != null) {
            boolean applied = false;
            try {
                applied = flushedUpTo(journal.reserved());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not apply the charge journal at shutdown; the next node to start "
                        + "on this host replays it: " + e.getMessage());
            } finally {
                journal.close(applied);
            }
            if (applied) {
                // Only once the file is gone: while it is there, its row says how far it was applied.
                forgetJournal(node);
            }
        }
    }
}
