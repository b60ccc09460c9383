package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
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
 * The event-loop front: which requests it serves itself and which it hands to the main listener,
 * and that the client's own address reaches both (the handed-on connection carries it in a PROXY
 * protocol line). The rest of the suite runs through the front too, since it is on by default.
 */
class FrontIT {
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"front-it\",\"version\":\"1\"}}}";
    private static GatewayNode gw;

    @BeforeAll
    static void start() {
        gw = GatewayNode.start();
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    /** A counter without labels, as /metrics shows it. */
    private static double count(String name) {
        return gw.node.http.send("GET", "/metrics", Map.of(), null).text().lines()
                .filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElse(0);
    }

    @Test
    void plainCallsAreServedOnTheLoopAndEverythingElseIsHandedOn() {
        double served = count("gatehouse_front_served_total");
        var mcp = gw.mcp(gw.node.adminKey);
        assertThat(mcp.initialize().status()).isEqualTo(200);
        assertThat(mcp.callTool("echo", Map.of("text", "on the loop")).last().path("result").path("content").get(0)
                .path("text").asText()).isEqualTo("on the loop");
        assertThat(count("gatehouse_front_served_total") - served).as("initialize, its notification, the call")
                .isGreaterThanOrEqualTo(3);

        // A tools/list to filter, a refused call, a browser's call: each the main listener's to answer.
        String echoOnly = gw.keyForNewUser("front-echo@example.test", "free", Map.of("tools", List.of("demo/echo")));
        var scoped = gw.mcp(echoOnly);
        scoped.initialize();
        served = count("gatehouse_front_served_total");
        assertThat(scoped.toolNames()).containsExactly("echo");
        assertThat(scoped.callTool("add", Map.of("a", 1, "b", 2)).last().path("error").path("data").path("reason")
                .asText()).isEqualTo("tool_not_allowed");
        assertThat(gw.mcp(gw.node.adminKey).header("Origin", "http://localhost:6274").initialize().status()).isEqualTo(200);
        // (Their connections are the main listener's from then on, so they are counted once each.)
        assertThat(count("gatehouse_front_served_total")).as("none of them on the loop").isEqualTo(served);
    }

    @Test
    void theClientsAddressReachesTheKeyRecordOnBothPaths() throws Exception {
        // Loopback is all of 127/8: a client bound to 127.0.0.2 is told apart from the front's own 127.0.0.1.
        JsonNode onLoop = gw.node.createKey(gw.node.adminOrgId, gw.node.adminUserId, "on the loop");
        String answer = rawFrom("127.0.0.2", "POST /mcp/demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + onLoop.path("key").asText() + "\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\nContent-Length: " + INITIALIZE.length() + "\r\n\r\n"
                + INITIALIZE);
        assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("mcp-session-id: gh1.");

        double handedOnBefore = count("gatehouse_front_handed_on_total");
        JsonNode handedOn = gw.node.createKey(gw.node.adminOrgId, gw.node.adminUserId, "handed on");
        String whoami = rawFrom("127.0.0.3", "GET /v1/whoami HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer " + handedOn.path("key").asText() + "\r\n\r\n");
        assertThat(whoami).startsWith("HTTP/1.1 200");
        assertThat(count("gatehouse_front_handed_on_total") - handedOnBefore).as("the connection, handed on").isEqualTo(1);

        assertThat(lastUsedIp(onLoop)).isEqualTo("127.0.0.2");
        assertThat(lastUsedIp(handedOn)).isEqualTo("127.0.0.3");
    }

    @Test
    void withTheEventLoopOffTheMainListenerServesEverything() {
        try (GatewayNode plain = GatewayNode.start(Map.of("http.event-loop", "false"))) {
            var mcp = plain.mcp(plain.node.adminKey);
            assertThat(mcp.initialize().status()).isEqualTo(200);
            assertThat(mcp.toolNames()).contains("echo");
            assertThat(plain.node.http.send("GET", "/metrics", Map.of(), null).text()).doesNotContain("gatehouse_front_");
        }
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
