package io.gatehouse.door;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code examples/plans/perceptis.properties}, the configuration that makes seeds 000 and 001 true,
 * run as written: the free tier reaches the MCP server and not the API, Starter neither, Business
 * both, and a downgrade refuses the very next API call.
 */
class PerceptisPlansIT {
    static GatewayNode gw;
    static Http http;

    @BeforeAll
    static void start() throws IOException {
        Map<String, String> settings = GatewayNode.examplePlans("perceptis");
        assertThat(settings).containsEntry("plans.free.api-access", "false");
        gw = GatewayNode.start(settings);
        http = new Http(gw.node.server.publicUrl());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static Http.Response generate(String key) {
        return http.send("POST", "/api/v1/generate", Map.of("Authorization", "Bearer " + key,
                "Content-Type", "application/json"), Map.of("prompt", "a lighthouse"));
    }

    private static int mcp(String key) {
        return gw.mcp(key).initialize().status();
    }

    private static void refusedForPlan(Http.Response r, String what) {
        assertThat(r.status()).as(r.text()).isEqualTo(403);
        assertThat(r.json().path("error").path("reason").asText()).isEqualTo("plan_not_eligible");
        assertThat(r.json().path("error").path("message").asText()).contains(what + " access");
    }

    @Test
    void theFreeTierReachesTheMcpServerButNotTheApi() {
        String key = gw.keyForNewUser("free@perceptis.test", "free", Map.of());
        assertThat(mcp(key)).isEqualTo(200);
        refusedForPlan(generate(key), "API");
        assertThat(gw.node.whoami(key).status()).as("whoami needs either").isEqualTo(200);
    }

    @Test
    void starterReachesNeitherTrialOnlyTheMcpServerBusinessAndEnterpriseBoth() {
        // Starter reaches nothing, so no key is made for it: one made on a better plan is refused after a move.
        String starterOwner = gw.node.createUser("starter@perceptis.test");
        String starterOrg = gw.node.createOrg("Starter", "starter", starterOwner);
        refusedForPlan(gw.node.http.post("/v1/keys", gw.node.adminKey, Map.of("organization_id", starterOrg,
                "user_id", starterOwner, "name", "k")), "API or MCP");
        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + starterOrg, TestNode.auth(gw.node.adminKey),
                Map.of("plan", "business")), 200);
        String starter = gw.node.createKey(starterOrg, starterOwner, Map.of()).path("key").asText();
        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + starterOrg, TestNode.auth(gw.node.adminKey),
                Map.of("plan", "starter")), 200);
        refusedForPlan(generate(starter), "API");
        refusedForPlan(http.send("POST", "/mcp/demo", TestNode.auth(starter),
                Map.of("jsonrpc", "2.0", "id", 1, "method", "tools/list")), "MCP");
        assertThat(gw.node.whoami(starter).status()).isEqualTo(403);

        String trial = gw.keyForNewUser("trial@perceptis.test", "trial", Map.of());
        refusedForPlan(generate(trial), "API");
        assertThat(mcp(trial)).isEqualTo(200);

        for (String plan : new String[] {"business", "enterprise"}) {
            String key = gw.keyForNewUser(plan + "@perceptis.test", plan, Map.of());
            assertThat(generate(key).status()).as(plan).isEqualTo(202);
            assertThat(mcp(key)).as(plan).isEqualTo(200);
        }
    }

    @Test
    void aDowngradeRefusesTheNextApiCallAndAnUpgradeAllowsTheNext() {
        String owner = gw.node.createUser("downgraded@perceptis.test");
        String org = gw.node.createOrg("Downgraded", "business", owner);
        String key = gw.node.createKey(Map.of("organization_id", org, "user_id", owner, "name", "k")).path("key")
                .asText();
        assertThat(generate(key).status()).isEqualTo(202);

        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + org, TestNode.auth(gw.node.adminKey),
                Map.of("plan", "starter")), 200);
        refusedForPlan(generate(key), "API");
        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + org, TestNode.auth(gw.node.adminKey),
                Map.of("plan", "enterprise")), 200);
        assertThat(generate(key).status()).isEqualTo(202);
    }

    @Test
    void aTrialEndsOnItsDateAndIsThenOnFree() {
        String owner = gw.node.createUser("trialling@perceptis.test");
        String org = gw.node.createOrg("Trialling", "trial", owner);
        JsonNode created = TestNode.ok(gw.node.http.get("/v1/orgs/" + org, gw.node.adminKey), 200);
        java.time.Instant ends = java.time.Instant.parse(created.path("trial_ends_at").asText());
        assertThat(ends).isBetween(java.time.Instant.now().plus(java.time.Duration.ofDays(13)),
                java.time.Instant.now().plus(java.time.Duration.ofDays(15)));
        String key = gw.node.createKey(org, owner, Map.of()).path("key").asText();
        assertThat(mcp(key)).isEqualTo(200);
        refusedForPlan(generate(key), "API");

        // The trial is over: free allows MCP and not the API, as the trial did; starter-like plans are tested above.
        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + org, TestNode.auth(gw.node.adminKey),
                Map.of("trial_ends_at", java.time.Instant.now().minusSeconds(1).toString())), 200);
        JsonNode whoami = gw.node.whoami(key).json();
        assertThat(whoami.path("plan").asText()).isEqualTo("trial");
        assertThat(mcp(key)).isEqualTo(200);
        refusedForPlan(generate(key), "API");

        // An upgrade ends the trial: business has no trial, and its API calls work at once.
        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + org, TestNode.auth(gw.node.adminKey),
                Map.of("plan", "business")), 200);
        JsonNode upgraded = TestNode.ok(gw.node.http.get("/v1/orgs/" + org, gw.node.adminKey), 200);
        assertThat(upgraded.path("trial_ends_at").isNull()).isTrue();
        assertThat(generate(key).status()).isEqualTo(202);

        // Only an operator ends or extends a trial.
        String ownerKey = gw.node.createKey(Map.of("organization_id", org, "user_id", owner, "name", "admin",
                "permissions", java.util.List.of("admin:read", "admin:write"))).path("key").asText();
        Http.Response byOwner = gw.node.http.send("PATCH", "/v1/orgs/" + org, TestNode.auth(ownerKey),
                Map.of("trial_ends_at", "2099-01-01"));
        assertThat(byOwner.status()).as(byOwner.text()).isEqualTo(403);
    }

    @Test
    void apiUsageDrawsFromTheOrganizationsCreditPool() {
        TestNode.ok(gw.node.http.send("PATCH", "/v1/servers/" + gw.jobsServerId, TestNode.auth(gw.node.adminKey),
                Map.of("credit_cost", 0, "costs", Map.of("/generate", 25))), 200);
        try {
            String owner = gw.node.createUser("paying@perceptis.test");
            String org = gw.node.createOrg("Paying", "business", owner);
            String key = gw.node.createKey(org, owner, Map.of()).path("key").asText();
            assertThat(generate(key).status()).isEqualTo(202);
            assertThat(generate(key).status()).isEqualTo(202);
            JsonNode pool = TestNode.ok(gw.node.http.get("/v1/orgs/" + org + "/credits", gw.node.adminKey), 200);
            assertThat(pool.path("balance").asLong()).as(pool.toString()).isEqualTo(50_000 - 50);
        } finally {
            TestNode.ok(gw.node.http.send("PATCH", "/v1/servers/" + gw.jobsServerId, TestNode.auth(gw.node.adminKey),
                    Map.of("costs", Map.of())), 200);
        }
    }

    @Test
    void theVerifyApiGivesYourServiceTheSameAnswerByPermission() {
        String key = gw.keyForNewUser("verified@perceptis.test", "free", Map.of());
        JsonNode api = TestNode.ok(gw.node.http.post("/v1/keys/verify", gw.node.adminKey,
                Map.of("key", key, "permission", "api:read")), 200);
        assertThat(api.path("valid").asBoolean()).isFalse();
        assertThat(api.path("error").path("reason").asText()).isEqualTo("plan_not_eligible");
        JsonNode mcp = TestNode.ok(gw.node.http.post("/v1/keys/verify", gw.node.adminKey,
                Map.of("key", key, "permission", "mcp:use")), 200);
        assertThat(mcp.path("valid").asBoolean()).isTrue();
    }
}
