package io.gatehouse.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a Server-Sent Events stream into events (HTML Living Standard §9.2.6: an event ends at a
 * blank line, lines end in LF or CRLF), each as the text it came as, its blank line included. An
 * event longer than the limit is an error, never a cut event nor an unbounded buffer. This is SSE
 * framing, which no HTTP library does; it is only used where answers are rewritten (a filtered
 * {@code tools/list}).
 */
final class SseLines {
    private final int maxEvent;
    private ByteBuf pending = Unpooled.EMPTY_BUFFER;

    SseLines(int maxEvent) {
        this.maxEvent = maxEvent;
    }

    /** The events {@code bytes} completes; with {@code last}, what remains as a final event. */
    List<String> add(ByteBuf bytes, boolean last) throws IOException {
        ByteBuf all = pending.isReadable() ? Unpooled.wrappedBuffer(pending, bytes.retain()) : bytes.retain();
        List<String> events = new ArrayList<>(1);
        int from = all.readerIndex();
        for (int i = from; i < all.writerIndex(); i++) {
            if (all.getByte(i) != '\n') {
                continue;
            }
            // a blank line: LF LF, or LF CR LF
            int next = i + 1;
            if (next < all.writerIndex() && all.getByte(next) == '\r') {
                next++;
            }
            if (next < all.writerIndex() && all.getByte(next) == '\n') {
                if (next + 1 - from > maxEvent) {
                    all.release();
                    pending = Unpooled.EMPTY_BUFFER;
                    throw new IOException("the upstream sent an event longer than " + maxEvent + " bytes");
                }
                events.add(all.toString(from, next + 1 - from, StandardCharsets.UTF_8));
                from = next + 1;
                i = next;
            }
        }
        int rest = all.writerIndex() - from;
        if (rest > maxEvent) {
            all.release();
            pending = Unpooled.EMPTY_BUFFER;
            throw new IOException("the upstream sent an event longer than " + maxEvent + " bytes");
        }
        ByteBuf kept = rest == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(all.slice(from, rest));
        all.release();
        pending = kept;
        if (last && kept.isReadable()) {
            events.add(kept.toString(StandardCharsets.UTF_8));
            release();
        }
        return events;
    }

    void release() {
        pending.release();
        pending = Unpooled.EMPTY_BUFFER;
    }
}
