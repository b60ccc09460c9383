package io.gatehouse.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What cutting one Server-Sent Event out of many small pieces costs ({@link SseLines}, used where a
 * filtered tools/list is rewritten), against the least any cutter does: copying each piece once
 * into one buffer. Run at two event sizes: a linear cutter keeps the ratio of the two the same
 * when the event grows sixteenfold; the quadratic one this replaced grew it sixteenfold too.
 *
 * <p>In the server's package, for {@code SseLines} is package-private there.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SseLinesBenchmark {
    /** The event's size in KiB: 1 MiB and 16 MiB (the filtered answer's limit). */
    @Param({"1024", "16384"})
    int eventKiB;

    private ByteBuf[] pieces;

    @Setup
    public void setUp() {
        byte[] event = ("data: " + "x".repeat(eventKiB * 1024 - 8) + "\n\n").getBytes(StandardCharsets.UTF_8);
        int size = 8192;
        pieces = new ByteBuf[(event.length + size - 1) / size];
        for (int i = 0; i < pieces.length; i++) {
            int from = i * size;
            pieces[i] = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(event, from, Math.min(size, event.length - from)));
        }
    }

    @TearDown
    public void tearDown() {
        pieces = null;
    }

    @Benchmark
    public List<String> cutOneEventFrom8KiBPieces() throws IOException {
        SseLines lines = new SseLines(32 * 1024 * 1024);
        List<String> events = List.of();
        for (int i = 0; i < pieces.length; i++) {
            ByteBuf piece = pieces[i].duplicate();
            List<String> out = lines.add(piece, i == pieces.length - 1);
            if (!out.isEmpty()) {
                events = out;
            }
        }
        if (events.size() != 1) {
            throw new IllegalStateException("expected one event, got " + events.size());
        }
        return events;
    }

    @Benchmark
    public ByteBuf baselineCopyEachPieceOnce() {
        ByteBuf all = Unpooled.buffer(256);
        for (ByteBuf piece : pieces) {
            ByteBuf p = piece.duplicate();
            all.writeBytes(p, p.readerIndex(), p.readableBytes());
        }
        all.release();
        return all;
    }
}
