package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which request heads the front takes for the event loop. Anything it does not fully understand must
 * go to the main listener, whose parser judges it: a head the two could read differently is never
 * the front's.
 */
class FrontTest {
    private static final String BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";

    private static Front.Head candidate(String head, boolean[] complete) {
        ByteBuf in = Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1);
        try {
            return Front.candidate(in, 0, 8192, 1 << 20, complete);
        } finally {
            in.release();
        }
    }

    private static String post(String target, String extraHeaders) {
        return "POST " + target + " HTTP/1.1\r\nHost: gatehouse.example\r\nContent-Type: application/json\r\n"
                + extraHeaders + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY;
    }

    @Test
    void aPlainMcpPostIsACandidateWithItsHeadersAsSent() {
        boolean[] complete = new boolean[1];
        Front.Head head = candidate(post("/mcp/demo", "Authorization: Bearer k\r\nMcp-Session-Id: gh1.a.b\r\n"), complete);
        assertThat(head).isNotNull();
        assertThat(complete[0]).isTrue();
        assertThat(head.path()).isEqualTo("/mcp/demo");
        assertThat(head.contentLength()).isEqualTo(BODY.length());
        assertThat(head.fields()).extracting(FastMcp.Field::lower)
                .containsExactly("host", "content-type", "authorization", "mcp-session-id");
        assertThat(head.fields().get(2).value()).isEqualTo("Bearer k");
        for (String path : List.of("/mcp", "/mcp/", "/mcp/demo/", "/mcp/a-1")) {
            assertThat(candidate(post(path, ""), complete)).as(path).isNotNull();
        }
    }

    @Test
    void anythingUnusualGoesToTheMainListener() {
        boolean[] complete = new boolean[1];
        List<String> handedOn = List.of(
                post("/mcp/demo?x=1", ""), post("/mcp/Demo", ""), post("/mcp/de%6do", ""), post("/mcp/a/b", ""),
                post("/mcpx", ""), post("/v1/keys", ""),
                post("/mcp/demo", "Content-Length: " + BODY.length() + "\r\n"),
                post("/mcp/demo", "Transfer-Encoding: chunked\r\n"),
                post("/mcp/demo", "Expect: 100-continue\r\n"),
                post("/mcp/demo", "Origin: http://localhost:6274\r\n"),
                post("/mcp/demo", "Connection: close\r\n"),
                post("/mcp/demo", "Upgrade: h2c\r\n"),
                post("/mcp/demo", "X-Note: a\r\n folded\r\n"),
                post("/mcp/demo", "X-Note : a\r\n"),
                post("/mcp/demo", "X-Note: a\nX-Other: b\r\n"),
                post("/mcp/demo", "X-Note: a\rb\r\n"),
                post("/mcp/demo", "X-Note: a\0b\r\n"),
                "POST /mcp/demo HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
                "GET /mcp/demo HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST /mcp/demo HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST /mcp/demo HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}",
                "POST /mcp/demo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n");
        for (String request : handedOn) {
            assertThat(candidate(request, complete)).as(request).isNull();
            assertThat(complete[0]).as("decided: " + request).isTrue();
        }
    }

    @Test
    void anIncompleteHeadWaitsUntilItIsWholeOrTooLong() {
        boolean[] complete = new boolean[1];
        assertThat(candidate("POST /mcp/demo HTTP/1.1\r\nHost: x\r\n", complete)).isNull();
        assertThat(complete[0]).as("more bytes may make it a candidate").isFalse();
        assertThat(candidate("POST /mcp/demo HTTP/1.1\r\nX-Long: " + "a".repeat(17_000), complete)).isNull();
        assertThat(complete[0]).as("past the limit: the main listener says 431").isTrue();
    }

    @Test
    void theMainListenersLimitsAndHostRuleAreTheFronts() {
        boolean[] complete = new boolean[1];
        List<String> handedOn = List.of(
                post("/mcp/demo", "X-Long: " + "a".repeat(8200) + "\r\n"), // header fields over 8192: a 431 there
                "POST /mcp/demo HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", // no Host: a 400 there
                post("/mcp/demo", "Host: other.example\r\n"));
        for (String request : handedOn) {
            assertThat(candidate(request, complete)).as(request).isNull();
            assertThat(complete[0]).as("decided: " + request).isTrue();
        }
        assertThat(candidate(post("/mcp/demo", "X-Long: " + "a".repeat(7000) + "\r\n"), complete)).isNotNull();
    }

    @Test
    void theSearchForTheHeadsEndResumesWhereItStopped() {
        boolean[] complete = new boolean[1];
        String request = post("/mcp/demo", "");
        ByteBuf in = Unpooled.buffer();
        try {
            int headEnd = request.indexOf("\r\n\r\n") + 4;
            in.writeBytes(request.substring(0, headEnd - 2).getBytes(StandardCharsets.ISO_8859_1));
            int scanned = in.readableBytes() - 3;
            assertThat(Front.candidate(in, scanned, 8192, 1 << 20, complete)).isNull();
            assertThat(complete[0]).isFalse();
            in.writeBytes(request.substring(headEnd - 2).getBytes(StandardCharsets.ISO_8859_1));
            Front.Head head = Front.candidate(in, scanned, 8192, 1 << 20, complete);
            assertThat(head).as("a CRLFCRLF split across reads is found").isNotNull();
            assertThat(head.headLength()).isEqualTo(headEnd);
        } finally {
            in.release();
        }
    }
}
