package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.Metrics;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The edge: every data-plane call is served on its event loop, whatever it is (filtered, refused,
 * from a browser), and every other request is forwarded to the control plane, one request at a
 * time; the client's own address reaches both, and no client can name another. The rest of the
 * suite runs through the edge too: it is the only way in.
 */
class EdgeIT {
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"front-it\",\"version\":\"1\"}}}";
    private static GatewayNode gw;
    /** An upstream with one scripted answer per path, each registered as server {@code front-{path}}. */
    private static java.net.ServerSocket scripted;
    private static final java.util.concurrent.atomic.AtomicInteger SCRIPTED_REQUESTS = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        gw = GatewayNode.start();
        scripted = new java.net.ServerSocket(0, 200, java.net.InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!scripted.isClosed()) {
                try {
                    Socket s = scripted.accept();
                    Thread.ofVirtual().start(() -> answer(s));
                } catch (IOException closed) {
                    return;
                }
            }
        });
        String base = "http://127.0.0.1:" + scripted.getLocalPort();
        for (String path : List.of("chunked", "until-close", "rejects", "ambiguous", "silent", "fixed", "big", "reset")) {
            gw.node.createServer(Map.of("name", path, "slug", "front-" + path, "upstream_url", base + "/" + path,
                    "timeout_ms", 1000));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        scripted.close();
        gw.close();
    }

    /** Requests the edge served on its loop ({@code data}) or forwarded ({@code control}), as /metrics shows them. */
    private static double count(String plane) {
        return Metrics.value(gw.node.http, "gatehouse_edge_requests_total", Map.of("plane", plane));
    }

    @Test
    void everyDataPlaneCallIsServedOnTheLoopWhateverItIs() {
        double served = count("data");
        var mcp = gw.mcp(gw.node.adminKey).ownConnections();
        assertThat(mcp.initialize().status()).isEqualTo(200);
        assertThat(mcp.callTool("echo", Map.of("text", "on the loop")).last().path("result").path("content").get(0)
                .path("text").asText()).isEqualTo("on the loop");
        assertThat(count("data") - served).as("initialize, its notification, the call").isEqualTo(3);

        // A tools/list to filter, a refused call, a browser's call: on the loop as well.
        String echoOnly = gw.keyForNewUser("front-echo@example.test", "free", Map.of("tools", List.of("demo/echo")));
        var scoped = gw.mcp(echoOnly);
        served = count("data");
        double forwarded = count("control");
        scoped.initialize();
        assertThat(scoped.toolNames()).containsExactly("echo");
        assertThat(scoped.callTool("add", Map.of("a", 1, "b", 2)).last().path("error").path("data").path("reason")
                .asText()).isEqualTo("tool_not_allowed");
        assertThat(gw.mcp(gw.node.adminKey).header("Origin", "http://localhost:6274").initialize().status()).isEqualTo(200);
        assertThat(count("data") - served).as("two initializations and their notifications, the list, the refusal")
                .isEqualTo(6);
        assertThat(count("control") - forwarded).as("only the readings of /metrics").isEqualTo(2);
    }

    @Test
    void aConnectionWhoseCallIsRefusedServesItsNextCallOnTheLoop() throws Exception {
        double served = count("data");
        double forwarded = count("control");
        String refused = "POST /mcp/demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer gk_live_not-a-key\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + INITIALIZE.length() + "\r\n\r\n" + INITIALIZE;
        String admitted = "POST /mcp/demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gw.node.adminKey
                + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                + "Content-Length: " + INITIALIZE.length() + "\r\n\r\n" + INITIALIZE;
        String answers = rawFrom("127.0.0.1", refused + admitted + refused + admitted);
        assertThat(answers.split("HTTP/1\\.1 ", -1)).as("four answers on one connection").hasSize(5);
        assertThat(answers).startsWith("HTTP/1.1 401");
        assertThat(answers.indexOf("HTTP/1.1 200")).isGreaterThan(0);
        assertThat(count("data") - served).as("all four on the loop: " + answers).isEqualTo(4);
        assertThat(count("control") - forwarded).as("only the readings of /metrics").isEqualTo(2);
    }

    @Test
    void theClientsAddressReachesTheKeyRecordOnBothPlanesAndNoClientCanNameAnother() throws Exception {
        // Loopback is all of 127/8: a client bound to 127.0.0.2 is told apart from the edge's own 127.0.0.1.
        JsonNode onLoop = gw.node.createKey(gw.node.adminOrgId, gw.node.adminUserId, "on the loop");
        String answer = rawFrom("127.0.0.2", "POST /mcp/demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + onLoop.path("key").asText() + "\r\nContent-Type: application/json\r\n"
                + "X-Gatehouse-Client: 203.0.113.7\r\n"
                + "Accept: application/json, text/event-stream\r\nContent-Length: " + INITIALIZE.length() + "\r\n\r\n"
                + INITIALIZE);
        assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("mcp-session-id: gh1.");

        double forwarded = count("control");
        JsonNode control = gw.node.createKey(Map.of("organization_id", gw.node.adminOrgId, "user_id",
                gw.node.adminUserId, "name", "control plane", "permissions", List.of("keys:self")));
        // The fields the edge tells the control plane with are not the client's to send: they are dropped.
        String ownKeys = rawFrom("127.0.0.3", "GET /v1/me/keys HTTP/1.1\r\nHost: x\r\n"
                + "X-Gatehouse-Client: 203.0.113.7\r\nX-Gatehouse-Edge: guessed\r\n"
                + "Authorization: Bearer " + control.path("key").asText() + "\r\n\r\n");
        assertThat(ownKeys).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("x-gatehouse-");
        assertThat(count("control") - forwarded).as("the key's creation, the listing, the reading of /metrics")
                .isEqualTo(3);

        assertThat(lastUsedIp(onLoop)).isEqualTo("127.0.0.2");
        assertThat(lastUsedIp(control)).isEqualTo("127.0.0.3");
    }

    @Test
    void theControlPlaneAnswersOnlyItsEdge() throws Exception {
        int port = gw.node.server.controlPlanePort();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Gatehouse-Edge: guessed\r\n"
                    + "X-Gatehouse-Client: 203.0.113.7\r\nAuthorization: Bearer " + gw.node.adminKey + "\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(readHead(socket.getInputStream()), StandardCharsets.ISO_8859_1);
            assertThat(answer).as("another local process, without this process's secret").startsWith("HTTP/1.1 403");
        }
    }

    @Test
    void upstreamAnswersOfEveryShapeAndFailureReachTheClientInTheDocumentedShape() throws Exception {
        double served = count("data");
        var chunked = call("front-chunked");
        assertThat(chunked.statusCode()).isEqualTo(200);
        assertThat(chunked.body()).as("extensions and trailers are not passed on").isEqualTo("hello, world");
        assertThat(chunked.headers().firstValue("x-trailer")).isEmpty();
        assertThat(call("front-until-close").body()).isEqualTo("until the end");
        var fixed = call("front-fixed");
        assertThat(fixed.body()).isEqualTo("fixed");
        assertThat(fixed.headers().firstValue("content-length")).hasValue("5");
        assertThat(fixed.headers().allValues("x-request-id")).as("Gatehouse's, not the upstream's too").hasSize(1)
                .first().asString().startsWith("req_");

        assertError(call("front-rejects"), 502, "upstream_rejected_gatehouse");
        assertError(call("front-ambiguous"), 502, "upstream_failed");
        assertError(call("front-silent"), 504, "upstream_timeout");
        gw.node.createServer(Map.of("name", "gone", "slug", "front-gone", "upstream_url",
                "http://127.0.0.1:" + freePort() + "/mcp"));
        assertError(call("front-gone"), 502, "upstream_unreachable");
        assertThat(count("data") - served).as("all seven on the loop").isEqualTo(7);
    }

    @Test
    void anAnswerCutByAResetIsNotPassedOnAsWhole() {
        // Framed by the connection's end: a reset is not an end, and the client must not get a whole body.
        assertThatThrownBy(() -> call("front-reset")).isInstanceOf(IOException.class);
    }

    @Test
    void noBufferIsLeakedOnAnyAnswerPath() throws Exception {
        List<String> leaks = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler collector = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains("LEAK")) {
                    leaks.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger detectorLog = java.util.logging.Logger.getLogger(ResourceLeakDetector.class.getName());
        detectorLog.addHandler(collector);
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID); // every buffer tracked
        try {
            for (int round = 0; round < 3; round++) {
                for (String path : List.of("chunked", "until-close", "rejects", "ambiguous", "fixed", "big", "reset")) {
                    try {
                        call("front-" + path);
                    } catch (IOException cut) {
                        // the reset: what the client sees is another test's business
                    }
                }
                System.gc();
                Thread.sleep(100);
            }
            for (int i = 0; i < 20; i++) {
                call("front-fixed"); // new buffers make the detector report the collected ones
            }
        } finally {
            ResourceLeakDetector.setLevel(level);
            detectorLog.removeHandler(collector);
        }
        assertThat(leaks).as("buffers collected unreleased").isEmpty();
    }

    @Test
    void aClientThatPipelinesAndDoesNotReadIsNotAnsweredWithoutLimit() throws Exception {
        // 16 KiB answers that each close their upstream connection: every exchange is short and new.
        String one = "POST /mcp/front-big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gw.node.adminKey
                + "\r\nContent-Type: application/json\r\nContent-Length: " + INITIALIZE.length() + "\r\n\r\n" + INITIALIZE;
        int requests = 2_000;
        URI base = gw.node.server.publicUrl();
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            socket.setSoTimeout(30_000);
            byte[] all = one.repeat(requests).getBytes(StandardCharsets.ISO_8859_1);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    socket.getOutputStream().write(all);
                    socket.getOutputStream().flush();
                } catch (IOException closed) {
                    // the test fails on what it reads
                }
            });
            Thread.sleep(2_000);
            int early = SCRIPTED_REQUESTS.get();
            Thread.sleep(1_500);
            int later = SCRIPTED_REQUESTS.get();
            assertThat(later).as("nothing more is fetched while the client reads nothing").isEqualTo(early);

            java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            for (int i = 0; i < requests; i++) {
                byte[] head = readHead(in);
                assertThat(new String(head, StandardCharsets.ISO_8859_1)).as("answer " + i).startsWith("HTTP/1.1 200");
            }
            writer.join(10_000);
        }
    }

    @Test
    void aMirroredHeaderSentTwiceIsRefusedWithOrWithoutOrigin() throws Exception {
        String echoOnly = gw.keyForNewUser("twice@example.test", "free", Map.of("tools", List.of("demo/echo")));
        String call = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
                + "\"arguments\":{\"text\":\"x\"}}}";
        for (String browser : List.of("", "Origin: http://localhost:6274\r\n")) {
            String answer = rawFrom("127.0.0.1", "POST /mcp/demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + echoOnly
                    + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" + browser
                    + "Mcp-Method: tools/call\r\nMcp-Name: echo\r\nMcp-Name: whoami\r\nContent-Length: " + call.length()
                    + "\r\n\r\n" + call);
            assertThat(answer).as(browser).startsWith("HTTP/1.1 400").contains("\"header_mismatch\"");
        }
    }

    @Test
    void aKeyNotInMemoryIsLoadedOffTheLoopAndItsLaterRefusalIsWrittenOnIt() throws Exception {
        JsonNode created = gw.node.createKey(gw.node.adminOrgId, gw.node.adminUserId, "to roll on the loop");
        String key = created.path("key").asText();
        double served = count("data");
        var mcp = Mcp.withKey(gw.url("/mcp/demo"), key).ownConnections();
        assertThat(mcp.initialize().status()).as("a key never used before").isEqualTo(200);

        // Rolling drops the key's cached answer while the client's connection is open.
        gw.node.http.post("/v1/keys/" + created.path("id").asText() + "/roll", gw.node.adminKey,
                Map.of("grace_seconds", 2));
        assertThat(mcp.callTool("echo", Map.of("text", "still on the loop")).status()).isEqualTo(200);

        Thread.sleep(2_200); // the grace period is over: refused from memory, on the loop
        Mcp.Answer late = mcp.callTool("echo", Map.of("text", "too late"));
        assertThat(late.status()).isEqualTo(401);
        assertThat(io.gatehouse.http.Json.MAPPER.readTree(late.body()).path("error").path("reason").asText())
                .isEqualTo("expired");
        assertThat(late.header("www-authenticate")).contains("invalid_token").contains("resource_metadata=");
        assertThat(count("data") - served).as("initialize, its notification, the call, the refusal").isEqualTo(4);
    }

    @Test
    void upstreamsNamedByHostAreResolvedOffTheLoopAndServedOnIt() throws Exception {
        // localhost may resolve to ::1 first, where the demo upstream does not listen: the next address is tried.
        gw.node.createServer(Map.of("name", "by name", "slug", "front-named", "upstream_url",
                "http://localhost:" + gw.upstream.mcpUrl().getPort() + gw.upstream.mcpUrl().getPath()));
        gw.node.createServer(Map.of("name", "nowhere", "slug", "front-nowhere", "upstream_url",
                "http://no-such-host.invalid/mcp"));
        double served = count("data");

        var named = Mcp.withKey(gw.url("/mcp/front-named"), gw.node.adminKey).ownConnections();
        assertThat(named.initialize().status()).isEqualTo(200);
        assertThat(named.callTool("add", Map.of("a", 2, "b", 3)).last().path("result").path("content").get(0)
                .path("text").asText()).isEqualTo("5");
        assertError(call("front-nowhere"), 502, "upstream_unreachable");
        assertThat(count("data") - served).as("initialize, its notification, the call, the 502")
                .isEqualTo(4);
    }

    private static void answer(Socket s) {
        try (s) {
            byte[] head = readHead(s.getInputStream());
            String request = new String(head, StandardCharsets.ISO_8859_1);
            String path = request.substring(5, request.indexOf(' ', 5));
            OutputStream out = s.getOutputStream();
            SCRIPTED_REQUESTS.incrementAndGet();
            if (path.equals("/reset")) {
                out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: upstream\r\n\r\n{\"partial\":"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                Thread.sleep(100);
                s.setSoLinger(true, 0); // closing now sends a reset, not an orderly end
                return;
            }
            String answer = switch (path) {
                case "/chunked" -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
                case "/until-close" -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
                case "/fixed" -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Request-Id: upstream\r\n"
                        + "Content-Length: 5\r\n\r\nfixed";
                case "/big" -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 16384"
                        + "\r\n\r\n" + "x".repeat(16384);
                case "/rejects" -> "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
                case "/ambiguous" -> "HTTP/1.1 200 OK\r\nX-Note: a\rSet-Cookie: b=c\r\nContent-Length: 2\r\n\r\nok";
                default -> null; // silent
            };
            if (answer == null) {
                Thread.sleep(3_000);
                return;
            }
            out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        } catch (Exception ignored) {
            // the test judges what the client got
        }
    }

    /** The request's head and its Content-Length body, read whole. */
    private static byte[] readHead(java.io.InputStream in) throws IOException {
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            head.write(b);
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(text);
        if (m.find()) {
            in.readNBytes(Integer.parseInt(m.group(1)));
        }
        return head.toByteArray();
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static java.net.http.HttpResponse<String> call(String slug) throws Exception {
        return java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build().send(
                java.net.http.HttpRequest.newBuilder(gw.url("/mcp/" + slug)).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + gw.node.adminKey)
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(INITIALIZE)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(java.net.http.HttpResponse<String> r, int status, String reason) throws Exception {
        assertThat(r.statusCode()).as(reason).isEqualTo(status);
        JsonNode body = io.gatehouse.http.Json.MAPPER.readTree(r.body());
        assertThat(body.path("success").asBoolean(true)).isFalse();
        assertThat(body.path("error").path("reason").asText()).isEqualTo(reason);
        assertThat(body.path("error").path("request_id").asText()).isEqualTo(r.headers().firstValue("x-request-id")
                .orElseThrow());
    }

    private static String lastUsedIp(JsonNode key) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        String ip = "";
        while (Instant.now().isBefore(deadline)) {
            ip = gw.node.http.get("/v1/keys/" + key.path("id").asText(), gw.node.adminKey).json()
                    .path("last_used_ip").asText("");
            if (!ip.isEmpty()) {
                return ip;
            }
            Thread.sleep(100);
        }
        return ip;
    }

    /** One request from a socket bound to {@code local}; the client then shuts its side and reads all. */
    private static String rawFrom(String local, String request) throws IOException {
        URI base = gw.node.server.publicUrl();
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(local, 0));
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
