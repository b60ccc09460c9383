package io.gatehouse.door;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
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
        Properties example = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of("..", "examples", "plans", "perceptis.properties"))) {
            example.load(in);
        }
        Map<String, String> settings = new HashMap<>();
        example.stringPropertyNames().forEach(k -> settings.put(k, example.getProperty(k)));
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
        String starter = gw.keyForNewUser("starter@perceptis.test", "starter", Map.of());
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
