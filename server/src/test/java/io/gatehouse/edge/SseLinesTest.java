package io.gatehouse.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseLinesTest {
    private static final String STREAM = "event: message\ndata: {\"id\":1}\n\n"
            + "data: a\r\ndata: b\r\n\r\n"
            + ": a comment\n\n"
            + "data: last\n\n";

    private static List<String> feed(SseLines lines, String text, int... cuts) throws IOException {
        List<String> events = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            events.addAll(add(lines, text.substring(from, cut), false));
            from = cut;
        }
        events.addAll(add(lines, text.substring(from), true));
        return events;
    }

    private static List<String> add(SseLines lines, String piece, boolean last) throws IOException {
        ByteBuf bytes = Unpooled.copiedBuffer(piece, StandardCharsets.UTF_8);
        try {
            return lines.add(bytes, last);
        } finally {
            assertThat(bytes.refCnt()).as("the caller's bytes are the caller's").isEqualTo(1);
            bytes.release();
        }
    }

    @Test
    void eventsEndAtABlankLineOfLfOrCrlf() throws IOException {
        assertThat(feed(new SseLines(1024), STREAM)).containsExactly(
                "event: message\ndata: {\"id\":1}\n\n", "data: a\r\ndata: b\r\n\r\n", ": a comment\n\n", "data: last\n\n");
    }

    @Test
    void theSameEventsComeWhereverThePiecesAreCut() throws IOException {
        List<String> whole = feed(new SseLines(1024), STREAM);
        for (int cut = 1; cut < STREAM.length(); cut++) {
            assertThat(feed(new SseLines(1024), STREAM, cut)).as("cut at " + cut).isEqualTo(whole);
            if (cut + 1 < STREAM.length()) {
                assertThat(feed(new SseLines(1024), STREAM, cut, cut + 1)).as("cut at " + cut + " and after").isEqualTo(whole);
            }
        }
        int[] everyByte = new int[STREAM.length() - 1];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = i + 1;
        }
        assertThat(feed(new SseLines(1024), STREAM, everyByte)).as("a byte at a time").isEqualTo(whole);
    }

    @Test
    void whatRemainsAtTheEndIsTheLastEvent() throws IOException {
        SseLines lines = new SseLines(1024);
        assertThat(add(lines, "data: 1\n\ndata: unfinished\n", false)).containsExactly("data: 1\n\n");
        assertThat(add(lines, "", true)).containsExactly("data: unfinished\n");
    }

    @Test
    void anEventOfManyPiecesComesWhole() throws IOException {
        String big = "data: " + "x".repeat(1 << 20) + "\n\n";
        SseLines lines = new SseLines(2 << 20);
        List<String> events = new ArrayList<>();
        for (int at = 0; at < big.length(); at += 8192) {
            events.addAll(add(lines, big.substring(at, Math.min(big.length(), at + 8192)), false));
        }
        events.addAll(add(lines, "data: next\n\n", true));
        assertThat(events).containsExactly(big, "data: next\n\n");
    }

    @Test
    void anEventLongerThanTheLimitIsAnErrorInOnePieceOrMany() throws IOException {
        String exact = "data: " + "x".repeat(56) + "\n\n";
        assertThat(exact).hasSize(64);
        assertThat(feed(new SseLines(64), exact)).containsExactly(exact);
        String over = "data: " + "x".repeat(57) + "\n\n";
        assertThatThrownBy(() -> feed(new SseLines(64), over)).isInstanceOf(IOException.class).hasMessageContaining("64 bytes");
        SseLines lines = new SseLines(64);
        assertThatThrownBy(() -> {
            for (int i = 0; i < 100; i++) {
                add(lines, "data: xxxxxxxx\n", false); // never a blank line: the buffer must not grow
            }
        }).isInstanceOf(IOException.class);
    }
}
