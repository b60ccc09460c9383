package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Metrics;
import io.gatehouse.testing.TestNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP APIs through the gateway (seed 001): plan-gated access, jobs polled only with the key that
 * created them, what the upstream is and is not told, and 502 / 504 when the upstream fails.
 */
class ApiProxyIT {
    private static GatewayNode gw;
    private static Http http;
    private static String businessKey;
    private static String businessOrg;
    private static String businessUser;

    @BeforeAll
    static void start() {
        // pilot: a trial that reaches the API, and then is on free, which does not.
        gw = GatewayNode.start(Map.of("plans.free.api-access", "false", "plans.business.api-access", "true",
                "plans.pilot.api-access", "true", "plans.pilot.trial-days", "14", "plans.pilot.after-trial", "free"));
        http = new Http(gw.node.server.publicUrl());
        businessUser = gw.node.createUser("owner@business.test");
        businessOrg = gw.node.createOrg("Business", "business", businessUser);
        businessKey = key(businessOrg, businessUser, Map.of());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static String key(String org, String user, Map<String, Object> extra) {
        return gw.node.createKey(org, user, extra).path("key").asText();
    }

    private static Http.Response generate(String key) {
        return http.send("POST", "/api/v1/generate", Map.of("Authorization", "Bearer " + key,
                "Content-Type", "application/json"), Map.of("prompt", "a lighthouse"));
    }

    @Test
    void jobWhenPolledByItsCreatorThenServedAndByAnyOtherKeyThen404() throws Exception {
        Http.Response created = generate(businessKey);
        assertThat(created.status()).isEqualTo(202);
        String id = created.json().path("id").asText();
        assertThat(id).isNotBlank();

        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        JsonNode job = http.get("/api/v1/jobs/" + id, businessKey).json();
        while (!job.path("status").asText().equals("succeeded") && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            job = http.get("/api/v1/jobs/" + id, businessKey).json();
        }
        assertThat(job.path("status").asText()).isEqualTo("succeeded");

        String sameOrgOtherKey = key(businessOrg, businessUser, Map.of());
        Http.Response other = http.get("/api/v1/jobs/" + id, sameOrgOtherKey);
        assertThat(other.status()).isEqualTo(404);
        assertThat(other.reason()).isEqualTo("unknown_job");
        assertThat(http.send("GET", "/api/v1/jobs/" + id, Map.of(), null).status()).isEqualTo(401);
        assertThat(http.get("/api/v1/jobs/job_never_made", businessKey).status()).isEqualTo(404);
        // The same poll spelled as upstreams read it too: an encoded letter, a doubled or trailing slash,
        // an encoded prefix, the server's slug. Each is checked; none reaches the upstream for another key.
        for (String poll : List.of("/api/v1/job%73/" + id, "/api/v1//jobs/" + id, "/api/v1/jobs/" + id + "/",
                "/api/v%31/jobs/" + id, "/api/jobs/jobs/" + id, "/api/job%73/jobs/" + id,
                // upstreams that route ignoring case (ASP.NET) would serve these as the job too
                "/api/v1/JOBS/" + id, "/api/v1/Jobs/" + id,
                // path parameters, which servlet containers drop before routing
                "/api/v1/jobs;x/" + id, "/api/v1/jobs;/" + id, "/api/v1/jobs;a=b/" + id, "/api/v1/jobs/" + id + ";x")) {
            Http.Response sneaky = http.get(poll, sameOrgOtherKey);
            assertThat(sneaky.status()).as(poll).isEqualTo(404);
            assertThat(sneaky.reason()).as(poll).isEqualTo("unknown_job");
        }
        assertThat(http.send("HEAD", "/api/v1/jobs/" + id, Map.of("Authorization", "Bearer " + sameOrgOtherKey), null)
                .status()).as("HEAD polls too").isEqualTo(404);
        assertThat(http.get("/api/v1/./jobs/" + id, sameOrgOtherKey).status()).isIn(400, 404);
        assertThat(http.get("/api/v%31/jobs/" + id, businessKey).json().path("status").asText())
                .as("an encoded prefix routes like the plain one").isEqualTo("succeeded");
        assertThat(http.get("/api/v1;x/jobs/" + id, sameOrgOtherKey).reason())
                .as("a path parameter on the prefix is no API's path").isEqualTo("unknown_server");
        Http.Response encoded = http.get("/api/v1/jobs%3Bx/" + id, sameOrgOtherKey);
        assertThat(encoded.status()).as("an encoded ';' is part of the segment: " + encoded.text()).isEqualTo(404);
        assertThat(encoded.text()).as("not the job").doesNotContain("succeeded");
        assertThat(http.get("/api/v1/jobs;x/" + id, businessKey).json().path("status").asText())
                .as("its owner still reaches it with a path parameter").isEqualTo("succeeded");
        Http.Response createdWithParameter = http.send("POST", "/api/v1/generate;v=2", Map.of("Authorization",
                "Bearer " + businessKey, "Content-Type", "application/json"), Map.of("prompt", "a harbour"));
        assertThat(createdWithParameter.status()).isEqualTo(202);
        String second = createdWithParameter.json().path("id").asText();
        assertThat(http.get("/api/v1/jobs/" + second, businessKey).status())
                .as("a job made through a path parameter is still its creator's").isEqualTo(200);
        assertThat(http.get("/api/v1/jobs/" + second, sameOrgOtherKey).reason()).isEqualTo("unknown_job");
        assertThat(http.get("/api/jobs%2Fjobs/" + id, businessKey).reason())
                .as("an encoded slash is not a separator").isEqualTo("unknown_server");
    }

    @Test
    void callWhenPlanNotEligibleThen403AndWhenKeyRevokedThen401() {
        String freeUser = gw.node.createUser("someone@free.test");
        String freeOrg = gw.node.createOrg("Free", "business", freeUser);
        String freeKey = key(freeOrg, freeUser, Map.of());
        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + freeOrg, TestNode.auth(gw.node.adminKey),
                Map.of("plan", "free")), 200); // a key made before a downgrade
        Http.Response refused = generate(freeKey);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.reason()).isEqualTo("plan_not_eligible");
        assertThat(refused.json().path("success").asBoolean(true)).isFalse();

        JsonNode k = gw.node.createKey(Map.of("organization_id", businessOrg, "user_id", businessUser, "name", "r"));
        TestNode.ok(http.post("/v1/keys/" + k.path("id").asText() + "/revoke", gw.node.adminKey, Map.of()), 200);
        Http.Response revoked = generate(k.path("key").asText());
        assertThat(revoked.status()).isEqualTo(401);
        assertThat(revoked.reason()).isEqualTo("revoked");
    }

    /**
     * A trial whose plan reaches the API and whose after-trial plan does not: the trial ends on its
     * date by the door's clock, with no write and no restart, and the very next call is refused
     * (docs/configuration.md, "Trials end on a date"). The operator brings the end forward to a few
     * seconds away, then the test waits for it.
     */
    @Test
    void callWhenTrialEndsThen403FromTheVeryNextRequestWithoutAWriteOrARestart() throws InterruptedException {
        String user = gw.node.createUser("owner@pilot.test");
        String org = gw.node.createOrg("Pilot", "pilot", user);
        JsonNode created = TestNode.ok(gw.node.http.get("/v1/orgs/" + org, gw.node.adminKey), 200);
        assertThat(Instant.parse(created.path("trial_ends_at").asText())).as("plans.pilot.trial-days = 14")
                .isBetween(Instant.now().plus(Duration.ofDays(13)), Instant.now().plus(Duration.ofDays(15)));
        String key = key(org, user, Map.of());
        assertThat(generate(key).status()).as("the trial's plan reaches the API").isEqualTo(202);

        Instant ends = Instant.now().plusSeconds(3).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + org, TestNode.auth(gw.node.adminKey),
                Map.of("trial_ends_at", ends.toString())), 200);
        Http.Response during = generate(key);
        assertThat(Instant.now()).as("this call was made before the end").isBefore(ends);
        assertThat(during.status()).as(during.text()).isEqualTo(202);

        Thread.sleep(Math.max(0, Duration.between(Instant.now(), ends).toMillis()) + 50);
        Http.Response after = generate(key);
        assertThat(after.status()).as("the very next call: " + after.text()).isEqualTo(403);
        assertThat(after.reason()).isEqualTo("plan_not_eligible");
        assertThat(after.json().path("error").path("message").asText()).contains("API access");
        JsonNode org2 = TestNode.ok(gw.node.http.get("/v1/orgs/" + org, gw.node.adminKey), 200);
        assertThat(org2.path("plan").asText()).as("nothing was written at the end").isEqualTo("pilot");
        assertThat(Instant.parse(org2.path("trial_ends_at").asText())).isEqualTo(ends);
        // All of free applies: its MCP access follows its API access, and it makes no keys.
        Http.Response mcp = http.send("POST", "/mcp/demo", TestNode.auth(key),
                Map.of("jsonrpc", "2.0", "id", 1, "method", "tools/list"));
        assertThat(mcp.status()).as(mcp.text()).isEqualTo(403);
        assertThat(mcp.reason()).isEqualTo("plan_not_eligible");
        Http.Response another = gw.node.http.post("/v1/keys", gw.node.adminKey,
                Map.of("organization_id", org, "user_id", user, "name", "after the trial"));
        assertThat(another.status()).as(another.text()).isEqualTo(403);
        assertThat(another.reason()).isEqualTo("plan_not_eligible");

        // The operator extends the trial: the next call passes again.
        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + org, TestNode.auth(gw.node.adminKey),
                Map.of("trial_ends_at", Instant.now().plus(Duration.ofDays(1)).toString())), 200);
        assertThat(generate(key).status()).isEqualTo(202);
    }

    @Test
    void writeWhenKeyOnlyReadsThen403InsufficientScope() {
        String reader = key(businessOrg, businessUser, Map.of("permissions", List.of("api:read")));
        Http.Response r = generate(reader);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("insufficient_scope");
        assertThat(r.header("WWW-Authenticate")).contains("insufficient_scope", "api:write");
        assertThat(http.get("/api/v1/jobs/none", reader).status()).as("reads still pass the door").isEqualTo(404);
    }

    @Test
    void upstreamWhenCalledBySlugThenSeesForwardedFactsNotTheKey() {
        Http.Response r = http.send("GET", "/api/jobs/headers?x=1&y=two", Map.of("Authorization", "Bearer " + businessKey,
                "X-Custom", "kept", "Cookie", "session=dropped"), null);
        assertThat(r.status()).isEqualTo(200);
        JsonNode seen = r.json();
        assertThat(r.text()).doesNotContain(businessKey).doesNotContain("session=dropped");
        assertThat(seen.path("authorization").asText()).startsWith("Bearer ey");
        assertThat(seen.path("x-custom").asText()).isEqualTo("kept");
        assertThat(seen.path("x-forwarded-for").asText()).isEqualTo("127.0.0.1");
        assertThat(seen.path("x-request-id").asText()).isEqualTo(r.header("X-Request-Id"));
    }

    @Test
    void upstreamWhenUnreachableThen502AndWhenSlowThen504() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        gw.node.createServer(Map.of("name", "Gone", "slug", "gone", "kind", "http",
                "upstream_url", "http://127.0.0.1:" + closedPort));
        Http.Response gone = http.get("/api/gone/anything", businessKey);
        assertThat(gone.status()).isEqualTo(502);
        assertThat(gone.reason()).isEqualTo("upstream_unreachable");
        assertThat(gone.json().path("error").path("code").asText()).isEqualTo("bad_gateway");
        assertThat(Metrics.value(http, "gatehouse_upstream_requests_total", Map.of("server", "gone", "outcome", "unreachable")))
                .isEqualTo(1.0);

        HttpServer slow = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        slow.createContext("/", exchange -> {
            try {
                Thread.sleep(3_000);
                exchange.sendResponseHeaders(200, -1);
            } catch (InterruptedException | IOException ignored) {
                // the gateway gave up first
            } finally {
                exchange.close();
            }
        });
        slow.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        slow.start();
        try {
            gw.node.createServer(Map.of("name", "Slow", "slug", "slow", "kind", "http",
                    "upstream_url", "http://127.0.0.1:" + slow.getAddress().getPort(), "timeout_ms", 1000));
            Http.Response late = http.get("/api/slow/x", businessKey);
            assertThat(late.status()).isEqualTo(504);
            assertThat(late.reason()).isEqualTo("upstream_timeout");
            assertThat(late.text()).doesNotContain("Exception").doesNotContain("at io.");
            assertThat(Metrics.value(http, "gatehouse_upstream_requests_total", Map.of("server", "slow", "outcome", "timeout")))
                    .isEqualTo(1.0);
        } finally {
            slow.stop(0);
        }
    }

    @Test
    void pathWhenNoServerThen404InTheDocumentedShape() {
        Http.Response r = http.get("/api/nothing-here/x", businessKey);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().path("success").asBoolean(true)).isFalse();
        assertThat(r.reason()).isEqualTo("unknown_server");
    }
}
