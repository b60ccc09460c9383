package io.gatehouse.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Time is simulated: every call gets its instant, in nanoseconds from an arbitrary origin. */
class RateLimiterTest {
    private static final long T0 = 1_000_000_000_000L;
    private static final long SECOND = 1_000_000_000L;

    private final RateLimiter limiter = new RateLimiter();

    private static Limit limit(String policy, String key, String rate) {
        return new Limit(policy, key, Rate.parse(rate));
    }

    private int admitted(Limit limit, int attempts, long now) {
        int allowed = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.take(limit, now).allowed()) {
                allowed++;
            }
        }
        return allowed;
    }

    @Test
    void aFullBucketAdmitsExactlyItsCountAtOneInstantCountingDown() {
        Limit key = limit("key", "key_a", "100/60s");
        for (int i = 1; i <= 100; i++) {
            Outcome outcome = limiter.take(key, T0);
            assertThat(outcome.allowed()).as("request %d", i).isTrue();
            assertThat(outcome.remaining()).as("request %d", i).isEqualTo(100 - i);
            assertThat(outcome.resetSeconds()).as("seconds until full after %d", i).isEqualTo((i * 6 + 9) / 10);
        }

        Outcome denied = limiter.take(key, T0);

        assertThat(denied).isEqualTo(new Outcome(key, false, 0, 1)); // one interval, 0.6 s, rounded up
        assertThat(admitted(key, 1000, T0)).isZero();
    }

    @Test
    void ratesThatDoNotDivideTheirWindowStillAdmitExactlyTheirCount() {
        assertThat(admitted(limit("a", "k", "7/day"), 10, T0)).isEqualTo(7);
        assertThat(admitted(limit("b", "k", "3/s"), 10, T0)).isEqualTo(3);
        assertThat(admitted(limit("c", "k", "1/s"), 10, T0)).isEqualTo(1);
    }

    @Test
    void theBucketRefillsOneRequestPerIntervalAndIsFullAfterTheWindow() {
        Limit key = limit("key", "key_a", "100/60s");
        long interval = 600_000_000L;
        assertThat(admitted(key, 100, T0)).isEqualTo(100);

        assertThat(limiter.take(key, T0 + interval - 1).allowed()).isFalse();
        assertThat(limiter.take(key, T0 + interval)).isEqualTo(new Outcome(key, true, 0, 60));
        assertThat(limiter.take(key, T0 + interval).allowed()).isFalse();
        assertThat(admitted(key, 10, T0 + 4 * interval)).isEqualTo(3);
        assertThat(admitted(key, 200, T0 + 4 * interval + 60 * SECOND)).isEqualTo(100);
    }

    @Test
    void aDenialSaysWhenTheNextRequestWouldBeAllowedAndTakesNothing() {
        Limit key = limit("key", "key_a", "1/h");
        assertThat(limiter.take(key, T0).allowed()).isTrue();

        for (int i = 0; i < 50; i++) {
            assertThat(limiter.take(key, T0 + 600 * SECOND)).isEqualTo(new Outcome(key, false, 0, 3000));
        }
        assertThat(limiter.take(key, T0 + 3599 * SECOND + 1)).isEqualTo(new Outcome(key, false, 0, 1));

        assertThat(limiter.take(key, T0 + 3600 * SECOND)).isEqualTo(new Outcome(key, true, 0, 3600));
    }

    @Test
    void aGroupTakesFromTheSameBucketsAsItsLimitsAndFindsThemAgainAfterASweep() {
        Limit perMinute = limit("minute", "key_a", "2/min");
        Limit perDay = limit("day", "key_a", "5/day");
        RateLimiter.Group group = limiter.group(List.of(perMinute, perDay));

        assertThat(limiter.takeAll(group, T0).allowed()).isTrue();
        assertThat(limiter.takeAll(List.of(perMinute, perDay), T0).allowed()).as("one bucket, two ways in").isTrue();
        assertThat(limiter.takeAll(group, T0).limit()).isEqualTo(perMinute);

        assertThat(limiter.sweep(T0 + 61 * SECOND)).as("the minute's bucket is full again").isEqualTo(1);
        assertThat(limiter.takeAll(group, T0 + 61 * SECOND)).isEqualTo(new Outcome(perMinute, true, 1, 30));
        assertThat(limiter.take(perMinute, T0 + 61 * SECOND)).as("the group's new bucket is the map's")
                .isEqualTo(new Outcome(perMinute, true, 0, 60));
        assertThat(limiter.takeAll(group, T0 + 61 * SECOND).allowed()).isFalse();
        assertThatThrownBy(() -> new RateLimiter().takeAll(group, T0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eachLimitHasItsOwnBucketSoOneIdCanBeHeldToTwoPolicies() {
        Limit perMinute = limit("minute", "key_a", "2/min");
        Limit perDay = limit("day", "key_a", "3/day");

        assertThat(limiter.takeAll(List.of(perMinute, perDay), T0).allowed()).isTrue();
        assertThat(limiter.takeAll(List.of(perMinute, perDay), T0).allowed()).isTrue();
        assertThat(limiter.takeAll(List.of(perMinute, perDay), T0).limit()).isEqualTo(perMinute);
        assertThat(limiter.takeAll(List.of(perMinute, perDay), T0 + 60 * SECOND))
                .isEqualTo(new Outcome(perDay, true, 0, 86_400 - 60));
        assertThat(limiter.size()).isEqualTo(2);
    }

    @Test
    void takeAllWhenALaterLimitIsExhaustedThenTheEarlierOnesAreGivenBack() {
        Limit key = limit("key", "key_a", "10/min");
        Limit org = limit("org", "org_a", "1/min");
        assertThat(limiter.takeAll(List.of(key, org), T0)).isEqualTo(new Outcome(org, true, 0, 60));

        for (int i = 0; i < 20; i++) {
            assertThat(limiter.takeAll(List.of(key, org), T0)).isEqualTo(new Outcome(org, false, 0, 60));
        }

        assertThat(limiter.take(key, T0).remaining()).as("only the one admitted request was taken").isEqualTo(8);
    }

    @Test
    void takeAllWhenAnEarlierLimitIsExhaustedThenTheLaterOnesAreNotTouched() {
        Limit key = limit("key", "key_a", "1/min");
        Limit org = limit("org", "org_a", "100/min");
        assertThat(limiter.takeAll(List.of(key, org), T0)).isEqualTo(new Outcome(key, true, 0, 60));

        for (int i = 0; i < 20; i++) {
            assertThat(limiter.takeAll(List.of(key, org), T0).allowed()).isFalse();
        }

        assertThat(limiter.take(org, T0).remaining()).isEqualTo(98);
    }

    @Test
    void takeAllAnswersTheDenialWithTheLongestWait() {
        Limit key = limit("key", "key_a", "1/min");
        Limit org = limit("org", "org_a", "1/h");
        limiter.take(key, T0);
        limiter.take(org, T0);

        assertThat(limiter.takeAll(List.of(key, org), T0 + 10 * SECOND)).isEqualTo(new Outcome(org, false, 0, 3590));
        assertThat(limiter.takeAll(List.of(org, key), T0 + 10 * SECOND)).isEqualTo(new Outcome(org, false, 0, 3590));
        assertThat(limiter.takeAll(List.of(key, org), T0 + 70 * SECOND)).isEqualTo(new Outcome(org, false, 0, 3530));
        assertThat(limiter.take(key, T0 + 70 * SECOND).allowed()).as("the key's refill was not spent").isTrue();
    }

    @Test
    void takeAllWhenAllAllowThenAnswersTheOneWithFewestLeft() {
        Limit key = limit("key", "key_a", "5/min");
        Limit org = limit("org", "org_a", "100/min");
        Limit freshKey = limit("key", "key_b", "5/min");
        Limit slowOrg = limit("org", "org_b", "5/h");

        assertThat(limiter.takeAll(List.of(key, org), T0)).isEqualTo(new Outcome(key, true, 4, 12));
        assertThat(limiter.takeAll(List.of(org, key), T0)).isEqualTo(new Outcome(key, true, 3, 24));
        assertThat(limiter.takeAll(List.of(freshKey, slowOrg), T0))
                .as("equally many left: the longer wait").isEqualTo(new Outcome(slowOrg, true, 4, 720));
    }

    @Test
    void eightThreadsOnOneKeyAtOneInstantAreAdmittedExactlyTheCount() throws Exception {
        for (int round = 0; round < 20; round++) {
            Limit key = limit("key", "key_" + round, "100/60s");
            assertThat(hammer(8, 1_000, () -> limiter.take(key, T0).allowed())).as("round %d", round).isEqualTo(100);
        }
    }

    @Test
    void eightThreadsTakingFromAKeyAndItsOrganizationSpendTheKeyOnlyForAdmittedRequests() throws Exception {
        for (int round = 0; round < 20; round++) {
            Limit key = limit("key", "key_" + round, "1000/60s");
            Limit org = limit("org", "org_" + round, "100/60s");
            assertThat(hammer(8, 1_000, () -> limiter.takeAll(List.of(key, org), T0).allowed()))
                    .as("round %d", round).isEqualTo(100);
            assertThat(limiter.take(key, T0).remaining()).as("round %d", round).isEqualTo(1000 - 100 - 1);
        }
    }

    @Test
    void sweepDropsOnlyBucketsThatAreFullAgain() {
        Limit drained = limit("key", "key_a", "100/60s");
        Limit touched = limit("key", "key_b", "100/60s");
        admitted(drained, 100, T0);
        limiter.take(touched, T0);

        assertThat(limiter.sweep(T0 + SECOND)).isEqualTo(1);
        assertThat(limiter.size()).isEqualTo(1);
        assertThat(limiter.take(drained, T0 + SECOND).remaining()).as("still drained, less one refill").isZero();

        assertThat(limiter.sweep(T0 + 60 * SECOND)).isZero();
        assertThat(limiter.sweep(T0 + 61 * SECOND)).isEqualTo(1);
        assertThat(limiter.size()).isZero();
        assertThat(admitted(drained, 200, T0 + 61 * SECOND)).as("a fresh bucket is full, no fuller").isEqualTo(100);
    }

    /** Runs {@code attempt} on {@code threads} threads started together, and counts the trues. */
    private static int hammer(int threads, int attemptsEach, BooleanSupplier attempt) throws InterruptedException {
        AtomicInteger allowed = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            started.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < attemptsEach; i++) {
                    if (attempt.getAsBoolean()) {
                        allowed.incrementAndGet();
                    }
                }
            }));
        }
        start.countDown();
        for (Thread thread : started) {
            thread.join();
        }
        return allowed.get();
    }

    // --- shared across nodes: drain what was given out, merge what every node gave out ---------

    @Test
    void aSharedLimiterDrainsWhatItGaveOutOnceAndNothingWhenDenied() {
        RateLimiter node = RateLimiter.shared();
        Limit key = limit("key", "key_a", "3/min");
        for (int i = 0; i < 5; i++) {
            node.take(key, T0);
        }
        List<RateLimiter.Taken> drained = node.drain();
        assertThat(drained).extracting(RateLimiter.Taken::limit, RateLimiter.Taken::units)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(key, 3L));
        assertThat(drained.getFirst().tatNanos()).as("three of a minute's three: full again in a minute")
                .isEqualTo(T0 + 60 * SECOND);
        assertThat(node.drain()).as("drained once").isEmpty();
        assertThat(new RateLimiter().drain()).as("a limiter for one node counts nothing").isEmpty();
        Limit other = limit("org", "org_a", "3/min");
        RateLimiter counting = RateLimiter.shared();
        counting.take(other, T0);
        assertThat(counting.takeAll(List.of(limit("key", "key_b", "1/min"), other), T0).allowed()).isTrue();
        assertThat(counting.takeAll(List.of(limit("key", "key_b", "1/min"), other), T0).allowed())
                .as("key_b is spent: the unit taken from the org is given back").isFalse();
        assertThat(counting.drain()).extracting(RateLimiter.Taken::limit, RateLimiter.Taken::units)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(other, 2L),
                        org.assertj.core.groups.Tuple.tuple(limit("key", "key_b", "1/min"), 1L));
    }

    @Test
    void twoNodesThatMergeEachOthersUseAdmitTheRateBetweenThemNotTwiceIt() {
        RateLimiter a = RateLimiter.shared();
        RateLimiter b = RateLimiter.shared();
        Limit key = limit("key", "key_a", "10/s");
        long interval = SECOND / 10;
        // The shared row, as SharedRateLimits keeps it: TAT = max(TAT + units × interval, the node's TAT).
        long[] shared = {T0};
        int admitted = 0;
        for (long now = T0; now < T0 + 10 * SECOND; now += SECOND / 100) {
            admitted += a.take(key, now).allowed() ? 1 : 0;
            admitted += b.take(key, now).allowed() ? 1 : 0;
            if ((now - T0) % (SECOND / 5) == 0) { // a sync every 200 ms
                for (RateLimiter node : List.of(a, b)) {
                    for (RateLimiter.Taken t : node.drain()) {
                        shared[0] = Math.max(shared[0] + t.units() * interval, t.tatNanos());
                        node.merge(t.limit(), shared[0]);
                    }
                }
                a.merge(key, shared[0]);
                b.merge(key, shared[0]);
            }
        }
        int expected = 10 + 10 * 10; // a full bucket, then ten seconds at the rate
        assertThat(admitted).as("one node alone would admit %d", expected).isBetween((int) (expected * 0.9),
                (int) (expected * 1.1));
    }

    @Test
    void mergeNeverMovesABucketBackAndMakesOneThisNodeHadNot() {
        RateLimiter node = RateLimiter.shared();
        Limit key = limit("key", "key_a", "2/min");
        node.merge(key, T0 + 60 * SECOND); // another node spent the whole bucket
        assertThat(node.take(key, T0).allowed()).as("the other node's use is known here").isFalse();
        node.merge(key, T0 - 60 * SECOND);
        assertThat(node.take(key, T0).allowed()).as("an older time changes nothing").isFalse();
        RateLimiter fresh = RateLimiter.shared();
        fresh.take(key, T0);
        List<RateLimiter.Taken> drained = fresh.drain();
        fresh.undrain(drained.getFirst(), T0);
        assertThat(fresh.drain()).as("what a failed exchange could not tell is told next time").isEqualTo(drained);
        assertThat(fresh.sweep(T0 + 120 * SECOND)).as("a full bucket with nothing left to tell is swept").isEqualTo(1);
    }
}
