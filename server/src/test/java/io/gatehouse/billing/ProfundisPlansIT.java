package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Ledger;
import io.gatehouse.testing.TestNode;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code examples/plans/profundis.properties}, the configuration that makes seed 002 true, run as
 * written: a Free organization on its allocation alone can neither make a key nor use the MCP
 * server; a purchase entitles it on the next request; a paid plan is entitled outright; one key per
 * account, and renewing invalidates the previous one.
 */
class ProfundisPlansIT {
    static GatewayNode gw;

    @BeforeAll
    static void start() throws IOException {
        Map<String, String> settings = GatewayNode.examplePlans("profundis");
        assertThat(settings).containsEntry("plans.free.purchase-entitles", "true");
        gw = GatewayNode.start(settings);
        TestNode.ok(gw.node.http.send("PATCH", "/v1/servers/" + gw.demoServerId, TestNode.auth(gw.node.adminKey),
                Map.of("credit_cost", 2)), 200);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @AfterEach
    void ledgerHolds() {
        gw.node.server.services().billing().credits().flush();
        Ledger.check(gw.node.server.services().db());
    }

    private static Http.Response makeKey(String org, String user) {
        return gw.node.http.post("/v1/keys", gw.node.adminKey, Map.of("organization_id", org, "user_id", user,
                "name", "profile key"));
    }

    private static void refusedForPlan(Http.Response r) {
        assertThat(r.status()).as(r.text()).isEqualTo(403);
        assertThat(r.json().path("error").path("reason").asText()).isEqualTo("plan_not_eligible");
        assertThat(r.json().path("error").path("message").asText()).contains("buying credits would");
    }

    @Test
    void aFreeAccountOnItsAllocationAloneCannotCreateAKeyUntilItBuysCredits() {
        String user = gw.node.createUser("new@profundis.test");
        String org = gw.node.createOrg("New", "free", user);
        refusedForPlan(makeKey(org, user));
        JsonNode pool = TestNode.ok(gw.node.http.get("/v1/orgs/" + org + "/credits", gw.node.adminKey), 200);
        assertThat(pool.path("allocation").asLong()).as("it has its monthly allocation all the same").isEqualTo(100);

        TestNode.ok(gw.node.http.post("/v1/orgs/" + org + "/credits", gw.node.adminKey,
                Map.of("credits", 1000, "idempotency_key", "pi_3N0001")), 201);
        Http.Response made = makeKey(org, user);
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        String key = made.json().path("key").asText();
        io.gatehouse.testing.Mcp mcp = gw.mcp(key);
        assertThat(mcp.initialize().status()).isEqualTo(200);
        assertThat(mcp.callTool("echo", Map.of("text", "paid")).last().has("result")).isTrue();
        assertThat(TestNode.ok(gw.node.http.get("/v1/orgs/" + org + "/credits", gw.node.adminKey), 200)
                .path("balance").asLong()).as("the allocation is spent first, then what was bought").isEqualTo(1098);
    }

    @Test
    void aFreeAccountCannotUseTheMcpServerAndAPurchaseChangesTheNextRequest() {
        String user = gw.node.createUser("lapsed@profundis.test");
        String org = gw.node.createOrg("Lapsed", "professional", user);
        String key = makeKey(org, user).json().path("key").asText();
        assertThat(gw.mcp(key).initialize().status()).isEqualTo(200);

        TestNode.ok(gw.node.http.send("PATCH", "/v1/orgs/" + org, TestNode.auth(gw.node.adminKey),
                Map.of("plan", "free")), 200);
        Http.Response refused = gw.node.http.send("POST", "/mcp/demo", TestNode.auth(key),
                Map.of("jsonrpc", "2.0", "id", 1, "method", "tools/list"));
        refusedForPlan(refused);

        TestNode.ok(gw.node.http.post("/v1/orgs/" + org + "/credits", gw.node.adminKey,
                Map.of("credits", 50, "idempotency_key", "pi_3N0002")), 201);
        assertThat(gw.mcp(key).initialize().status()).as("the very next request").isEqualTo(200);
    }

    @Test
    void paidPlansConnectOutrightWithOneKeyPerAccountAndRenewingInvalidatesThePrevious() {
        for (String plan : new String[] {"professional", "enterprise"}) {
            String user = gw.node.createUser(plan + "@profundis.test");
            String org = gw.node.createOrg(plan, plan, user);
            JsonNode first = makeKey(org, user).json();
            assertThat(gw.mcp(first.path("key").asText()).initialize().status()).as(plan).isEqualTo(200);
            Http.Response renewed = gw.node.http.post("/v1/keys/" + first.path("id").asText() + "/renew",
                    gw.node.adminKey, Map.of());
            assertThat(renewed.status()).as(renewed.text()).isEqualTo(201);
            assertThat(gw.node.whoami(first.path("key").asText()).status()).as("the previous key").isEqualTo(401);
            String current = renewed.json().path("key").asText();
            JsonNode second = makeKey(org, user).json();
            assertThat(gw.node.whoami(current).status()).as("one key per account").isEqualTo(401);
            assertThat(gw.node.whoami(second.path("key").asText()).status()).isEqualTo(200);
        }
    }

    @Test
    void professionalCallsCarryTheirRateLimitFields() {
        String user = gw.node.createUser("limits@profundis.test");
        String org = gw.node.createOrg("Limits", "professional", user);
        String key = makeKey(org, user).json().path("key").asText();
        Http.Response r = gw.node.http.send("POST", "/mcp/demo", TestNode.auth(key),
                Map.of("jsonrpc", "2.0", "id", 1, "method", "ping"));
        assertThat(r.header("RateLimit-Policy")).isEqualTo("\"key\";q=600;w=60");
        assertThat(r.header("RateLimit")).startsWith("\"key\";r=599;t=");
    }
}
