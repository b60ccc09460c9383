package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Ledger;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rate limits from the plan, per credential and per organization, and a server's, per credential on
 * it, on one of its tools or on one of its routes: a 429 in the documented shape with
 * {@code Retry-After} and the draft's {@code RateLimit} / {@code RateLimit-Policy} fields, at the
 * configured rate.
 */
class RateLimitsIT {
    static GatewayNode gw;
    static Http http;

    @BeforeAll
    static void start() {
        gw = GatewayNode.start(Map.of("plans.default", "free", "plans.free.api-access", "true",
                "plans.limited.key-rate-limit", "5/min", "plans.limited.org-rate-limit", "8/min",
                "plans.fast.key-rate-limit", "40/s"));
        http = new Http(gw.node.server.publicUrl());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static Http.Response poll(String key) {
        return http.send("GET", "/api/v1/nothing-here", TestNode.auth(key), null); // the upstream's 404: a free call
    }

    @Test
    void aKeyPastItsLimitGetsA429WithTheFieldsThatSayWhenToComeBack() {
        String user = gw.node.createUser("limited@rate.test");
        String org = gw.node.createOrg("Limited", "limited", user);
        String key = gw.node.createKey(org, user, Map.of()).path("key").asText();
        for (int i = 0; i < 5; i++) {
            Http.Response r = poll(key);
            assertThat(r.status()).as(r.text()).isEqualTo(404);
            assertThat(r.header("RateLimit-Policy")).isEqualTo("\"key\";q=5;w=60, \"org\";q=8;w=60");
            assertThat(r.header("RateLimit")).startsWith("\"key\";r=" + (4 - i) + ";t=");
        }
        Http.Response limited = poll(key);
        assertThat(limited.status()).as(limited.text()).isEqualTo(429);
        assertThat(limited.json().path("error").path("code").asText()).isEqualTo("too_many_requests");
        assertThat(limited.json().path("error").path("reason").asText()).isEqualTo("rate_limited");
        long retryAfter = Long.parseLong(limited.header("Retry-After"));
        assertThat(retryAfter).isBetween(1L, 12L); // one request per 12 s comes back
        assertThat(limited.header("RateLimit")).isEqualTo("\"key\";r=0;t=" + retryAfter);
        assertThat(limited.json().path("error").path("retry_after").asLong()).isEqualTo(retryAfter);

        // The organization's limit is shared: a second key has 3 left of the organization's 8.
        String other = gw.node.createKey(org, user, Map.of()).path("key").asText();
        for (int i = 0; i < 3; i++) {
            assertThat(poll(other).status()).isEqualTo(404);
        }
        Http.Response orgLimited = poll(other);
        assertThat(orgLimited.status()).isEqualTo(429);
        assertThat(orgLimited.header("RateLimit")).startsWith("\"org\";r=0;t=");
        assertThat(orgLimited.json().path("error").path("message").asText()).startsWith("Your organization");

        // Another organization on the same plan is untouched.
        String elsewhere = gw.keyForNewUser("other@rate.test", "limited", Map.of());
        assertThat(poll(elsewhere).status()).isEqualTo(404);
        // And MCP calls count against the same limits.
        Http.Response mcp = http.send("POST", "/mcp/demo", TestNode.auth(key),
                Map.of("jsonrpc", "2.0", "id", 1, "method", "ping"));
        assertThat(mcp.status()).isEqualTo(429);
    }

    @Test
    void aServerLimitsEachCredentialOnItsOwn() {
        JsonNode limited = gw.node.createServer(Map.of("name", "Scarce", "slug", "scarce", "kind", "http",
                "upstream_url", gw.upstream.baseUrl() + "/api/v1", "rate_limit", "2/min"));
        try {
            assertThat(limited.path("rate_limit").asText()).isEqualTo("2/min");
            String key = gw.keyForNewUser("server@rate.test", "free", Map.of());
            String other = gw.keyForNewUser("server2@rate.test", "free", Map.of());
            for (int i = 0; i < 2; i++) {
                Http.Response r = http.send("GET", "/api/scarce/nothing", TestNode.auth(key), null);
                assertThat(r.status()).isEqualTo(404);
                assertThat(r.header("RateLimit-Policy")).isEqualTo("\"server\";q=2;w=60");
            }
            Http.Response third = http.send("GET", "/api/scarce/nothing", TestNode.auth(key), null);
            assertThat(third.status()).isEqualTo(429);
            assertThat(third.json().path("error").path("message").asText()).contains("on this server");
            assertThat(http.send("GET", "/api/scarce/nothing", TestNode.auth(other), null).status())
                    .as("another credential has its own").isEqualTo(404);
            assertThat(poll(key).status()).as("other servers are not limited by it").isEqualTo(404);
            Http.Response bad = gw.node.http.send("PATCH", "/v1/servers/" + limited.path("id").asText(),
                    TestNode.auth(gw.node.adminKey), Map.of("rate_limit", "lots"));
            assertThat(bad.status()).isEqualTo(400);
        } finally {
            gw.node.http.send("DELETE", "/v1/servers/" + limited.path("id").asText(), TestNode.auth(gw.node.adminKey),
                    null);
        }
    }

    @Test
    void aToolLimitHoldsThatToolOnlyAndEachCredentialOnItsOwn() {
        JsonNode server = gw.node.createServer(Map.of("name", "Tools", "slug", "limited-tools", "kind", "mcp",
                "upstream_url", gw.upstream.mcpUrl().toString(), "rate_limits", Map.of("echo", "2/min")));
        try {
            assertThat(server.path("rate_limits").path("echo").asText()).isEqualTo("2/min");
            Mcp mcp = Mcp.withKey(gw.url("/mcp/limited-tools"), gw.keyForNewUser("tool@rate.test", "free", Map.of()));
            assertThat(mcp.initialize().status()).isEqualTo(200);
            assertThat(mcp.initialize().header("RateLimit-Policy")).as("only the tool's calls are limited").isNull();
            for (int i = 0; i < 2; i++) {
                Mcp.Answer echo = mcp.callTool("echo", Map.of("text", "n" + i));
                assertThat(echo.last().has("result")).as(echo.body()).isTrue();
                assertThat(echo.header("RateLimit-Policy")).isEqualTo("\"tool\";q=2;w=60");
                assertThat(echo.header("RateLimit")).startsWith("\"tool\";r=" + (1 - i) + ";t=");
            }
            Mcp.Answer third = mcp.callTool("echo", Map.of("text", "n2"));
            assertThat(third.status()).as(third.body()).isEqualTo(429);
            JsonNode error = third.last().path("error");
            assertThat(error.path("reason").asText()).isEqualTo("rate_limited");
            assertThat(error.path("message").asText()).startsWith("API key, for this tool, has made more than 2");
            assertThat(third.header("RateLimit")).startsWith("\"tool\";r=0;t=");

            Mcp.Answer add = mcp.callTool("add", Map.of("a", 1, "b", 2));
            assertThat(add.last().has("result")).as("another tool is not limited by it: " + add.body()).isTrue();
            assertThat(add.header("RateLimit-Policy")).isNull();

            Mcp other = Mcp.withKey(gw.url("/mcp/limited-tools"), gw.keyForNewUser("tool2@rate.test", "free", Map.of()));
            other.initialize();
            assertThat(other.callTool("echo", Map.of("text", "mine")).last().has("result"))
                    .as("another credential has its own").isTrue();
            Mcp.Answer batch = other.post(List.of(
                    Map.of("jsonrpc", "2.0", "id", 40, "method", "tools/call", "params", Map.of("name", "add",
                            "arguments", Map.of("a", 1, "b", 1))),
                    Map.of("jsonrpc", "2.0", "id", 41, "method", "tools/call", "params", Map.of("name", "echo",
                            "arguments", Map.of("text", "hidden in a batch")))));
            assertThat(batch.status()).as(batch.body()).isEqualTo(400);
            assertThat(batch.last().path("error").path("reason").asText()).isEqualTo("rate_limited_tool_in_batch");
        } finally {
            delete(server);
        }
    }

    @Test
    void aBatchOfToolCallsIsRefusedWhereALimitWouldCountItOnce() {
        List<Map<String, Object>> twoCalls = List.of(
                Map.of("jsonrpc", "2.0", "id", 50, "method", "tools/call", "params", Map.of("name", "add",
                        "arguments", Map.of("a", 1, "b", 1))),
                Map.of("jsonrpc", "2.0", "id", 51, "method", "tools/call", "params", Map.of("name", "add",
                        "arguments", Map.of("a", 2, "b", 2))));
        Mcp limited = gw.mcp(gw.keyForNewUser("batch@rate.test", "limited", Map.of()));
        assertThat(limited.initialize().status()).isEqualTo(200);
        Mcp.Answer before = limited.callTool("add", Map.of("a", 1, "b", 1));
        assertThat(before.last().has("result")).as("one call per request is counted: " + before.body()).isTrue();
        int left = Integer.parseInt(before.header("RateLimit").replaceAll("^\"key\";r=(\\d+);.*$", "$1"));
        Mcp.Answer refused = limited.post(twoCalls);
        assertThat(refused.status()).as(refused.body()).isEqualTo(400);
        assertThat(refused.last().path("error").path("reason").asText()).isEqualTo("batch_rate_limited");
        Mcp.Answer after = limited.callTool("add", Map.of("a", 2, "b", 2));
        assertThat(after.header("RateLimit")).as("the refused batch took nothing")
                .startsWith("\"key\";r=" + (left - 1) + ";t=");

        Mcp free = gw.mcp(gw.keyForNewUser("batch-free@rate.test", "free", Map.of()));
        free.initialize();
        Mcp.Answer passed = free.post(twoCalls);
        // No limit counts it: the batch goes on. (The demo upstream, on a protocol without batches, refuses it itself.)
        assertThat(passed.body()).as("the upstream's answer, not Gatehouse's refusal")
                .doesNotContain("batch_rate_limited").doesNotContain("\"success\":false");
    }

    @Test
    void aRouteLimitHoldsItsLongestPrefixBesideTheServersOwn() {
        JsonNode server = gw.node.createServer(Map.of("name", "Routes", "slug", "limited-routes", "kind", "http",
                "upstream_url", gw.upstream.baseUrl() + "/api/v1", "rate_limit", "100/min",
                "rate_limits", Map.of("/scarce", "2/min", "/scarce/plenty", "50/min")));
        try {
            String key = gw.keyForNewUser("route@rate.test", "free", Map.of());
            for (int i = 0; i < 2; i++) {
                Http.Response r = get("/api/limited-routes/scarce/" + i, key);
                assertThat(r.status()).isEqualTo(404); // the upstream's: the route is unknown there
                assertThat(r.header("RateLimit-Policy")).isEqualTo("\"server\";q=100;w=60, \"tool\";q=2;w=60");
            }
            Http.Response third = get("/api/limited-routes/scarce", key);
            assertThat(third.status()).as(third.text()).isEqualTo(429);
            assertThat(third.header("RateLimit")).startsWith("\"tool\";r=0;t=");
            assertThat(third.json().path("error").path("message").asText()).contains("on this route");
            for (String spelled : List.of("/api/limited-routes/scarce;x", "/api/limited-routes/SCARCE/1",
                    "/api/limited-routes/scarce;a=b/2", "/api/limited-routes//Scarce")) {
                Http.Response r = get(spelled, key);
                assertThat(r.status()).as("the same route: " + spelled).isEqualTo(429);
                assertThat(r.header("RateLimit-Policy")).as(spelled).endsWith("\"tool\";q=2;w=60");
            }

            Http.Response longer = get("/api/limited-routes/scarce/plenty/x", key);
            assertThat(longer.status()).as("the longest prefix wins").isEqualTo(404);
            assertThat(longer.header("RateLimit-Policy")).endsWith("\"tool\";q=50;w=60");
            Http.Response sibling = get("/api/limited-routes/scarcely", key);
            assertThat(sibling.status()).as("a prefix covers whole segments").isEqualTo(404);
            assertThat(sibling.header("RateLimit-Policy")).isEqualTo("\"server\";q=100;w=60");
            assertThat(get("/api/limited-routes/scarce", gw.keyForNewUser("route2@rate.test", "free", Map.of()))
                    .status()).as("another credential has its own").isEqualTo(404);
        } finally {
            delete(server);
        }
    }

    /**
     * A call refused by a rate limit spends nothing (docs/errors.md, "Rate limits", step 6 before
     * step 7): of calls of 4 credits on a server that allows 3 a minute, only the three answered are
     * paid, in the pool and in the ledger alike.
     */
    @Test
    void aCallRefusedByARateLimitSpendsNothing() {
        JsonNode server = gw.node.createServer(Map.of("name", "Metered", "slug", "metered", "kind", "http",
                "upstream_url", gw.upstream.baseUrl() + "/api/v1", "rate_limit", "3/min", "credit_cost", 4));
        try {
            String user = gw.node.createUser("metered@rate.test");
            String org = gw.node.createOrg("Metered", "free", user);
            String key = gw.node.createKey(org, user, Map.of()).path("key").asText();
            TestNode.ok(gw.node.http.post("/v1/orgs/" + org + "/credits", gw.node.adminKey,
                    Map.of("credits", 100, "idempotency_key", "metered-1")), 201);
            int answered = 0;
            int limited = 0;
            for (int i = 0; i < 7; i++) {
                Http.Response r = http.send("POST", "/api/metered/generate", Map.of("Authorization", "Bearer " + key,
                        "Content-Type", "application/json"), Map.of("prompt", "call " + i));
                if (r.status() / 100 == 2) {
                    assertThat(limited).as("no call passes once the limit is spent: " + r.text()).isZero();
                    answered++;
                } else {
                    assertThat(r.status()).as(r.text()).isEqualTo(429);
                    assertThat(r.reason()).isEqualTo("rate_limited");
                    limited++;
                }
            }
            assertThat(answered).as("the server's limit").isEqualTo(3);
            assertThat(limited).isEqualTo(4);

            JsonNode pool = TestNode.ok(gw.node.http.get("/v1/orgs/" + org + "/credits", gw.node.adminKey), 200);
            assertThat(pool.path("balance").asLong()).as("4 credits for each call answered: " + pool)
                    .isEqualTo(100 - 4 * answered);
            var db = gw.node.server.services().db();
            gw.node.server.services().billing().credits().flush();
            assertThat(Ledger.charged(db, org)).isEqualTo(4L * answered);
            long charges = db.withHandle(h -> h.createQuery("SELECT COALESCE(SUM(calls), 0) FROM credit_ledger "
                    + "WHERE org_id = :org AND kind = 'charge'").bind("org", org).mapTo(Long.class).one());
            assertThat(charges).as("a charge for each call answered, none for a refused one").isEqualTo(answered);
            Ledger.check(db);
        } finally {
            delete(server);
        }
    }

    @Test
    void aBadToolOrRouteLimitIsRefusedNamingIt() {
        String demo = "/v1/servers/" + gw.demoServerId;
        String jobs = "/v1/servers/" + gw.jobsServerId;
        assertThat(refusedPatch(demo, Map.of("rate_limits", Map.of("echo", "lots"))))
                .startsWith("rate_limits.echo: 'lots' is not a rate");
        assertThat(refusedPatch(demo, Map.of("rate_limits", Map.of("/generate", "1/min")))).contains("by tool name");
        assertThat(refusedPatch(jobs, Map.of("rate_limits", Map.of("echo", "1/min")))).contains("by path prefix");
        assertThat(refusedPatch(jobs, Map.of("rate_limits", Map.of("/generate", "1/min", "/Generate", "2/min"))))
                .contains("differ only in case");
        assertThat(refusedPatch(jobs, Map.of("costs", Map.of("/jobs", 1, "/JOBS", 2)))).startsWith("costs: ");
        assertThat(refusedPatch(jobs, Map.of("rate_limits", Map.of("/generate;v=2", "1/min"))))
                .contains("no path parameters");
        assertThat(gw.node.http.send("GET", demo, TestNode.auth(gw.node.adminKey), null).json()
                .path("rate_limits").size()).as("nothing was changed").isZero();
    }

    /** A PATCH of {@code server} that must be a 400: its error's message. */
    private static String refusedPatch(String server, Map<String, Object> body) {
        Http.Response r = gw.node.http.send("PATCH", server, TestNode.auth(gw.node.adminKey), body);
        assertThat(r.status()).as(r.text()).isEqualTo(400);
        return r.json().path("error").path("message").asText();
    }

    private static Http.Response get(String path, String key) {
        return http.send("GET", path, TestNode.auth(key), null);
    }

    private static void delete(JsonNode server) {
        gw.node.http.send("DELETE", "/v1/servers/" + server.path("id").asText(), TestNode.auth(gw.node.adminKey), null);
    }

    @Test
    void theConfiguredRateHoldsWithinTenPercentUnderLoad() throws Exception {
        String key = gw.keyForNewUser("fast@rate.test", "fast", Map.of());
        AtomicInteger allowed = new AtomicInteger();
        AtomicInteger limited = new AtomicInteger();
        long start = System.nanoTime();
        long deadline = start + 3_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 2_000 && System.nanoTime() < deadline; i++) {
                    int status = poll(key).status();
                    (status == 429 ? limited : allowed).incrementAndGet();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double expected = 40 + 40 * seconds; // a full bucket, then the rate
        assertThat(limited.get()).as("the load went past the limit").isPositive();
        assertThat((double) allowed.get()).as("allowed in %.2f s (expected %.0f)", seconds, expected)
                .isBetween(expected * 0.9, expected * 1.1);
    }
}
