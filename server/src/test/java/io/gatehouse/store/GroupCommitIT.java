package io.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.testing.TestDatabase;
import io.gatehouse.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit on the engine under test: writes from many threads committed together, each caller
 * answered with its own result, a failing write failing only its caller, nothing lost on close.
 */
class GroupCommitIT {
    private Database db;
    /** The size of every batch the writer ran, in order (replays of one write included). */
    private final List<Integer> batches = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() {
        Map<String, String> s = TestDatabase.settings(TestNode.tempDir());
        db = Database.open(new GatehouseConfig.Database(s.get("database.url"),
                Optional.ofNullable(s.get("database.user")), Optional.ofNullable(s.get("database.password")), 4));
        db.withHandle(h -> h.execute("CREATE TABLE group_commit_test (item INTEGER PRIMARY KEY)"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** Inserts each item and answers it doubled; item -1 fails, as a constraint would. */
    private List<Integer> write(Handle h, List<Integer> items) {
        batches.add(items.size());
        List<Integer> out = new ArrayList<>();
        for (int item : items) {
            if (item < 0) {
                throw new IllegalStateException("item " + item + " is refused");
            }
            h.execute("INSERT INTO group_commit_test (item) VALUES (?)", item);
            out.add(item * 2);
        }
        return out;
    }

    private List<Integer> stored() {
        return db.withHandle(h -> h.createQuery("SELECT item FROM group_commit_test ORDER BY item")
                .mapTo(Integer.class).list());
    }

    private final CountDownLatch firstBatchRunning = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    /** A group whose batch with item 0 waits for {@link #release}, so that the writes after it queue up. */
    private GroupCommit<Integer, Integer> held() {
        return new GroupCommit<>(db, "test", 64, (h, items) -> {
            if (items.contains(0)) {
                firstBatchRunning.countDown();
                await(release);
            }
            return write(h, items);
        });
    }

    @Test
    void writesThatWaitAreCommittedTogetherAndEachCallerGetsItsOwnAnswer() throws Exception {
        try (GroupCommit<Integer, Integer> group = held();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> first = callers.submit(() -> group.submit(0));
            assertThat(firstBatchRunning.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<Integer>> rest = new ArrayList<>();
            for (int i = 1; i <= 200; i++) {
                int item = i;
                rest.add(callers.submit(() -> group.submit(item)));
            }
            waitUntilQueued(group, 200);
            release.countDown();

            assertThat(first.get(10, TimeUnit.SECONDS)).isZero();
            for (int i = 0; i < rest.size(); i++) {
                assertThat(rest.get(i).get(10, TimeUnit.SECONDS)).as("answer to item %d", i + 1).isEqualTo(2 * (i + 1));
            }
        }
        assertThat(stored()).hasSize(201).startsWith(0, 1, 2).endsWith(200);
        // One write alone, then the 200 that queued behind it in batches of at most 64.
        assertThat(batches).containsExactly(1, 64, 64, 64, 8);
    }

    @Test
    void aLingeringWriterWaitsForMoreOnlyAfterABatchOfSeveral() throws Exception {
        try (GroupCommit<Integer, Integer> group = new GroupCommit<>(db, "test", 64, 1_000_000_000L, (h, items) -> {
                 if (items.contains(0)) {
                     firstBatchRunning.countDown();
                     await(release);
                 }
                 return write(h, items);
             })) {
            CompletableFuture<Integer> first = group.submitAsync(0);
            assertThat(firstBatchRunning.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Integer> one = group.submitAsync(1);
            CompletableFuture<Integer> two = group.submitAsync(2);
            waitUntilQueued(group, 2);
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS)).isZero(); // alone: the batch before it was none
            assertThat(one.get(10, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(two.get(10, TimeUnit.SECONDS)).isEqualTo(4);

            // The last batch was two: the writer takes 3, then waits (1 s) and 4 joins it.
            CompletableFuture<Integer> three = group.submitAsync(3);
            Thread.sleep(50);
            CompletableFuture<Integer> four = group.submitAsync(4);
            assertThat(three.get(10, TimeUnit.SECONDS)).isEqualTo(6);
            assertThat(four.get(10, TimeUnit.SECONDS)).isEqualTo(8);
        }
        assertThat(batches).containsExactly(1, 2, 2);
    }

    @Test
    void aWriteThatFailsFailsOnlyItsOwnCallerAndTheOthersAreCommittedOnce() throws Exception {
        try (GroupCommit<Integer, Integer> group = held();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> first = callers.submit(() -> group.submit(0));
            assertThat(firstBatchRunning.await(10, TimeUnit.SECONDS)).isTrue();
            Future<Integer> one = callers.submit(() -> group.submit(1));
            waitUntilQueued(group, 1);
            Future<Integer> bad = callers.submit(() -> group.submit(-1));
            waitUntilQueued(group, 2);
            Future<Integer> three = callers.submit(() -> group.submit(3));
            waitUntilQueued(group, 3);
            release.countDown();

            assertThat(first.get(10, TimeUnit.SECONDS)).isZero();
            assertThat(one.get(10, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(three.get(10, TimeUnit.SECONDS)).isEqualTo(6);
            assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("item -1 is refused");
        }
        // The batch of three rolled back as a whole, then each write ran alone: 1 and 3 once each.
        assertThat(stored()).containsExactly(0, 1, 3);
        assertThat(batches).containsExactly(1, 3, 1, 1, 1);
    }

    @Test
    void closingCommitsWhatIsQueuedAndLaterWritesStillCommit() throws Exception {
        GroupCommit<Integer, Integer> group = held();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> first = callers.submit(() -> group.submit(0));
            assertThat(firstBatchRunning.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<Integer>> queued = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                int item = i;
                queued.add(callers.submit(() -> group.submit(item)));
            }
            waitUntilQueued(group, 5);
            Future<?> closing = callers.submit(group::close);
            release.countDown();
            closing.get(10, TimeUnit.SECONDS);
            assertThat(first.get(10, TimeUnit.SECONDS)).isZero();
            for (Future<Integer> f : queued) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isPositive();
            }
        }
        assertThat(group.submit(7)).as("after close, a write runs alone").isEqualTo(14);
        assertThat(stored()).containsExactly(0, 1, 2, 3, 4, 5, 7);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the first batch");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void waitUntilQueued(GroupCommit<?, ?> group, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (group.queued() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + group.queued() + " of " + count + " writes were queued");
            }
            Thread.sleep(5);
        }
    }
}
