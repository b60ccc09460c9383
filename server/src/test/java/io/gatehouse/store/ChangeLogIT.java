package io.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.testing.TestDatabase;
import io.gatehouse.testing.TestNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The change log that carries invalidations between processes sharing a SQLite file, read the way
 * each process reads it once a second. SQLite whichever engine the suite runs on; CliIT has the
 * whole path (the CLI's change reaching a running server).
 */
class ChangeLogIT {
    private TestNode node;
    private Database db;
    private Invalidations invalidations;
    private final List<Invalidation> delivered = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        node = TestNode.startWith(TestNode.tempDir(), Map.of(), true);
        db = node.server.services().db();
        invalidations = node.server.services().invalidations();
        // Only what the test's own reads deliver: the node's follower thread reads the same log.
        Thread test = Thread.currentThread();
        invalidations.subscribe(i -> {
            if (Thread.currentThread() == test) {
                delivered.add(i);
            }
        });
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private long lastSeq() {
        return db.withHandle(h -> h.createQuery("SELECT COALESCE(MAX(seq), 0) FROM change_log").mapTo(Long.class).one());
    }

    @Test
    void changesAreReadInOrderAndARolledBackOneIsNeverLogged() {
        long seen = lastSeq();
        db.inTransaction(h -> {
            invalidations.publish(h, new Invalidation.User("usr_1"));
            invalidations.publish(h, new Invalidation.Servers());
            return null;
        });
        assertThatThrownBy(() -> db.inTransaction(h -> {
            invalidations.publish(h, new Invalidation.Organization("org_never"));
            throw new IllegalStateException("rolled back");
        })).hasMessage("rolled back");

        assertThat(lastSeq()).isEqualTo(seen + 2);
        delivered.clear();
        assertThat(invalidations.readLog(seen)).isEqualTo(seen + 2);
        assertThat(delivered).contains(new Invalidation.User("usr_1"), new Invalidation.Servers())
                .doesNotContain(new Invalidation.Organization("org_never"));
        delivered.clear();
        assertThat(invalidations.readLog(seen + 2)).as("nothing new").isEqualTo(seen + 2);
        assertThat(delivered).isEmpty();
    }

    @Test
    void rowsPrunedBeforeTheyWereReadMeanEverythingMayHaveChanged() {
        long seen = lastSeq();
        for (String user : List.of("usr_a", "usr_b", "usr_c")) {
            db.inTransaction(h -> {
                invalidations.publish(h, new Invalidation.User(user));
                return null;
            });
        }
        db.withHandle(h -> h.createUpdate("DELETE FROM change_log WHERE seq <= :upTo").bind("upTo", seen + 2).execute());

        delivered.clear();
        assertThat(invalidations.readLog(seen)).isEqualTo(seen + 3);
        assertThat(delivered).containsExactly(new Invalidation.All());
    }

    @Test
    void pruneDropsOnlyAPrefixSoAReaderBehindItAlwaysSeesTheGap() {
        long seen = lastSeq();
        for (String user : List.of("usr_a", "usr_b", "usr_c", "usr_d")) {
            db.inTransaction(h -> {
                invalidations.publish(h, new Invalidation.User(user));
                return null;
            });
        }
        // The clock stepped back while usr_c was written: it looks older than usr_b.
        long old = System.currentTimeMillis() - Invalidations.LOG_KEEP.toMillis() - 60_000;
        setCreatedAt(seen + 1, old);
        setCreatedAt(seen + 3, old);

        invalidations.prune();
        // Dropping usr_a and usr_c alone would let a reader past usr_a read usr_b then usr_d and
        // never learn of usr_c.
        assertThat(seqsAfter(seen)).containsExactly(seen + 4);
        delivered.clear();
        assertThat(invalidations.readLog(seen + 1)).isEqualTo(seen + 4);
        assertThat(delivered).containsExactly(new Invalidation.All());

        setCreatedAt(seen + 4, old);
        invalidations.prune();
        assertThat(seqsAfter(seen)).as("the newest stays however old, so seq never starts over")
                .containsExactly(seen + 4);
    }

    private void setCreatedAt(long seq, long at) {
        db.withHandle(h -> h.createUpdate("UPDATE change_log SET created_at = :at WHERE seq = :s")
                .bind("at", at).bind("s", seq).execute());
    }

    private List<Long> seqsAfter(long seen) {
        return db.withHandle(h -> h.createQuery("SELECT seq FROM change_log WHERE seq > :seen ORDER BY seq")
                .bind("seen", seen).mapTo(Long.class).list());
    }

    @Test
    void aNodeThatCannotStartLeavesNoChangeFollowerBehind() throws Exception {
        long before = followers();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            java.nio.file.Path dir = TestNode.tempDir();
            Map<String, String> settings = new java.util.HashMap<>(TestDatabase.settings(dir));
            settings.put("http.port", Integer.toString(taken.getLocalPort()));
            assertThatThrownBy(() -> TestNode.startWith(dir, settings, true))
                    .as("the port is in use").isNotNull();
        }
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(5).toNanos();
        while (followers() > before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(followers()).isEqualTo(before);
    }

    private static long followers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().matches("gatehouse-(change-log|invalidations)"))
                .count();
    }
}
