package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seed 004's monitoring: a burst far above a credential's usual rate, an error-rate spike, and first
 * use from a new network, each stored with its evidence, listed by the API, and posted to the
 * configured webhook signed as Standard Webhooks.
 */
class AlertsIT {
    static final String SECRET = WebhookSignatures.newSecret();
    static GatewayNode gw;
    static Http http;
    static HttpServer receiver;
    static final List<Map<String, Object>> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/alerts", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, Object> seen = new HashMap<>();
            try {
                WebhookSignatures.verify(WebhookSignatures.Scheme.STANDARD_WEBHOOKS, SECRET,
                        name -> Optional.ofNullable(exchange.getRequestHeaders().getFirst(name)), body, Instant.now(),
                        Duration.ofMinutes(5));
                seen.put("verified", true);
            } catch (WebhookSignatures.Rejected e) {
                seen.put("verified", false);
            }
            seen.put("body", io.gatehouse.http.Json.MAPPER.readTree(body));
            received.add(seen);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        gw = GatewayNode.start(Map.of("http.trust-forwarded-for", "true",
                "alerts.webhook-url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/alerts",
                "alerts.webhook-secret", SECRET));
        http = new Http(gw.node.server.publicUrl());
    }

    @AfterAll
    static void stop() {
        gw.close();
        receiver.stop(0);
    }

    private static Http.Response call(String key, String path, String from) {
        return http.send("GET", path, Map.of("Authorization", "Bearer " + key, "X-Forwarded-For", from), null);
    }

    private static JsonNode awaitAlert(String org, String credentialId, String kind) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            JsonNode alerts = TestNode.ok(gw.node.http.get("/v1/orgs/" + org + "/alerts", gw.node.adminKey), 200);
            for (JsonNode a : alerts.path("data")) {
                if (a.path("kind").asText().equals(kind) && a.path("credential_id").asText().equals(credentialId)) {
                    return a;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no " + kind + " alert for " + credentialId);
    }

    private record Keyed(String org, String keyId, String key) {
    }

    private static Keyed keyed(String email) {
        String user = gw.node.createUser(email);
        String org = gw.node.createOrg("Org of " + email, "free", user);
        JsonNode key = gw.node.createKey(org, user, Map.of());
        return new Keyed(org, key.path("id").asText(), key.path("key").asText());
    }

    @Test
    void firstUseFromANewNetworkIsAnAlertWithTheNetworksItKnew() throws Exception {
        Keyed k = keyed("travel@alerts.test");
        assertThat(call(k.key(), "/api/v1/nothing", "203.0.113.5").status()).isEqualTo(404);
        assertThat(call(k.key(), "/api/v1/nothing", "203.0.113.77").status()).as("same /24").isEqualTo(404);
        Thread.sleep(500);
        JsonNode none = TestNode.ok(gw.node.http.get("/v1/orgs/" + k.org() + "/alerts", gw.node.adminKey), 200);
        assertThat(gw.node.http.get("/v1/orgs/org_nosuchorganization/alerts", gw.node.adminKey).status())
                .as("alerts of an organization that does not exist").isEqualTo(404);
        assertThat(none.path("data")).as("the first network is no surprise").isEmpty();

        assertThat(call(k.key(), "/api/v1/nothing", "198.51.100.7").status()).isEqualTo(404);
        JsonNode alert = awaitAlert(k.org(), k.keyId(), "new_network");
        assertThat(alert.path("evidence").path("network").asText()).isEqualTo("198.51.100.0/24");
        assertThat(alert.path("evidence").path("address").asText()).isEqualTo("198.51.100.7");
        assertThat(alert.path("evidence").path("known_networks").get(0).asText()).isEqualTo("203.0.113.0/24");

        call(k.key(), "/api/v1/nothing", "2001:db8:aa:1::5");
        JsonNode v6 = awaitAlert(k.org(), k.keyId(), "new_network");
        assertThat(v6.path("id").asText()).as("one alert per credential and kind an hour").isEqualTo(alert.path("id").asText());

        long deadline = System.nanoTime() + 15_000_000_000L;
        while (received.stream().noneMatch(r -> ((JsonNode) r.get("body")).path("id").asText()
                .equals(alert.path("id").asText())) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Map<String, Object> delivered = received.stream().filter(r -> ((JsonNode) r.get("body")).path("id").asText()
                .equals(alert.path("id").asText())).findFirst().orElseThrow();
        assertThat(delivered.get("verified")).as("signed with the configured secret").isEqualTo(true);
        assertThat(((JsonNode) delivered.get("body")).path("kind").asText()).isEqualTo("new_network");
    }

    @Test
    void aBurstFarAboveTheUsualRateIsAnAlert() throws Exception {
        Keyed k = keyed("burst@alerts.test");
        for (int i = 0; i < 130; i++) { // split across a minute's end, one side still holds 65
            call(k.key(), "/api/v1/nothing", "192.0.2.10");
        }
        JsonNode alert = awaitAlert(k.org(), k.keyId(), "burst");
        assertThat(alert.path("evidence").path("calls").asLong()).isGreaterThanOrEqualTo(60);
        assertThat(alert.path("evidence").path("usual_calls_per_minute").asDouble()).isZero();
    }

    @Test
    void anErrorSpikeIsAnAlert() throws Exception {
        JsonNode broken = gw.unreachableServer("down", Map.of());
        try {
            Keyed k = keyed("errors@alerts.test");
            for (int i = 0; i < 45; i++) { // split across a minute's end, one side still holds 20
                assertThat(call(k.key(), "/api/down/x", "192.0.2.20").status()).isEqualTo(502);
            }
            JsonNode alert = awaitAlert(k.org(), k.keyId(), "error_spike");
            assertThat(alert.path("evidence").path("errors").asLong()).isGreaterThanOrEqualTo(20);
            assertThat(alert.path("evidence").path("usual_error_rate").asDouble()).isZero();
        } finally {
            gw.node.http.send("DELETE", "/v1/servers/" + broken.path("id").asText(), TestNode.auth(gw.node.adminKey),
                    null);
        }
    }
}
