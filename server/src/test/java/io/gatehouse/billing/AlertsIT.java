package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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

    /**
     * Emulated history: {@code minutes} rows of {@code usage_minutes}, one for each of the minutes
     * before this one, of {@code calls} calls each, {@code errors} of them server errors. Written
     * directly, as a week of real traffic cannot be waited for; it is what {@link Alerts} reads as the
     * credential's usual rate.
     */
    private static void history(Keyed k, int minutes, long calls, long errors) {
        long now = System.currentTimeMillis();
        long thisMinute = now - now % 60_000;
        gw.node.server.services().db().inTransaction(h -> {
            var batch = h.prepareBatch("INSERT INTO usage_minutes (minute, org_id, credential_id, server_id, tool, "
                    + "calls, client_errors, server_errors, credits) VALUES (:m, :org, :cred, '', '', :calls, 0, "
                    + ":errors, 0)");
            for (int i = 1; i <= minutes; i++) {
                batch.bind("m", thisMinute - i * 60_000L).bind("org", k.org()).bind("cred", k.keyId())
                        .bind("calls", calls).bind("errors", errors).add();
            }
            batch.execute();
            return null;
        });
    }

    /**
     * Calls until one minute, by this machine's clock, holds {@code calls} calls, the first
     * {@code errors} of them to {@code errorPath} (502), the others to {@code okPath} (200); returns that
     * minute (epoch ms). A call that began in one minute and ended in the next is left out of the count,
     * and a new minute starts the count again: the minute returned holds at least what was asked.
     */
    private static long oneMinuteOf(Keyed k, int calls, int errors, String okPath, String errorPath, String from) {
        long minute = -1;
        int sent = 0;
        int failed = 0;
        while (true) {
            long before = System.currentTimeMillis();
            if (before - before % 60_000 != minute) {
                minute = before - before % 60_000;
                sent = 0;
                failed = 0;
            }
            if (sent >= calls) {
                return minute;
            }
            boolean error = failed < errors;
            assertThat(call(k.key(), error ? errorPath : okPath, from).status()).isEqualTo(error ? 502 : 200);
            long after = System.currentTimeMillis();
            if (after - after % 60_000 == minute) {
                sent++;
                failed += error ? 1 : 0;
            }
        }
    }

    /**
     * The credential's calls and errors in {@code minute}, by the usage API; reading it writes this
     * node's counts first, and so judges them, before it answers.
     */
    private static long[] usageOf(Keyed k, long minute) {
        JsonNode usage = TestNode.ok(gw.node.http.get("/v1/orgs/" + k.org() + "/usage?granularity=minute&credential_id="
                + k.keyId() + "&from=" + Instant.ofEpochMilli(minute) + "&to=" + Instant.ofEpochMilli(minute + 60_000),
                gw.node.adminKey), 200);
        long[] out = new long[2];
        for (JsonNode b : usage.path("data")) {
            out[0] += b.path("calls").asLong();
            out[1] += b.path("client_errors").asLong() + b.path("server_errors").asLong();
        }
        return out;
    }

    private static List<JsonNode> alertsOf(Keyed k, String kind) {
        JsonNode alerts = TestNode.ok(gw.node.http.get("/v1/orgs/" + k.org() + "/alerts", gw.node.adminKey), 200);
        List<JsonNode> out = new java.util.ArrayList<>();
        alerts.path("data").forEach(a -> {
            if (a.path("kind").asText().equals(kind) && a.path("credential_id").asText().equals(k.keyId())) {
                out.add(a);
            }
        });
        return out;
    }

    @Test
    void atItsUsualRateACredentialRaisesNoBurstAndAtTenTimesItOneWithTheRatesAsEvidence() throws Exception {
        Keyed k = keyed("usual@alerts.test");
        history(k, 120, 60, 0); // two hours at 60 calls a minute

        long usual = oneMinuteOf(k, 70, 0, "/api/v1/headers", null, "192.0.2.30");
        assertThat(usageOf(k, usual)[0]).as("a minute past the floor of %d calls, so judged", Alerts.BURST_FLOOR)
                .isGreaterThanOrEqualTo(70);
        assertThat(alertsOf(k, "burst")).as("70 calls where 60 a minute is usual").isEmpty();

        long burst = oneMinuteOf(k, 700, 0, "/api/v1/headers", null, "192.0.2.30");
        usageOf(k, burst);
        JsonNode alert = awaitAlert(k.org(), k.keyId(), "burst");
        JsonNode evidence = alert.path("evidence");
        double usualRate = evidence.path("usual_calls_per_minute").asDouble();
        assertThat(usualRate).as(evidence.toString()).isCloseTo(60.0, within(10.0));
        assertThat(evidence.path("baseline_minutes").asLong()).as(evidence.toString()).isGreaterThanOrEqualTo(120);
        assertThat(evidence.path("calls").asLong()).as(evidence.toString())
                .isGreaterThanOrEqualTo((long) Math.ceil(Alerts.BURST_FACTOR * usualRate));
        assertThat(Instant.parse(evidence.path("minute").asText()).toEpochMilli()).as(evidence.toString())
                .isBetween(usual, burst);

        long deadline = System.nanoTime() + 15_000_000_000L;
        Optional<Map<String, Object>> delivered = Optional.empty();
        while (delivered.isEmpty() && System.nanoTime() < deadline) {
            delivered = received.stream().filter(r -> ((JsonNode) r.get("body")).path("id").asText()
                    .equals(alert.path("id").asText())).findFirst();
            Thread.sleep(100);
        }
        assertThat(delivered).as("the burst posted to the webhook").isPresent();
        assertThat(delivered.get().get("verified")).as("signed with the configured secret").isEqualTo(true);
        JsonNode body = (JsonNode) delivered.get().get("body");
        assertThat(body.path("kind").asText()).isEqualTo("burst");
        assertThat(body.path("evidence")).as("the signed body's evidence is the API's").isEqualTo(evidence);
    }

    @Test
    void anErrorSpikeIsJudgedAgainstTheCredentialsUsualErrorShare() throws Exception {
        JsonNode broken = gw.unreachableServer("down-share", Map.of());
        try {
            Keyed steady = keyed("steady@alerts.test");
            history(steady, 120, 50, 1); // two hours at 2 % errors
            long normal = oneMinuteOf(steady, 30, 1, "/api/v1/headers", "/api/down-share/x", "192.0.2.40");
            long[] normalMinute = usageOf(steady, normal);
            assertThat(normalMinute[0]).as("a minute past the floor of %d calls", Alerts.ERROR_FLOOR)
                    .isGreaterThanOrEqualTo(30);
            assertThat(normalMinute[1] * 10).as("errors at about its usual share").isLessThan(normalMinute[0]);
            assertThat(alertsOf(steady, "error_spike")).as("one error in 30, as usual").isEmpty();

            oneMinuteOf(steady, 40, 40, "/api/v1/headers", "/api/down-share/x", "192.0.2.40");
            JsonNode alert = awaitAlert(steady.org(), steady.keyId(), "error_spike");
            JsonNode evidence = alert.path("evidence");
            assertThat(evidence.path("usual_error_rate").asDouble()).as(evidence.toString())
                    .isCloseTo(0.02, within(0.005));
            assertThat(evidence.path("errors").asLong()).as(evidence.toString())
                    .isGreaterThanOrEqualTo(Alerts.ERROR_FLOOR);
            assertThat(evidence.path("errors").asLong() * 2).as("at least half the minute's calls: " + evidence)
                    .isGreaterThanOrEqualTo(evidence.path("calls").asLong());

            Keyed failing = keyed("failing@alerts.test");
            history(failing, 120, 50, 30); // two hours at 60 % errors: failing is what it does
            long same = oneMinuteOf(failing, 40, 40, "/api/v1/headers", "/api/down-share/x", "192.0.2.41");
            long[] failingMinute = usageOf(failing, same);
            assertThat(failingMinute[0]).as("a minute past the floor").isGreaterThanOrEqualTo(40);
            assertThat(failingMinute[1]).as("of errors only").isEqualTo(failingMinute[0]);
            assertThat(alertsOf(failing, "error_spike")).as("errors where errors are usual are no spike").isEmpty();
        } finally {
            gw.node.http.send("DELETE", "/v1/servers/" + broken.path("id").asText(), TestNode.auth(gw.node.adminKey),
                    null);
        }
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
