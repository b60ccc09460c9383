package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.http.Json;
import io.gatehouse.testing.TestNode;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code http.proxy-protocol}: behind a load balancer the operator runs, the client's address is
 * the one the PROXY protocol header names, and a connection that does not begin with one is closed
 * (so every request here, the test's own included, comes with a header).
 */
class EdgeProxyProtocolIT {
    private static final String CLIENT = "PROXY TCP4 203.0.113.9 127.0.0.1 51234 443\r\n";

    @Test
    void theClientIsWhomTheHeaderNamesAndAConnectionWithoutOneIsClosed() throws Exception {
        try (TestNode node = TestNode.start(Map.of("http.proxy-protocol", "true"))) {
            String whoami = "GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + node.adminKey
                    + "\r\nConnection: close\r\n\r\n";
            String answer = send(node, CLIENT + whoami);
            assertThat(answer).startsWith("HTTP/1.1 200");
            String keyId = body(answer).path("credential_id").asText();

            Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
            String ip = "";
            while (ip.isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(200); // uses are written in batches
                ip = body(send(node, CLIENT + "GET /v1/keys/" + keyId + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + node.adminKey + "\r\nConnection: close\r\n\r\n")).path("last_used_ip").asText("");
            }
            assertThat(ip).as("the address the balancer named").isEqualTo("203.0.113.9");

            assertThat(send(node, whoami)).as("no header: not through the balancer").isEmpty();
            assertThat(send(node, "PROXY TCP4 not-an-address\r\n" + whoami)).as("a malformed header").isEmpty();
            // A v2 LOCAL header (the balancer's own health check) names no client; the call is served.
            byte[] local = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00};
            assertThat(send(node, new String(local, StandardCharsets.ISO_8859_1)
                    + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void aClientPastItsConnectionsIsCountedByTheAddressTheHeaderNames() throws Exception {
        try (TestNode node = TestNode.start(Map.of("http.proxy-protocol", "true",
                "http.max-connections-per-address", "1"))) {
            URI base = node.server.publicUrl();
            try (Socket held = new Socket(base.getHost(), base.getPort())) {
                // A request answered on it, kept alive: the connection is counted before the next one comes.
                held.setSoTimeout(10_000);
                held.getOutputStream().write((CLIENT + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                held.getOutputStream().flush();
                byte[] answer = new byte[12];
                assertThat(held.getInputStream().readNBytes(answer, 0, 12)).isEqualTo(12);
                assertThat(new String(answer, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
                String health = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
                String second = send(node, CLIENT + health);
                assertThat(second).as("the same client, one connection too many").isEmpty();
                String create = "{\"email\": \"refused@proxy.test\"}";
                assertThat(send(node, CLIENT + "POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + node.adminKey + "\r\nContent-Type: application/json\r\nContent-Length: " + create.length()
                        + "\r\nConnection: close\r\n\r\n" + create)).as("refused, with its request").isEmpty();
                assertThat(send(node, "PROXY TCP4 203.0.113.10 127.0.0.1 51234 443\r\n" + health))
                        .as("another client behind the same balancer").startsWith("HTTP/1.1 200");
            }
            String again = "";
            for (int i = 0; i < 50 && again.isEmpty(); i++) {
                again = send(node, CLIENT + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                Thread.sleep(again.isEmpty() ? 50 : 0);
            }
            assertThat(again).as("once the held one closed, the client is served").startsWith("HTTP/1.1 200");
            String users = send(node, CLIENT + "GET /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + node.adminKey + "\r\nConnection: close\r\n\r\n");
            assertThat(users).as("the refused connection's request never ran").startsWith("HTTP/1.1 200")
                    .doesNotContain("refused@proxy.test");
        }
    }

    private static String send(TestNode node, String bytes) throws IOException {
        URI base = node.server.publicUrl();
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            try {
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            } catch (IOException reset) {
                return "";
            }
        }
    }

    private static JsonNode body(String answer) throws IOException {
        return Json.MAPPER.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    }
}
