package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The charge journal's file, on a real file: what is appended is read back in order, wraps around
 * the ring, is refused when the ring holds only unapplied records, and survives its process (replay
 * steps over a record cut short, and over corruption, to the next whole one).
 */
class ChargeJournalTest {
    private static final int SMALL = 64 * 1024;

    @TempDir
    Path dir;

    private static CreditStore.Spend spend(int i) {
        return new CreditStore.Spend("org_" + i % 3, "lease_" + i % 5, i + 1, i % 7 == 0, "call_a_" + Long.toString(i, 36),
                i % 2 == 0 ? "key_" + i : null, "srv_1", i % 4 == 0 ? "tööl " + i : i % 4 == 1 ? "工具 " + i : null, 1_000L + i);
    }

    private static List<CreditStore.Spend> spends(int from, int to) {
        List<CreditStore.Spend> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(spend(i));
        }
        return out;
    }

    /** Credits and calls by ledger row, wherever in which batch each was read. */
    private static java.util.Map<List<Object>, List<Long>> totals(List<CreditStore.Row> rows) {
        java.util.Map<List<Object>, List<Long>> out = new java.util.HashMap<>();
        for (CreditStore.Row r : rows) {
            out.merge(java.util.Arrays.asList(r.orgId(), r.leaseId(), r.refund(), r.credentialId(), r.serverId(), r.tool()),
                    List.of(r.credits(), r.calls()), (a, b) -> List.of(a.get(0) + b.get(0), a.get(1) + b.get(1)));
        }
        return out;
    }

    /** Appends {@code s} as a node appends a charge: its lease's key, and the number its call id ends in. */
    private static void append(ChargeJournal journal, CreditStore.Spend s) {
        long call = Long.parseLong(s.callId().substring(s.callId().lastIndexOf('_') + 1), 36);
        journal.append(ChargeJournal.leaseKey(s.orgId(), s.leaseId()), s.refund(), s.credits(), call, s.at(),
                s.credentialId(), s.serverId(), s.tool());
    }

    @Test
    void whatIsAppendedIsReadBackInOrderAndWrapsAroundTheRing() {
        try (ChargeJournal journal = ChargeJournal.create(dir, "node_a", SMALL)) {
            List<CreditStore.Spend> all = new ArrayList<>();
            long at = journal.flushedTo();
            for (int i = 0; i < 3000; i++) { // about 6 laps of the ring
                CreditStore.Spend s = spend(i);
                append(journal, s);
                all.add(s);
                if (i % 100 == 99) {
                    ChargeJournal.Read read = journal.read(at, 1000);
                    assertThat(read.records()).isEqualTo(100);
                    assertThat(read.rows()).containsExactlyElementsOf(CreditStore.Row.of(all));
                    at = read.next();
                    journal.flushed(at);
                    all.clear();
                }
            }
            assertThat(journal.reserved()).as("wrapped").isGreaterThan(4L * SMALL);
            assertThat(journal.read(at, 1000).rows()).isEmpty();
        }
    }

    @Test
    void anAbandonedSlotHoldsTheReaderUntilFilledAndIsSkipped() throws IOException {
        ChargeJournal journal = ChargeJournal.create(dir, "node_a", SMALL);
        append(journal, spend(0));
        ChargeJournal.Slot kept = journal.reserve(ChargeJournal.leaseKey("org_1", "lease_1"), false, "key_1", "srv_1",
                null);
        assertThat(journal.read(journal.flushedTo(), 100).records()).as("stops at the slot still open").isEqualTo(1);
        journal.abandon(kept);
        append(journal, spend(1));
        ChargeJournal.Read read = journal.read(journal.flushedTo(), 100);
        assertThat(read.rows()).containsExactlyElementsOf(CreditStore.Row.of(spends(0, 2)));
        assertThat(read.next()).isEqualTo(journal.reserved());
        journal.close(false);
        ChargeJournal dead = ChargeJournal.claim(dir.resolve("node_a.journal")).orElseThrow();
        try {
            assertThat(dead.replay(0).rows()).containsExactlyElementsOf(CreditStore.Row.of(spends(0, 2)));
        } finally {
            dead.close(true);
        }
    }

    @Test
    void anAppendThatWouldOverwriteUnappliedRecordsIsRefused() {
        try (ChargeJournal journal = ChargeJournal.create(dir, "node_a", SMALL)) {
            int kept = 0;
            assertThatThrownBy(() -> {
                for (int i = 0; ; i++) {
                    append(journal, spend(i));
                }
            }).isInstanceOf(ChargeJournal.Full.class);
            ChargeJournal.Read read = journal.read(journal.flushedTo(), 100_000);
            kept = read.records();
            assertThat(kept).isGreaterThan(500);
            assertThat(read.rows()).containsExactlyElementsOf(CreditStore.Row.of(spends(0, kept)));
            journal.flushed(read.next());
            append(journal, spend(1)); // room again
        }
    }

    @Test
    void appendsFromManyThreadsAreAllReadOnce() throws Exception {
        try (ChargeJournal journal = ChargeJournal.create(dir, "node_a", 1 << 20)) {
            ConcurrentLinkedQueue<CreditStore.Spend> written = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int base = t * 100_000;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 2000; i++) {
                        CreditStore.Spend s = spend(base + i);
                        append(journal, s);
                        written.add(s);
                    }
                }));
            }
            List<CreditStore.Row> read = new ArrayList<>();
            int records = 0;
            long at = journal.flushedTo();
            while (threads.stream().anyMatch(Thread::isAlive) || at < journal.reserved()) {
                ChargeJournal.Read r = journal.read(at, 500);
                read.addAll(r.rows());
                records += r.records();
                at = r.next();
                journal.flushed(at);
            }
            assertThat(records).isEqualTo(8000);
            assertThat(totals(read)).isEqualTo(totals(CreditStore.Row.of(List.copyOf(written))));
        }
    }

    @Test
    void aDeadNodesJournalIsClaimedAndReplayedFromWhereTheDatabaseStopped() throws IOException {
        ChargeJournal live = ChargeJournal.create(dir, "node_a", SMALL);
        for (int i = 0; i < 40; i++) {
            append(live, spend(i));
        }
        long applied = live.read(live.flushedTo(), 10).next(); // the database took the first ten
        assertThat(ChargeJournal.others(dir, "node_me")).containsExactly(dir.resolve("node_a.journal"));
        assertThat(ChargeJournal.claim(dir.resolve("node_a.journal"))).as("its owner holds it").isEmpty();
        live.close(false); // as its process's death would: the lock goes, the file stays

        ChargeJournal dead = ChargeJournal.claim(dir.resolve("node_a.journal")).orElseThrow();
        try {
            assertThat(dead.node()).isEqualTo("node_a");
            assertThat(ChargeJournal.claim(dir.resolve("node_a.journal"))).as("claimed once").isEmpty();
            ChargeJournal.Read replayed = dead.replay(applied);
            assertThat(replayed.records()).isEqualTo(30);
            assertThat(replayed.rows()).containsExactlyElementsOf(CreditStore.Row.of(spends(10, 40)));
        } finally {
            dead.close(true);
        }
        assertThat(Files.exists(dir.resolve("node_a.journal"))).isFalse();
    }

    @Test
    void replayTakesNoCorruptPaddingAtItsWordAndAppliesNothingPastWhereItEnded() throws IOException {
        ChargeJournal live = ChargeJournal.create(dir, "node_a", SMALL);
        List<Long> starts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            starts.add(live.reserved());
            append(live, spend(i));
        }
        live.close(false);
        Path file = dir.resolve("node_a.journal");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            // record 2's length: a "padding" of -2^31, which read naively would step 2 GiB back
            ch.write(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(Integer.MIN_VALUE).flip(),
                    starts.get(2) % SMALL + 8);
            // record 4's: padding past the ring's end
            ch.write(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(-(SMALL - 8)).flip(),
                    starts.get(4) % SMALL + 8);
        }
        ChargeJournal dead = ChargeJournal.claim(file).orElseThrow();
        try {
            ChargeJournal.Read replayed = dead.replay(0);
            assertThat(replayed.rows()).containsExactlyElementsOf(CreditStore.Row.of(List.of(spend(0), spend(1),
                    spend(3), spend(5))));
            assertThat(dead.replay(replayed.next()).records()).as("from where the last replay ended").isZero();
        } finally {
            dead.close(true);
        }
    }

    @Test
    void replayStepsOverARecordCutShortAndOverCorruption() throws IOException {
        ChargeJournal live = ChargeJournal.create(dir, "node_a", SMALL);
        List<Long> starts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            starts.add(live.reserved());
            append(live, spend(i));
        }
        live.close(false);
        Path file = dir.resolve("node_a.journal");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8), starts.get(3) % SMALL); // record 3: reserved, its position never stored
            ch.write(ByteBuffer.wrap(new byte[] {42}), starts.get(6) % SMALL + 30); // record 6: a byte of its body changed
        }
        ChargeJournal dead = ChargeJournal.claim(file).orElseThrow();
        try {
            ChargeJournal.Read replayed = dead.replay(0); // 0: the database has none of it
            assertThat(replayed.rows()).containsExactlyElementsOf(CreditStore.Row.of(List.of(spend(0), spend(1),
                    spend(2), spend(4), spend(5), spend(7), spend(8), spend(9))));
        } finally {
            dead.close(true);
        }
    }
}
