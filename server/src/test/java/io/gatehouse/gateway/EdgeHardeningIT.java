package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.http.Json;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.RawUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the edge promises against clients and upstreams that misbehave, slowly or on purpose: each
 * test here failed on the hand-written front it replaced. Deadlines are short in this node (one
 * second for a head, a body, an upstream's answer) so that each overrun is seen in a few seconds.
 */
class EdgeHardeningIT {
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"edge-it\",\"version\":\"1\"}}}";
    private static final String CALL = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
            + "{\"name\":\"echo\",\"arguments\":{\"text\":\"once\"}}}";
    private static final String LIST = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}";

    private static GatewayNode gw;
    private static final List<RawUpstream> upstreams = new ArrayList<>();

    @BeforeAll
    static void start() {
        gw = GatewayNode.start(Map.of("http.head-timeout", "1s", "http.body-timeout", "1s"));
    }

    @AfterAll
    static void stop() {
        upstreams.forEach(RawUpstream::close);
        gw.close();
    }

    /** A raw upstream registered as an MCP server {@code slug} (answer deadline one second), and as an HTTP API {@code slug-api}. */
    private static RawUpstream register(String slug, RawUpstream.Script script) {
        RawUpstream up = RawUpstream.start(script);
        upstreams.add(up);
        gw.node.createServer(Map.of("name", slug, "slug", slug, "upstream_url", up.url("/mcp").toString(),
                "timeout_ms", 1000));
        gw.node.createServer(Map.of("name", slug + " api", "slug", slug + "-api", "kind", "http",
                "upstream_url", up.url("/base").toString(), "timeout_ms", 1000));
        return up;
    }

    private static String json(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private static HttpResponse<String> post(String slug, String body, String key) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(gw.url("/mcp/" + slug)).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .header("Accept", "application/json, text/event-stream")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(gw.url(path)).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + gw.node.adminKey).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(HttpResponse<String> r, int status, String reason) throws Exception {
        assertThat(r.statusCode()).as(reason + ": " + r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(r.headers().firstValue("cache-control")).hasValue("no-store");
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertThat(body.path("success").asBoolean(true)).isFalse();
        assertThat(body.path("error").path("reason").asText()).isEqualTo(reason);
        assertThat(body.path("error").path("request_id").asText())
                .isEqualTo(r.headers().firstValue("x-request-id").orElseThrow());
    }

    // --- never twice -------------------------------------------------------------------------

    @Test
    void aRequestIsNeverSentUpstreamTwice() throws Exception {
        // The kept connection takes the tool call, then closes without answering: the tool may have run.
        RawUpstream up = register("closes-after-reading", (n, head, out) -> {
            if (head.toLowerCase(java.util.Locale.ROOT).contains("content-length: " + CALL.length() + "\r\n")) {
                return false;
            }
            RawUpstream.write(out, json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
            return true;
        });
        HttpResponse<String> first = post("closes-after-reading", INITIALIZE, gw.node.adminKey);
        assertThat(first.statusCode()).isEqualTo(200);
        // The same client connection, so the same event loop and its kept upstream connection.
        HttpClient one = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest.Builder call = HttpRequest.newBuilder(gw.url("/mcp/closes-after-reading"))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + gw.node.adminKey)
                .header("Content-Type", "application/json");
        int before = up.requests();
        HttpResponse<String> kept = one.send(call.POST(HttpRequest.BodyPublishers.ofString(INITIALIZE)).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> dropped = one.send(call.POST(HttpRequest.BodyPublishers.ofString(CALL)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(dropped, 502, "upstream_failed");
        Thread.sleep(500); // a retry would come now
        assertThat(up.requests() - before).as("the call went up once: " + kept.statusCode()).isEqualTo(2);
        assertThat(up.heads().stream().filter(h -> h.toLowerCase(java.util.Locale.ROOT)
                .contains("content-length: " + CALL.length() + "\r\n")).count())
                .as("the tool call reached the upstream exactly once").isEqualTo(1);
    }

    // --- deadlines -----------------------------------------------------------------------------

    @Test
    void aHeadThatDripsIsCutWith408() throws Exception {
        try (Socket s = connect()) {
            long start = System.nanoTime();
            OutputStream out = s.getOutputStream();
            out.write("POST /mcp/demo HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String answer = "";
            try {
                for (int i = 0; i < 20; i++) {
                    Thread.sleep(300);
                    out.write(("X-Drip-" + i + ": x\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            } catch (IOException closedOnUs) {
                // expected: the edge gave up on this head
            }
            answer = readAll(s);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("\"request_timeout\"");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void aBodyThatDoesNotArriveIsCutWith408() throws Exception {
        try (Socket s = connect()) {
            long start = System.nanoTime();
            s.getOutputStream().write(("POST /mcp/demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gw.node.adminKey
                    + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String answer = readAll(s);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("\"request_timeout\"");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void aTlsHelloOnThePlainPortIsRefusedAtOnce() throws Exception {
        try (Socket s = connect()) {
            long start = System.nanoTime();
            s.getOutputStream().write(new byte[]{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03});
            s.getOutputStream().flush();
            String answer = readAll(s);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("\"not_http\"");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        }
    }

    @Test
    void theUpstreamsDeadlineIsForItsAnswerNotForEachRead() throws Exception {
        register("processing-forever", (n, head, out) -> {
            for (int i = 0; i < 20; i++) { // 102 every 0.3 s, for longer than the deadline
                RawUpstream.write(out, "HTTP/1.1 102 Processing\r\n\r\n");
                Thread.sleep(300);
            }
            return false;
        });
        register("drips-its-head", (n, head, out) -> {
            for (char c : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".toCharArray()) {
                RawUpstream.write(out, String.valueOf(c));
                Thread.sleep(300);
            }
            return false;
        });
        for (String slug : List.of("processing-forever", "drips-its-head")) {
            long start = System.nanoTime();
            assertError(post(slug, INITIALIZE, gw.node.adminKey), 504, "upstream_timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as(slug).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void aBodyThatStallsPastTheDeadlineEndsTheCallButAnEventStreamMayBeQuiet() throws Exception {
        String list = "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"tools\":[{\"name\":\"echo\"}]}}";
        register("stalls", (n, head, out) -> {
            if (head.startsWith("GET /base/")) { // an API's answer: its head and part of its body, then nothing
                RawUpstream.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello");
            } else { // a tool list the edge reads whole to filter: half of it, then nothing
                RawUpstream.write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                        + list.length() + "\r\n\r\n" + list.substring(0, 20));
            }
            Thread.sleep(4_000); // the deadline is one second
            return false;
        });
        register("quiet-events", (n, head, out) -> {
            RawUpstream.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
            String first = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                    + "\"params\":{\"progressToken\":1,\"progress\":1}}\n\n";
            RawUpstream.write(out, Integer.toHexString(first.length()) + "\r\n" + first + "\r\n");
            Thread.sleep(2_500); // a long tool: quiet past the deadline, and that is fine for a stream
            String last = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[]}}\n\n";
            RawUpstream.write(out, Integer.toHexString(last.length()) + "\r\n" + last + "\r\n0\r\n\r\n");
            return false;
        });

        URI base = gw.node.server.publicUrl();
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            long start = System.nanoTime();
            s.getOutputStream().write(("GET /api/stalls-api/thing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + gw.node.adminKey + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            assertThat(readHead(in)).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: 10");
            assertThat(new String(in.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("hello");
            assertThat(in.read()).as("the cut answer ends its connection").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(700),
                    Duration.ofMillis(3_000));
        }

        String echoOnly = gw.keyForNewUser("stalled-list@example.test", "free", Map.of("tools", List.of("stalls/echo")));
        long start = System.nanoTime();
        assertError(post("stalls", LIST, echoOnly), 504, "upstream_timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(3_000));

        HttpResponse<String> quiet = post("quiet-events", CALL, gw.node.adminKey);
        assertThat(quiet.statusCode()).isEqualTo(200);
        assertThat(quiet.body()).contains("notifications/progress").contains("\"result\"");
    }

    @Test
    void aClientThatExpects100ContinueIsAskedForItsBodyOnlyOnceAdmitted() throws Exception {
        String head = "POST /mcp/demo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\nExpect: 100-continue\r\nContent-Length: "
                + INITIALIZE.length() + "\r\n";
        try (Socket s = connect()) {
            s.getOutputStream().write((head + "Authorization: Bearer " + gw.node.adminKey + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 100 Continue");
            s.getOutputStream().write(INITIALIZE.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 200");
        }
        try (Socket s = connect()) {
            s.getOutputStream().write((head + "Authorization: Bearer gk_live_nope\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String refused = readAll(s);
            assertThat(refused).as("no 100 for a body that will not be read").startsWith("HTTP/1.1 401")
                    .doesNotContain("100 Continue").containsIgnoringCase("connection: close");
        }
        try (Socket s = connect()) {
            s.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: the-unexpected\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 417");
        }
    }

    @Test
    void aMethodTheDataPlaneDoesNotTakeIs405WithAllow() throws Exception {
        for (String[] c : new String[][]{{"PUT /mcp/demo", "GET, POST, DELETE, OPTIONS"},
                {"TRACE /api/v1/jobs/x", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
                {"POST /v1/whoami", "GET"}, {"PUT /v1/keys/verify", "DELETE, GET, POST"}}) {
            try (Socket s = connect()) {
                s.getOutputStream().write((c[0] + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gw.node.adminKey
                        + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                String answer = readAll(s);
                assertThat(answer).as(c[0]).startsWith("HTTP/1.1 405").contains("\"method_not_allowed\"")
                        .containsIgnoringCase("allow: " + c[1] + "\r\n");
            }
        }
    }

    @Test
    void aBodyFramedTwoWaysIsRefusedAndNothingReachesTheUpstream() throws Exception {
        RawUpstream up = register("framing", (n, head, out) -> {
            RawUpstream.write(out, json("{}"));
            return true;
        });
        for (String request : List.of(
                "POST /api/framing-api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n",
                "POST /api/framing-api/x HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n")) {
            try (Socket s = connect()) {
                s.getOutputStream().write((request + "Authorization: Bearer " + gw.node.adminKey + "\r\n\r\n"
                        + "4\r\n{}{}\r\n0\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                assertThat(readAll(s)).as(request).startsWith("HTTP/1.1 400").contains("\"http_400\"");
            }
        }
        assertThat(up.requests()).as("RFC 9112 §6.1: neither went on, nor what followed it").isZero();
    }

    @Test
    void aContinueDoesNotShiftWhichAnswerIsTheHeadOne() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(("POST /mcp/demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gw.node.adminKey
                    + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                    + "Expect: 100-continue\r\nContent-Length: " + INITIALIZE.length() + "\r\n\r\n" + INITIALIZE
                    + "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: close\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String all = readAll(s);
            assertThat(all.split("HTTP/1\\.1 ", -1)).as("100, the POST's answer, HEAD's, GET's, and no more: " + all)
                    .hasSize(5);
            assertThat(all.split("\\{\"status\":\"ok\"}", -1)).as("one body: GET's, not HEAD's").hasSize(2);
            assertThat(all).endsWith("{\"status\":\"ok\"}");
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTime() throws Exception {
        try (GatewayNode idle = GatewayNode.start(Map.of("http.idle-timeout", "1s"))) {
            URI base = idle.node.server.publicUrl();
            try (Socket s = new Socket(base.getHost(), base.getPort())) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                InputStream in = s.getInputStream();
                assertThat(readHead(in)).startsWith("HTTP/1.1 200");
                in.readNBytes("{\"status\":\"ok\"}".length());
                long start = System.nanoTime();
                assertThat(in.read()).as("closed, not answered").isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(700),
                        Duration.ofSeconds(3));
            }
        }
    }


    @Test
    void aConnectionThatSendsNothingIsClosedSoonerThanOneBetweenRequests() throws Exception {
        try (GatewayNode node = GatewayNode.start(Map.of("http.first-request-timeout", "1s",
                "http.idle-timeout", "6s"))) {
            URI base = node.node.server.publicUrl();
            try (Socket silent = new Socket(base.getHost(), base.getPort());
                 Socket blank = new Socket(base.getHost(), base.getPort());
                 Socket served = new Socket(base.getHost(), base.getPort())) {
                for (Socket s : List.of(silent, blank, served)) {
                    s.setSoTimeout(5_000);
                }
                long start = System.nanoTime();
                // Empty lines may come before a request (RFC 9112 §2.2), but they do not begin one.
                blank.getOutputStream().write("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                String request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
                served.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                InputStream in = served.getInputStream();
                assertThat(readHead(in)).startsWith("HTTP/1.1 200");
                in.readNBytes("{\"status\":\"ok\"}".length());

                assertThat(silent.getInputStream().read()).as("closed, not answered").isEqualTo(-1);
                assertThat(blank.getInputStream().read()).as("closed, not answered").isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(700),
                        Duration.ofSeconds(3));

                // Between requests the connection has the idle time: past the first-request time, it still serves.
                Thread.sleep(1_500);
                served.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readHead(in)).startsWith("HTTP/1.1 200");
            }
        }
    }
    @Test
    void aKeptUpstreamConnectionIsNotReusedPastTheUpstreamsKeepAliveTimeout() throws Exception {
        RawUpstream brief = register("keeps-briefly", (n, head, out) -> {
            RawUpstream.write(out, "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\n{}");
            return true;
        });
        RawUpstream lasting = register("keeps-long", (n, head, out) -> {
            RawUpstream.write(out, json("{}"));
            return true;
        });
        HttpClient one = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (String slug : List.of("keeps-briefly", "keeps-long")) {
            HttpRequest call = HttpRequest.newBuilder(gw.url("/mcp/" + slug)).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + gw.node.adminKey).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(INITIALIZE)).build();
            assertThat(one.send(call, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            Thread.sleep(700); // past "timeout=1" less a second's margin, well within the pool's own idle time
            assertThat(one.send(call, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
        assertThat(brief.connections()).as("the upstream said its connections last a second").isEqualTo(2);
        assertThat(lasting.connections()).as("one connection, reused").isEqualTo(1);
    }

    // --- memory before authentication ----------------------------------------------------------

    @Test
    void theCredentialIsDecidedBeforeTheBodyIsRead() throws Exception {
        try (Socket s = connect()) {
            long start = System.nanoTime();
            // A body announced and never sent: the refusal does not wait for it.
            s.getOutputStream().write(("POST /mcp/demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer gk_live_nope\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 900000\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 401");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(900));
        }
    }

    @Test
    void connectionsPastTheCapAreClosedAsTheyCome() throws Exception {
        try (GatewayNode capped = GatewayNode.start(Map.of("http.max-connections", "2"))) {
            URI base = capped.node.server.publicUrl();
            try (Socket a = new Socket(base.getHost(), base.getPort());
                 Socket b = new Socket(base.getHost(), base.getPort());
                 Socket c = new Socket(base.getHost(), base.getPort())) {
                c.setSoTimeout(2_000);
                assertThat(c.getInputStream().read()).as("the third is closed at once").isEqualTo(-1);
                assertThat(a.isConnected() && b.isConnected()).isTrue();
            }
            // Once the others closed, a new one is served.
            for (int i = 0; i < 20; i++) {
                if (capped.node.http.get("/healthz", null).status() == 200) {
                    return;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("no connection served after the others closed");
        }
    }

    @Test
    void connectionsPastTheCapPerAddressAreClosedAsTheyCome() throws Exception {
        try (GatewayNode capped = GatewayNode.start(Map.of("http.max-connections-per-address", "2"))) {
            URI base = capped.node.server.publicUrl();
            // From 127.0.0.2: the test's own HTTP client keeps connections from 127.0.0.1 open.
            java.net.InetAddress server = java.net.InetAddress.getByName(base.getHost());
            java.net.InetAddress client = java.net.InetAddress.getByName("127.0.0.2");
            try (Socket a = new Socket(server, base.getPort(), client, 0);
                 Socket b = new Socket(server, base.getPort(), client, 0)) {
                for (Socket served : List.of(a, b)) { // answered and kept: both are counted before the third comes
                    served.setSoTimeout(5_000);
                    served.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    byte[] status = new byte[12];
                    assertThat(served.getInputStream().readNBytes(status, 0, 12)).isEqualTo(12);
                    assertThat(new String(status, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
                }
                try (Socket c = new Socket(server, base.getPort(), client, 0)) {
                    c.setSoTimeout(2_000);
                    assertThat(c.getInputStream().read()).as("the third from 127.0.0.2 is closed at once").isEqualTo(-1);
                }
                assertThat(capped.node.http.get("/healthz", null).status()).as("127.0.0.1 has its own count")
                        .isEqualTo(200);
            }
            assertThat(io.gatehouse.testing.Metrics.value(capped.node.http,
                    "gatehouse_edge_connections_refused_per_address_total", Map.of())).isEqualTo(1.0);
            for (int i = 0; i < 20; i++) {
                try (Socket again = new Socket(server, base.getPort(), client, 0)) {
                    again.setSoTimeout(2_000);
                    again.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    if (new String(again.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200")) {
                        return;
                    }
                } catch (IOException reset) {
                    // refused while the first two were still closing: try again
                }
                Thread.sleep(100);
            }
            throw new AssertionError("127.0.0.2 was not served again after its connections closed");
        }
    }

    // --- what upstreams send -------------------------------------------------------------------

    @Test
    void malformedUpstreamAnswersAre502OnEveryPath() throws Exception {
        Map<String, String> answers = Map.of(
                "bad-chunk-size", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "zz\r\n{}\r\n0\r\n\r\n",
                "control-in-header", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Note: a\u0001b\r\n"
                        + "Content-Length: 2\r\n\r\n{}",
                "status-999", "HTTP/1.1 999 Nine\r\nContent-Length: 2\r\n\r\n{}",
                "length-and-chunked", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "2\r\n{}\r\n0\r\n\r\n");
        for (Map.Entry<String, String> a : answers.entrySet()) {
            register(a.getKey(), (n, head, out) -> {
                RawUpstream.write(out, a.getValue());
                return false;
            });
            assertError(post(a.getKey(), INITIALIZE, gw.node.adminKey), 502, "upstream_failed");
            assertError(get("/api/" + a.getKey() + "-api/thing"), 502, "upstream_failed");
        }
    }

    @Test
    void trailersPastTheHeadLimitEndTheAnswer() throws Exception {
        // Netty's decoder bounds trailers as it bounds heads; an answer that sends more never completes.
        register("huge-trailer", (n, head, out) -> {
            RawUpstream.write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "2\r\n{}\r\n0\r\nX-Trailer: " + "t".repeat(64 * 1024) + "\r\n\r\n");
            return false;
        });
        try {
            HttpResponse<String> r = post("huge-trailer", INITIALIZE, gw.node.adminKey);
            assertError(r, 502, "upstream_failed");
        } catch (IOException cut) {
            // the head had left with the body's first bytes: the client sees a cut answer, never a whole one
        }
    }

    @Test
    void aToolListTooLongToFilterIs502NeverACutList() throws Exception {
        String echoOnly = gw.keyForNewUser("bounded-list@example.test", "free", Map.of("tools", List.of("huge-list/echo")));
        int size = McpRoute.MAX_FILTERED_ANSWER + 1024;
        String big = "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"tools\":[{\"name\":\"echo\",\"description\":\""
                + "x".repeat(size) + "\"}]}}";
        register("huge-list", (n, head, out) -> {
            RawUpstream.write(out, json(big));
            return true;
        });
        assertError(post("huge-list", LIST, echoOnly), 502, "upstream_failed");

        register("huge-event", (n, head, out) -> {
            RawUpstream.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
            String event = "data: " + big + "\n\n";
            RawUpstream.write(out, Integer.toHexString(event.length()) + "\r\n" + event + "\r\n0\r\n\r\n");
            return false;
        });
        String streamed = gw.keyForNewUser("bounded-events@example.test", "free",
                Map.of("tools", List.of("huge-event/echo")));
        try {
            HttpResponse<String> cut = post("huge-event", LIST, streamed);
            throw new AssertionError("a cut event stream was passed on as whole: " + cut.statusCode());
        } catch (IOException cutShort) {
            // the stream ends without its last chunk: the client knows it was cut
        }
    }

    /** {@code body} as a chunked answer of {@code size}-byte chunks, written at once: the edge reads each chunk as a piece. */
    private static String chunked(String contentType, String body, int size) {
        StringBuilder out = new StringBuilder("HTTP/1.1 200 OK\r\nContent-Type: " + contentType
                + "\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int at = 0; at < body.length(); at += size) {
            String piece = body.substring(at, Math.min(body.length(), at + size));
            out.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
        }
        return out.append("0\r\n\r\n").toString();
    }

    @Test
    void aToolListIsFilteredWhateverItsPiecesAndTheLengthOfItsStrings() throws Exception {
        // A description past the management API's 64 KiB strings, in 7-byte chunks, as JSON and as an event.
        String list = "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"tools\":[{\"name\":\"echo\",\"description\":\""
                + "d".repeat(70_000) + "\"},{\"name\":\"secret\",\"description\":\"hidden\"}]}}";
        register("pieces", (n, head, out) -> {
            RawUpstream.write(out, chunked("application/json", list, 7));
            return true;
        });
        register("pieces-sse", (n, head, out) -> {
            RawUpstream.write(out, chunked("text/event-stream", "event: message\ndata: " + list + "\n\n", 7));
            return true;
        });
        com.fasterxml.jackson.databind.ObjectMapper plain = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String slug : List.of("pieces", "pieces-sse")) {
            String echoOnly = gw.keyForNewUser(slug + "@example.test", "free", Map.of("tools", List.of(slug + "/echo")));
            HttpResponse<String> r = post(slug, LIST, echoOnly);
            assertThat(r.statusCode()).as(slug).isEqualTo(200);
            assertThat(r.body()).as(slug + ": the hidden tool is filtered out").doesNotContain("secret");
            String json = slug.endsWith("-sse") ? r.body().substring(r.body().indexOf("data: ") + 6).strip() : r.body();
            JsonNode tools = plain.readTree(json).path("result").path("tools");
            assertThat(tools).as(slug).hasSize(1);
            assertThat(tools.path(0).path("description").asText()).as(slug).hasSize(70_000);
        }
    }

    @Test
    void aToolListThatCannotBeReadIsNeverPassedOnUnfiltered() throws Exception {
        // Duplicate keys: a client may read the second "result", which the filter never saw.
        String twoResults = "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"tools\":[]},"
                + "\"result\":{\"tools\":[{\"name\":\"secret\"}]}}";
        register("unreadable-list", (n, head, out) -> {
            RawUpstream.write(out, json(twoResults));
            return true;
        });
        register("unreadable-event", (n, head, out) -> {
            RawUpstream.write(out, chunked("text/event-stream", "data: " + twoResults + "\n\n", 64));
            return true;
        });
        register("not-found-page", (n, head, out) -> {
            RawUpstream.write(out, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nNot Found");
            return true;
        });
        for (String slug : List.of("unreadable-list", "unreadable-event")) {
            String echoOnly = gw.keyForNewUser(slug + "@example.test", "free", Map.of("tools", List.of(slug + "/echo")));
            HttpResponse<String> r = post(slug, LIST, echoOnly);
            assertError(r, 502, "upstream_failed");
            assertThat(r.body()).doesNotContain("secret");
        }
        String echoOnly = gw.keyForNewUser("not-found-page@example.test", "free", Map.of("tools", List.of("not-found-page/echo")));
        HttpResponse<String> notFound = post("not-found-page", LIST, echoOnly);
        assertThat(notFound.statusCode()).as("an upstream's own error page is no list: it passes").isEqualTo(404);
        assertThat(notFound.body()).isEqualTo("Not Found");
    }

    @Test
    void aManagementBodyLongerThanWhatIsReadAtOnceArrivesWhole() {
        // 100 KiB of JSON (whitespace), declared: read as it arrives rather than into an array sized by the claim.
        String body = "{\"email\": \"long-body@example.test\"" + " ".repeat(100 * 1024) + "}";
        io.gatehouse.testing.Http.Response created = gw.node.http.send("POST", "/v1/users",
                Map.of("Authorization", "Bearer " + gw.node.adminKey), body);
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().path("email").asText()).isEqualTo("long-body@example.test");
    }

    @Test
    void fieldsNamedInConnectionStayOnTheirHop() throws Exception {
        RawUpstream up = register("hop-fields", (n, head, out) -> {
            RawUpstream.write(out, "HTTP/1.1 200 OK\r\nConnection: X-Upstream-Hop\r\nX-Upstream-Hop: secret\r\n"
                    + "X-Kept: yes\r\nContent-Length: 2\r\n\r\nok");
            return true;
        });
        String answer;
        try (Socket s = connect()) {
            s.getOutputStream().write(("GET /api/hop-fields-api/thing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + gw.node.adminKey + "\r\nX-Client-Hop: private\r\nX-Passed: along\r\n"
                    + "Connection: X-Client-Hop, close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            answer = readAll(s).toLowerCase(java.util.Locale.ROOT);
        }
        assertThat(answer).startsWith("http/1.1 200").contains("x-kept: yes");
        assertThat(answer).as("RFC 9110 §7.6.1, upstream to client").doesNotContain("x-upstream-hop");
        String sent = up.heads().getLast().toLowerCase(java.util.Locale.ROOT);
        assertThat(sent).contains("x-passed: along").as("RFC 9110 §7.6.1, client to upstream")
                .doesNotContain("x-client-hop");
    }

    @Test
    void anAnswerToHeadHasNoBodyAndTheConnectionStaysInStep() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(("HEAD /v1/whoami HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String all = readAll(s);
            assertThat(all).startsWith("HTTP/1.1 ");
            int second = all.indexOf("HTTP/1.1 200");
            assertThat(second).as("the second answer follows the first's head directly: " + all).isPositive();
            String first = all.substring(0, second);
            assertThat(first).as("no body after the head").endsWith("\r\n\r\n");
            assertThat(first.indexOf("\r\n\r\n")).isEqualTo(first.length() - 4);
        }
    }

    // --- helpers ---------------------------------------------------------------------------------

    private static Socket connect() throws IOException {
        URI base = gw.node.server.publicUrl();
        Socket s = new Socket();
        s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static String readAll(Socket s) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        try {
            while ((n = s.getInputStream().read(buf)) > 0) {
                all.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection was not closed; got: " + all.toString(StandardCharsets.ISO_8859_1));
        } catch (IOException reset) {
            // what arrived before is what counts
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            String h = head.toString(StandardCharsets.ISO_8859_1);
            if (h.endsWith("\r\n\r\n")) {
                return h;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
