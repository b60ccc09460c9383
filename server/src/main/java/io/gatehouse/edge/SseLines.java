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
 *
 * <p>Linear in what arrives: the unfinished event grows in one buffer, and each piece is searched
 * from where the last search stopped (less the two bytes a blank line may still need), never
 * from the event's start. An event of many megabytes in small pieces costs no more than its bytes.
 */
final class SseLines {
    private final int maxEvent;
    /** The unfinished event, from its reader index; null until bytes arrive and after {@link #release()}. */
    private ByteBuf pending;
    /** How far past {@code pending}'s reader index no blank line can end. */
    private int searched;

    SseLines(int maxEvent) {
        this.maxEvent = maxEvent;
    }

    /**
     * The events {@code bytes} completes; with {@code last}, what remains as a final event. The
     * caller keeps {@code bytes}: they are copied.
     */
    List<String> add(ByteBuf bytes, boolean last) throws IOException {
        if (pending == null) {
            pending = Unpooled.buffer(Math.max(256, bytes.readableBytes()));
        }
        pending.writeBytes(bytes, bytes.readerIndex(), bytes.readableBytes());
        List<String> events = new ArrayList<>(1);
        int end = pending.writerIndex();
        int i = pending.readerIndex() + searched;
        while ((i = pending.indexOf(i, end, (byte) '\n')) >= 0) {
            // a blank line: LF LF, or LF CR LF
            int next = i + 1;
            if (next < end && pending.getByte(next) == '\r') {
                next++;
            }
            if (next < end && pending.getByte(next) == '\n') {
                int length = next + 1 - pending.readerIndex();
                if (length > maxEvent) {
                    throw tooLong();
                }
                events.add(pending.toString(pending.readerIndex(), length, StandardCharsets.UTF_8));
                pending.readerIndex(next + 1);
                i = next + 1;
            } else {
                i++;
            }
        }
        if (pending.readableBytes() > maxEvent) {
            throw tooLong();
        }
        // an LF among the last two bytes may yet begin a blank line: search them again with the next piece
        searched = Math.max(0, end - 2 - pending.readerIndex());
        if (last) {
            if (pending.isReadable()) {
                events.add(pending.toString(StandardCharsets.UTF_8));
            }
            release();
        } else {
            pending.discardSomeReadBytes();
        }
        return events;
    }

    private IOException tooLong() {
        release();
        return new IOException("the upstream sent an event longer than " + maxEvent + " bytes");
    }

    void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
        searched = 0;
    }
}
