package io.gatehouse.billing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * One node's charges, kept where a {@code kill -9} cannot take them, before their calls are
 * answered: a file mapped into memory as a ring. An append is a few stores into the mapping (the
 * kernel's page cache), so it survives the process's death without a system call or a wait; the
 * node's flusher applies what was appended to the database in batches ({@link CreditPool}), and a
 * node that finds another's journal unlocked (its process is gone) replays it.
 *
 * <p>Written by hand: what it does (lock-free appends of a few bytes from the event loops into a
 * memory-mapped ring, read back in order by one flusher, and scanned after a crash) is a few
 * hundred lines here, where a library (Chronicle Queue) would bring its own off-heap runtime and
 * file conventions. The file is not a format for anyone else: it lives between two flushes.
 *
 * <p><b>Records.</b> Every position is absolute (bytes appended since the journal was made, plus
 * one lap, so that no slot of the zero-filled file holds its own position); the ring holds the
 * ones from {@code flushedTo} on, at {@code position % capacity}. A record is 8-byte
 * aligned: its own position (8 bytes, stored last, with release semantics), its length (4; negative
 * for padding: the end of the ring skipped, or a slot {@link #abandon}ed), a CRC32C of its body (4),
 * then the body. A record's slot is {@link #reserve}d (a compare-and-set), then
 * {@link #commit}ted or abandoned by the thread that reserved it. A reader
 * takes a record only when the position stored in it is the one it reads at: a slot not yet written
 * holds zeros or a record of an earlier lap (a position one lap back). After a crash, a record an
 * appender had reserved and not finished is a hole: {@link #replay} steps over it, 8 bytes at a
 * time, to the next record whose position and checksum hold. Its call was never answered (the
 * append comes first), so nothing is lost by skipping it.
 *
 * <p><b>Bounds.</b> An append that would overwrite what the flusher has not applied yet is refused
 * ({@link Full}): the database has been behind for a whole ring. Nothing else blocks.
 *
 * <p><b>Ownership.</b> The node holds an exclusive lock on its file for its life. The kernel drops
 * it when the process dies, however it dies, so a lock another process can take means the owner is
 * gone. A journal is made under a temporary name and renamed once locked, so no one sees it unlocked.
 * Locks are per host: the directory must be local to it.
 */
final class ChargeJournal implements AutoCloseable {
    static final String SUFFIX = ".journal";
    private static final int HEADER = 16;
    private static final int MAX_RECORD = 16 * 1024;
    /** A body's kind (1 byte), credits, time and call number (8 each); then the ids its ledger row is keyed by. */
    private static final int KEY = 25;
    private static final byte CHARGE = 1;
    private static final byte REFUND = 2;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Each appending thread's slot: one record at a time, reserved then committed (or abandoned). */
    private static final ThreadLocal<Slot> SLOTS = ThreadLocal.withInitial(Slot::new);

    /**
     * A record on its way into the ring: its slot is reserved, its ids are written in the appending
     * thread's buffer (so that its checksum is taken over an array); {@link #commit} or
     * {@link #abandon} finishes it, on the same thread.
     */
    static final class Slot {
        final ByteBuffer body = ByteBuffer.allocate(MAX_RECORD).order(ByteOrder.LITTLE_ENDIAN);
        final CRC32C crc = new CRC32C();
        /** Ids as written, by their hash: credentials, servers and tools recur, so each is encoded about once. */
        final String[] ids = new String[ENCODED];
        final byte[][] encoded = new byte[ENCODED][];
        long position;
        int length;
        int bodyLength;

        /** The slot's position: unique on this node, so a charge's call is numbered by it. */
        long position() {
            return position;
        }
    }

    /** Encoded ids each appending thread keeps (a power of two). */
    private static final int ENCODED = 512;

    /** The ring is full of records the database has not taken yet. */
    static final class Full extends RuntimeException {
        Full() {
            super("the charge journal is full: the database has not taken its charges for a whole ring", null,
                    false, false);
        }
    }

    /** The journals this process's nodes own: never opened by another of them (see {@link #claim}). */
    private static final java.util.Set<Path> HELD_HERE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Records read, summed into the ledger's rows; how many there were; the position after the last one. */
    record Read(List<CreditStore.Row> rows, int records, long next) {
    }

    private final Path file;
    private final String node;
    private final String callPrefix;
    private final FileChannel channel;
    private final FileLock lock;
    private final MappedByteBuffer ring;
    private final int capacity;
    private final AtomicLong reserved;
    private volatile long flushedTo;

    private ChargeJournal(Path file, String node, FileChannel channel, FileLock lock, int capacity, long from) {
        this.file = file;
        this.node = node;
        this.callPrefix = callPrefix(node);
        this.channel = channel;
        this.lock = lock;
        this.capacity = capacity;
        try {
            this.ring = channel.map(FileChannel.MapMode.READ_WRITE, 0, capacity);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map the charge journal " + file, e);
        }
        ring.order(ByteOrder.LITTLE_ENDIAN);
        this.reserved = new AtomicLong(from);
        this.flushedTo = from;
    }

    /**
     * Makes {@code node}'s journal in {@code dir}, of {@code capacity} bytes (a multiple of 8),
     * locked by this process.
     */
    static ChargeJournal create(Path dir, String node, int capacity) {
        if (capacity % 8 != 0 || capacity < 4 * MAX_RECORD) {
            throw new IllegalArgumentException("a journal's capacity is a multiple of 8 of at least " + 4 * MAX_RECORD);
        }
        try {
            Files.createDirectories(dir);
            Path temporary = dir.resolve("." + node + SUFFIX + ".new");
            Path file = dir.resolve(node + SUFFIX);
            FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            try {
                FileLock lock = channel.lock();
                channel.truncate(0);
                channel.write(ByteBuffer.allocate(1), capacity - 1); // sized, sparse: pages are made as they are written
                try {
                    Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("the charge journal's directory cannot rename atomically: " + dir, e);
                }
                // Positions start one lap in: a slot of the zero-filled file never holds its own position.
                ChargeJournal journal = new ChargeJournal(file, node, channel, lock, capacity, capacity);
                HELD_HERE.add(file.toAbsolutePath());
                return journal;
            } catch (IOException | RuntimeException e) {
                channel.close();
                Files.deleteIfExists(temporary);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the charge journal in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Another node's journal, locked by this process, when that node's process is gone (its lock
     * was free); empty while it lives, or when another process took it first.
     */
    static Optional<ChargeJournal> claim(Path file) {
        Path key = file.toAbsolutePath();
        if (!HELD_HERE.add(key)) {
            return Optional.empty(); // opening it here and closing it again would drop its holder's lock (POSIX)
        }
        String name = file.getFileName().toString();
        String node = name.substring(0, name.length() - SUFFIX.length());
        FileChannel channel = null;
        boolean claimed = false;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null || !Files.exists(file)) { // alive, or replayed and deleted by whoever held it
                return Optional.empty();
            }
            long size = channel.size();
            if (size % 8 != 0 || size < 4 * MAX_RECORD || size > Integer.MAX_VALUE) {
                throw new IllegalStateException("not a charge journal: " + file + " (" + size + " bytes)");
            }
            ChargeJournal journal = new ChargeJournal(file, node, channel, lock, (int) size, 0);
            claimed = true;
            return Optional.of(journal);
        } catch (java.nio.file.NoSuchFileException gone) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the charge journal " + file, e);
        } finally {
            if (!claimed) {
                closeQuietly(channel);
                HELD_HERE.remove(key);
            }
        }
    }

    /** The journals in {@code dir} but {@code own}'s: those of nodes on this host, alive or not. */
    static List<Path> others(Path dir, String own) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.filter(f -> {
                String name = f.getFileName().toString();
                return name.endsWith(SUFFIX) && !name.startsWith(".") && !name.equals(own + SUFFIX);
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the charge journals in " + dir, e);
        }
    }

    String node() {
        return node;
    }

    /**
     * The position after the last slot reserved: every record before it is written or being written
     * (or its slot abandoned, or padding).
     */
    long reserved() {
        return reserved.get();
    }

    long flushedTo() {
        return flushedTo;
    }

    int capacity() {
        return capacity;
    }

    /**
     * What every charge against one lease carries, encoded once for the life of the lease: the
     * organization's id and the lease's.
     */
    static byte[] leaseKey(String orgId, String leaseId) {
        byte[] org = encode(orgId);
        byte[] lease = encode(leaseId);
        byte[] key = java.util.Arrays.copyOf(org, org.length + lease.length);
        System.arraycopy(lease, 0, key, org.length, lease.length);
        return key;
    }

    private static String callPrefix(String node) {
        return "call_" + (node.startsWith("node_") ? node.substring(5) : node) + "_";
    }

    /**
     * Reserves the slot of one charge (or refund) against {@code leaseKey}, written once
     * {@link #commit}ted. A caller that decides between the two whether the charge is taken at all
     * (see {@code CreditPool}) holds its place in the ring meanwhile: whoever reads {@link #reserved}
     * after this reservation waits for the record (or its abandonment) before reading further.
     * Lock-free; safe from any thread, one slot at a time per thread. Allocates nothing but the
     * encoding of an id its thread has not written lately (see {@link #putId}).
     *
     * @param leaseKey the lease's {@link #leaseKey}
     * @throws Full when the ring holds only records the database has not taken
     */
    Slot reserve(byte[] leaseKey, boolean refund, String credentialId, String serverId, String tool) {
        Slot slot = SLOTS.get();
        ByteBuffer body = slot.body;
        body.clear();
        body.put(refund ? REFUND : CHARGE).position(KEY).put(leaseKey); // credits, time and call: at commit
        putId(slot, credentialId);
        putId(slot, serverId);
        putId(slot, tool);
        slot.bodyLength = body.position();
        slot.length = (HEADER + slot.bodyLength + 7) & ~7;
        slot.position = reserve(slot.length);
        return slot;
    }

    /**
     * Writes the reserved record, and answers once it is in the mapping: from then on it outlives
     * this process.
     *
     * @param call the call's number on this node (its id is made from it when read back)
     */
    void commit(Slot slot, long credits, long call, long at) {
        byte[] body = slot.body.array();
        slot.body.putLong(1, credits).putLong(9, at).putLong(17, call);
        CRC32C crc = slot.crc;
        crc.reset();
        crc.update(body, 0, slot.bodyLength);
        int offset = (int) (slot.position % capacity);
        ring.put(offset + HEADER, body, 0, slot.bodyLength);
        ring.putInt(offset + 8, slot.length);
        ring.putInt(offset + 12, (int) crc.getValue());
        LONGS.setRelease(ring, offset, slot.position);
    }

    /** Fills the reserved slot with padding: the charge was not taken after all. */
    void abandon(Slot slot) {
        int offset = (int) (slot.position % capacity);
        ring.putInt(offset + 8, -slot.length);
        ring.putInt(offset + 12, 0);
        LONGS.setRelease(ring, offset, slot.position);
    }

    /** Reserves and commits at once: a record whose call is already numbered (a refund names its charge's). */
    void append(byte[] leaseKey, boolean refund, long credits, long call, long at, String credentialId,
                String serverId, String tool) {
        Slot slot = reserve(leaseKey, refund, credentialId, serverId, tool);
        try {
            commit(slot, credits, call, at);
        } catch (RuntimeException | Error e) {
            abandon(slot); // an open slot would hold the flusher for good
            throw e;
        }
    }

    /**
     * A field as a record holds it: a 2-byte length, then the bytes. Length -1: null; -2 - n: n bytes
     * of UTF-8; n ≥ 0: n Latin-1 characters, one byte each (written by earlier builds, still read).
     */
    private static byte[] encode(String value) {
        if (value == null) {
            return new byte[] {-1, -1};
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 2048) {
            throw new IllegalArgumentException("a charge's field is longer than 2048 bytes");
        }
        byte[] field = new byte[2 + bytes.length];
        ByteBuffer.wrap(field).order(ByteOrder.LITTLE_ENDIAN).putShort((short) (-2 - bytes.length)).put(bytes);
        return field;
    }

    /**
     * An id as {@link #encode} writes it, encoded once per thread while it recurs: a direct-mapped
     * table by the string's hash (which a {@code String} keeps), so the hot path compares and copies
     * instead of encoding, and allocates nothing once a credential, server or tool has been seen.
     */
    private static void putId(Slot scratch, String value) {
        if (value == null) {
            scratch.body.putShort((short) -1);
            return;
        }
        int slot = value.hashCode() & (ENCODED - 1);
        String seen = scratch.ids[slot];
        byte[] field;
        if (seen == value || value.equals(seen)) {
            field = scratch.encoded[slot];
        } else {
            field = encode(value);
            scratch.encoded[slot] = field;
            scratch.ids[slot] = value;
        }
        scratch.body.put(field);
    }

    /** Reserves {@code length} bytes that do not wrap around the ring's end; pads that end when needed. */
    private long reserve(int length) {
        while (true) {
            long p = reserved.get();
            int offset = (int) (p % capacity);
            long start = offset + length <= capacity ? p : p + (capacity - offset);
            if (start + length - flushedTo > capacity) {
                throw new Full();
            }
            if (reserved.compareAndSet(p, start + length)) {
                if (start != p && capacity - offset >= HEADER) {
                    ring.putInt(offset + 8, -(int) (start - p));
                    ring.putInt(offset + 12, 0);
                    LONGS.setRelease(ring, offset, p);
                }
                return start;
            }
        }
    }

    /**
     * The records from {@code from} on, in order, up to the first not yet written (an append under
     * way) or {@code max} of them; for the flusher of a live journal.
     */
    Read read(long from, int max) {
        Tally tally = new Tally();
        long p = from;
        long end = reserved.get();
        while (p < end && tally.records < max) {
            int offset = (int) (p % capacity);
            if (capacity - offset < HEADER) {
                p += capacity - offset;
                continue;
            }
            if ((long) LONGS.getAcquire(ring, offset) != p) {
                break; // being appended: the next read has it
            }
            int length = ring.getInt(offset + 8);
            if (length < 0 && padding(offset, length)) {
                p += -length;
                continue;
            }
            if (!tally.take(offset, length)) {
                throw new IllegalStateException("the charge journal " + file + " is corrupt at " + p);
            }
            p += length;
        }
        return tally.read(p);
    }

    /**
     * After its node died, from {@code flushedTo} (what the database says it applied): every whole
     * record from there to a full ring's end, stepping
     * over the holes appends cut short left (see the class comment).
     */
    Read replay(long applied) {
        long start = Math.max(applied, capacity); // nothing applied yet: from the start, one lap in
        this.flushedTo = start;
        Tally tally = new Tally();
        long p = start;
        long last = p;
        long end = start + capacity;
        while (p < end) {
            int offset = (int) (p % capacity);
            if (capacity - offset < HEADER) {
                p += capacity - offset;
                continue;
            }
            if (ring.getLong(offset) == p) {
                int length = ring.getInt(offset + 8);
                if (length < 0 && padding(offset, length)) {
                    p += -length;
                    last = p;
                    continue;
                }
                if (tally.take(offset, length)) {
                    p += length;
                    last = p;
                    continue;
                }
            }
            p += 8;
        }
        return tally.read(last);
    }

    /** Whether a negative {@code length} at {@code offset} is padding this journal could have written. */
    private boolean padding(int offset, int length) {
        return length != Integer.MIN_VALUE && -length % 8 == 0 && (long) offset - length <= capacity;
    }

    /**
     * Records summed by what their ledger row is keyed by (kind, organization, lease, credential,
     * server, tool), as they are read: a record's key is hashed and compared as bytes, so reading
     * allocates nothing per record; a row's strings are decoded once per batch. Without it the
     * flusher made five strings and two objects per charge, and took half a core at 400,000 charges
     * a second.
     */
    private final class Tally {
        private static final VarHandle ARRAY_LONGS =
                MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        private static final VarHandle ARRAY_SHORTS =
                MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

        private final byte[] body = new byte[MAX_RECORD];
        private final CRC32C crc = new CRC32C();
        private final List<Sum> sums = new ArrayList<>();
        private Sum[] table = new Sum[256];
        int records;

        /** One row's sum so far; its key is the record's bytes from {@link #KEY} on. */
        private static final class Sum {
            final byte[] key;
            final int hash;
            final byte kind;
            final long firstCall;
            final long firstAt;
            long credits;
            long calls;

            Sum(byte[] key, int hash, byte kind, long firstCall, long firstAt) {
                this.key = key;
                this.hash = hash;
                this.kind = kind;
                this.firstCall = firstCall;
                this.firstAt = firstAt;
            }
        }

        /** Adds the record at {@code offset}; false when its length, layout or checksum does not hold. */
        boolean take(int offset, int length) {
            if (length < HEADER + KEY + 10 || length % 8 != 0 || length > MAX_RECORD || offset + length > capacity) {
                return false;
            }
            int size = length - HEADER;
            ring.get(offset + HEADER, body, 0, size);
            byte kind = body[0];
            int end = KEY;
            for (int field = 0; field < 5; field++) {
                if (end + 2 > size) {
                    return false;
                }
                int n = (short) ARRAY_SHORTS.get(body, end);
                if (n == -1 && field < 2 || n < -2 - 2048 || n > 2048) {
                    return false; // an organization and a lease are never null
                }
                end += 2 + (n == -1 ? 0 : n < -1 ? -2 - n : n);
                if (end > size) {
                    return false;
                }
            }
            crc.reset();
            crc.update(body, 0, end);
            if ((int) crc.getValue() != ring.getInt(offset + 12) || kind != CHARGE && kind != REFUND) {
                return false;
            }
            add(kind, (long) ARRAY_LONGS.get(body, 1), (long) ARRAY_LONGS.get(body, 17),
                    (long) ARRAY_LONGS.get(body, 9), end);
            return true;
        }

        private void add(byte kind, long credits, long call, long at, int end) {
            int hash = hash(kind, end);
            int mask = table.length - 1;
            for (int i = hash & mask; ; i = (i + 1) & mask) {
                Sum sum = table[i];
                if (sum == null) {
                    sum = new Sum(java.util.Arrays.copyOfRange(body, KEY, end), hash, kind, call, at);
                    table[i] = sum;
                    sums.add(sum);
                    if (sums.size() * 2 > table.length) {
                        grow();
                    }
                } else if (sum.hash != hash || sum.kind != kind
                        || !java.util.Arrays.equals(sum.key, 0, sum.key.length, body, KEY, end)) {
                    continue;
                }
                sum.credits += credits;
                sum.calls++;
                records++;
                return;
            }
        }

        private int hash(byte kind, int end) {
            long h = kind;
            int i = KEY;
            for (; i + 8 <= end; i += 8) {
                h = (h ^ (long) ARRAY_LONGS.get(body, i)) * 0x9E3779B97F4A7C15L;
            }
            for (; i < end; i++) {
                h = (h ^ body[i]) * 0x9E3779B97F4A7C15L;
            }
            return (int) (h ^ h >>> 32);
        }

        private void grow() {
            table = new Sum[table.length * 2];
            int mask = table.length - 1;
            for (Sum sum : sums) {
                int i = sum.hash & mask;
                while (table[i] != null) {
                    i = (i + 1) & mask;
                }
                table[i] = sum;
            }
        }

        Read read(long next) {
            List<CreditStore.Row> rows = new ArrayList<>(sums.size());
            for (Sum sum : sums) {
                ByteBuffer key = ByteBuffer.wrap(sum.key).order(ByteOrder.LITTLE_ENDIAN);
                rows.add(new CreditStore.Row(getString(key), getString(key), sum.kind == REFUND, getString(key),
                        getString(key), getString(key), sum.credits, sum.calls,
                        sum.calls == 1 ? callPrefix + Long.toString(sum.firstCall, 36) : null, sum.firstAt));
            }
            return new Read(rows, records, next);
        }
    }

    private static String getString(ByteBuffer body) {
        int length = body.getShort();
        if (length == -1) {
            return null;
        }
        boolean utf8 = length < -1;
        byte[] bytes = new byte[utf8 ? -2 - length : length];
        body.get(bytes);
        return new String(bytes, utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    }

    /** The database has taken every record before {@code position}: their space may be written again. */
    void flushed(long position) {
        flushedTo = position;
    }

    /** Unlocks and closes the file, and deletes it when {@code delete} (everything in it is in the database). */
    void close(boolean delete) {
        try {
            if (delete) {
                Files.deleteIfExists(file); // while still locked: no one can claim it meanwhile
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the charge journal " + file, e);
        } finally {
            HELD_HERE.remove(file.toAbsolutePath());
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel releases it too
            }
            closeQuietly(channel);
        }
    }

    @Override
    public void close() {
        close(false);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }
}
