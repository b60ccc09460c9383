package io.gatehouse.limits;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request budgets in memory, for the hot path: no lock, and after a bucket exists no allocation but
 * the small {@link Outcome}. Each {@link Limit} is a token bucket that holds {@code count} requests
 * and refills {@code count} per window, kept as GCRA (the generic cell rate algorithm): one
 * {@link AtomicLong} holds the bucket's theoretical arrival time, the instant at which it will be full
 * again, and a request moves it one emission interval ({@code window / count}, rounded up to the
 * nanosecond so that a rate is never exceeded) later, by compare-and-set. A request is allowed while
 * that instant stays within {@code count} intervals of now, so a full bucket admits exactly
 * {@code count} requests at one instant and one more per interval after.
 *
 * <p>Memory: a bucket that is full again holds nothing worth keeping, so {@link #sweep} drops every
 * full bucket; whoever builds the limiter calls it now and then (each minute is plenty). Nothing
 * else bounds the map: buckets must be keyed by what a caller cannot mint at will (key, organization
 * ids of admitted calls), not by anything a request merely claims.
 *
 * <p>Shared across nodes ({@link #shared()}): each bucket also counts the units it gave out, so that
 * whoever shares them ({@code SharedRateLimits} through the database) can {@link #drain} what this
 * node admitted, tell the others, and {@link #merge} back what all of them admitted. Decisions stay
 * in memory; the exchange only moves each bucket's time forward.
 *
 * <p>Every {@code nowNanos} is from one monotonic clock ({@link System#nanoTime}); tests pass their own.
 */
public final class RateLimiter {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** The value of a bucket {@link #sweep} has taken out of the map; a taker that meets it makes a new one. */
    private static final long SWEPT = Long.MIN_VALUE;

    private final Map<Limit, Bucket> buckets = new ConcurrentHashMap<>();
    /** Whether buckets count what they give out, for {@link #drain}. */
    private final boolean counting;

    /** A limiter for this node alone. */
    public RateLimiter() {
        this(false);
    }

    private RateLimiter(boolean counting) {
        this.counting = counting;
    }

    /** A limiter whose buckets count what they give out, for sharing with other nodes. */
    public static RateLimiter shared() {
        return new RateLimiter(true);
    }

    /** A bucket: its theoretical arrival time, and (when counting) the units given out since the last drain. */
    private static final class Bucket extends AtomicLong {
        final AtomicLong taken = new AtomicLong();

        Bucket(long tat) {
            super(tat);
        }
    }

    /**
     * Units a limit gave out on this node since the last {@link #drain}, and the bucket's theoretical
     * arrival time on this node after them ({@code tatNanos}, on the clock of {@code nowNanos}).
     */
    public record Taken(Limit limit, long units, long tatNanos) {
        public long intervalNanos() {
            return interval(limit.rate());
        }
    }

    /** What each limit gave out since the last drain, zeroed: what this node tells the others. */
    public List<Taken> drain() {
        List<Taken> out = new java.util.ArrayList<>();
        for (Map.Entry<Limit, Bucket> entry : buckets.entrySet()) {
            Bucket bucket = entry.getValue();
            AtomicLong taken = bucket.taken;
            if (taken.get() > 0) {
                long units = taken.getAndSet(0);
                if (units > 0) {
                    out.add(new Taken(entry.getKey(), units, bucket.get()));
                } else if (units < 0) {
                    taken.addAndGet(units); // a unit given back after a drain: owed to the next one
                }
            }
        }
        return out;
    }

    /** Counts {@code taken} again at the next {@link #drain}: the exchange that was to tell it failed. */
    public void undrain(Taken taken, long nowNanos) {
        bucket(taken.limit(), nowNanos).taken.addAndGet(taken.units());
    }

    /**
     * What every node admitted: moves {@code limit}'s bucket to at least {@code sharedTatNanos} (its
     * theoretical arrival time with every node's units, this node's drained ones included) plus what
     * this node gave out since it drained. A bucket this node has not used yet is made, so that a
     * credential that moves to this node finds the others' use here.
     */
    public void merge(Limit limit, long sharedTatNanos) {
        long interval = interval(limit.rate());
        while (true) {
            Bucket bucket = bucket(limit, sharedTatNanos);
            long tat = bucket.get();
            long target = sharedTatNanos + bucket.taken.get() * interval;
            if (tat == SWEPT) {
                buckets.remove(limit, bucket);
                continue;
            }
            if (tat - target >= 0 || bucket.compareAndSet(tat, target)) {
                return;
            }
        }
    }

    /** Takes one request from {@code limit}'s bucket if it has one left; a denial takes nothing. */
    public Outcome take(Limit limit, long nowNanos) {
        while (true) {
            Outcome outcome = tryTake(bucket(limit, nowNanos), limit, interval(limit.rate()), nowNanos, true);
            if (outcome != null) {
                return outcome;
            }
        }
    }

    /**
     * Takes one request from each of {@code limits} (a key's and its organization's, say), or from
     * none: when one is exhausted, what was taken from the others is given back. Answers the denial
     * with the longest wait, or when all allow, the limit with the fewest requests left.
     *
     * <p>Two races, both bounded by one request per concurrent caller: while a request holds a unit it
     * will give back, another may be refused it; and a unit given back after its bucket had already
     * refilled past it can let one request too many through.
     */
    public Outcome takeAll(List<Limit> limits, long nowNanos) {
        if (limits.isEmpty()) {
            throw new IllegalArgumentException("no limits to take from");
        }
        return takeFrom(limits, null, null, 0, nowNanos);
    }

    /**
     * Limits taken together on every call of one credential, with their buckets held: a call takes
     * from them without looking each up in the map (a record's hash and equals on every call). A
     * bucket {@link #sweep} has let go is found again in the map on the next take.
     */
    public static final class Group {
        private final RateLimiter owner;
        private final List<Limit> limits;
        private final Bucket[] buckets;
        /** Each limit's emission interval, worked out once: a division fewer per limit and call. */
        private final long[] intervals;

        private Group(RateLimiter owner, List<Limit> limits) {
            this.owner = owner;
            this.limits = List.copyOf(limits);
            this.buckets = new Bucket[limits.size()];
            this.intervals = limits.stream().mapToLong(limit -> interval(limit.rate())).toArray();
        }

        public List<Limit> limits() {
            return limits;
        }
    }

    /** {@code limits} as a {@link Group} of this limiter's, for {@link #takeAll(Group, long)}. */
    public Group group(List<Limit> limits) {
        if (limits.isEmpty()) {
            throw new IllegalArgumentException("no limits to take from");
        }
        return new Group(this, limits);
    }

    /** As {@link #takeAll(List, long)}, through the group's held buckets. */
    public Outcome takeAll(Group group, long nowNanos) {
        if (group.owner != this) {
            throw new IllegalArgumentException("a group of another limiter");
        }
        return takeFrom(group.limits, group.buckets, group.intervals, 0, nowNanos);
    }

    /** Drops the buckets that are full at {@code nowNanos}, and answers how many. */
    public int sweep(long nowNanos) {
        int swept = 0;
        for (Map.Entry<Limit, Bucket> entry : buckets.entrySet()) {
            Bucket bucket = entry.getValue();
            long tat = bucket.get();
            // A bucket with units still to tell the other nodes is kept until they are told.
            if (tat != SWEPT && tat - nowNanos <= 0 && bucket.taken.get() == 0 && bucket.compareAndSet(tat, SWEPT)) {
                buckets.remove(entry.getKey(), bucket);
                swept++;
            }
        }
        return swept;
    }

    int size() {
        return buckets.size();
    }

    /** Takes from {@code limits[i]} then the rest, giving back on the way out if a later one denies. */
    private Outcome takeFrom(List<Limit> limits, Bucket[] held, long[] intervals, int i, long nowNanos) {
        Limit limit = limits.get(i);
        long interval = intervals == null ? interval(limit.rate()) : intervals[i];
        Bucket bucket = held == null ? null : held[i];
        Outcome mine = bucket == null ? null : tryTake(bucket, limit, interval, nowNanos, true);
        while (mine == null) {
            bucket = bucket(limit, nowNanos);
            mine = tryTake(bucket, limit, interval, nowNanos, true);
        }
        if (held != null && held[i] != bucket) {
            held[i] = bucket; // a plain write: a reader that misses it looks the bucket up, as before
        }
        if (!mine.allowed()) {
            return longestWait(mine, limits, i + 1, nowNanos);
        }
        if (i + 1 == limits.size()) {
            return mine;
        }
        Outcome rest = takeFrom(limits, held, intervals, i + 1, nowNanos);
        if (!rest.allowed()) {
            giveBack(bucket, interval);
            return rest;
        }
        return rest.remaining() < mine.remaining()
                || rest.remaining() == mine.remaining() && rest.resetSeconds() > mine.resetSeconds() ? rest : mine;
    }

    /** Among {@code denial} and the limits from {@code from} on that would deny too, the longest wait. */
    private Outcome longestWait(Outcome denial, List<Limit> limits, int from, long nowNanos) {
        for (int j = from; j < limits.size(); j++) {
            Limit other = limits.get(j);
            Bucket bucket = buckets.get(other);
            Outcome would = bucket == null ? null : tryTake(bucket, other, interval(other.rate()), nowNanos, false);
            if (would != null && !would.allowed() && would.resetSeconds() > denial.resetSeconds()) {
                denial = would;
            }
        }
        return denial;
    }

    /**
     * One GCRA step on {@code bucket}: the outcome, with the unit taken if {@code commit}, or
     * {@code null} when the bucket turns out to have been swept (the caller looks it up again).
     */
    private Outcome tryTake(Bucket bucket, Limit limit, long interval, long nowNanos, boolean commit) {
        long burst = interval * limit.rate().count();
        while (true) {
            long tat = bucket.get();
            if (tat == SWEPT) {
                buckets.remove(limit, bucket);
                return null;
            }
            // How far past now the bucket's quota would be spent, this request included.
            long ahead = Math.max(tat - nowNanos, 0) + interval;
            if (ahead > burst) {
                return new Outcome(limit, false, 0, Math.ceilDiv(ahead - burst, NANOS_PER_SECOND));
            }
            if (!commit || bucket.compareAndSet(tat, nowNanos + ahead)) {
                if (commit && counting) {
                    bucket.taken.incrementAndGet();
                }
                return new Outcome(limit, true, (burst - ahead) / interval, Math.ceilDiv(ahead, NANOS_PER_SECOND));
            }
        }
    }

    private void giveBack(Bucket bucket, long interval) {
        while (true) {
            long tat = bucket.get();
            if (tat == SWEPT || bucket.compareAndSet(tat, tat - interval)) {
                if (counting && tat != SWEPT) {
                    bucket.taken.decrementAndGet();
                }
                return; // a swept bucket was full: the unit has come back already
            }
        }
    }

    private Bucket bucket(Limit limit, long nowNanos) {
        Bucket bucket = buckets.get(limit);
        return bucket != null ? bucket : buckets.computeIfAbsent(limit, l -> new Bucket(nowNanos));
    }

    /** Nanoseconds per request, rounded up: a window of 1 s to 1 day over 1 to 10^9 requests is never 0. */
    private static long interval(Rate rate) {
        return Math.ceilDiv(rate.window().toNanos(), rate.count());
    }
}
