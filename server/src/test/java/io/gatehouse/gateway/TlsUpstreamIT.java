package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.http.Json;
import io.gatehouse.testing.Certificates;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Https;
import io.gatehouse.testing.Metrics;
import com.sun.net.httpserver.HttpsServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code https} upstreams: reached on the edge's event loop, trusted through
 * {@code gateway.upstream-ca-file} (a company's own CA), checked against the upstream's host name,
 * and refused when the certificate is untrusted or names another host, with or without a browser's Origin.
 */
class TlsUpstreamIT {
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"tls-it\",\"version\":\"1\"}}}";
    private static final String ANSWER = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"over\":\"tls\"}}";
    /** A browser's Origin that Gatehouse allows: the answer carries CORS fields too. */
    private static final String BROWSER = "http://localhost:6274";

    @TempDir
    static Path dir;
    private static HttpsServer upstream;
    private static GatewayNode trusting;
    private static GatewayNode plain;

    @BeforeAll
    static void start() throws Exception {
        // Issued to localhost only: reached as https://127.0.0.1 it names another host.
        KeyStore identity = Certificates.create(dir, "upstream", "dns:localhost");
        upstream = Https.server(identity);
        upstream.createContext("/mcp", exchange -> {
            Https.answerJson(exchange, ANSWER.getBytes(StandardCharsets.UTF_8));
        });
        upstream.start();
        Path ca = Certificates.pem(identity, dir.resolve("company-ca.pem"));
        trusting = GatewayNode.start(Map.of("gateway.upstream-ca-file", ca.toString()));
        plain = GatewayNode.start();
        int port = upstream.getAddress().getPort();
        for (GatewayNode gw : new GatewayNode[]{trusting, plain}) {
            gw.node.createServer(Map.of("name", "tls", "slug", "tls", "upstream_url", "https://localhost:" + port + "/mcp"));
            gw.node.createServer(Map.of("name", "tls by address", "slug", "tls-by-address",
                    "upstream_url", "https://127.0.0.1:" + port + "/mcp"));
        }
    }

    @AfterAll
    static void stop() {
        upstream.stop(0);
        trusting.close();
        plain.close();
    }

    private static HttpResponse<String> call(GatewayNode gw, String slug, String origin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(gw.url("/mcp/" + slug)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + gw.node.adminKey).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(INITIALIZE));
        if (origin != null) {
            b.header("Origin", origin);
        }
        // A client of its own per call: each call makes a new upstream connection as well.
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String reason(HttpResponse<String> r) throws Exception {
        JsonNode body = Json.MAPPER.readTree(r.body());
        return body.path("error").path("reason").asText();
    }

    @Test
    void anUpstreamWhoseCertificateTheCompanyCaSignsIsReached() throws Exception {
        Map<String, String> data = Map.of("plane", "data");
        double served = Metrics.value(trusting.node.http, "gatehouse_edge_requests_total", data);
        HttpResponse<String> onLoop = call(trusting, "tls", null);
        assertThat(onLoop.statusCode()).isEqualTo(200);
        assertThat(onLoop.body()).isEqualTo(ANSWER);
        assertThat(Metrics.value(trusting.node.http, "gatehouse_edge_requests_total", data) - served)
                .as("served on the event loop").isEqualTo(1);

        HttpResponse<String> browser = call(trusting, "tls", BROWSER);
        assertThat(browser.statusCode()).isEqualTo(200);
        assertThat(browser.body()).isEqualTo(ANSWER);
        assertThat(browser.headers().firstValue("access-control-allow-origin")).hasValue(BROWSER);
    }

    @Test
    void aCertificateForAnotherNameOrFromAnUnknownCaIsRefused() throws Exception {
        for (String origin : new String[]{null, BROWSER}) {
            HttpResponse<String> otherName = call(trusting, "tls-by-address", origin);
            assertThat(otherName.statusCode()).as("issued to localhost, reached as 127.0.0.1; " + origin).isEqualTo(502);
            assertThat(reason(otherName)).isEqualTo("upstream_failed");

            HttpResponse<String> unknownCa = call(plain, "tls", origin);
            assertThat(unknownCa.statusCode()).as("the JDK's CAs do not know it; " + origin).isEqualTo(502);
            assertThat(reason(unknownCa)).isEqualTo("upstream_failed");
        }
    }
}
