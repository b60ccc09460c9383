package io.gatehouse.door;

import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.auth;
import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** The contract at the door (DESIGN.md §3): every outcome with its status, body, reason and challenge. */
class DoorContractIT {
    static TestNode node;

    @BeforeAll
    static void start() {
        // Seed 001's plans: Free, Starter and trial organizations are not eligible for API access.
        node = TestNode.start(Map.of("plans.free.api-access", "false", "plans.trial.api-access", "false",
                "plans.business.api-access", "true", "plans.enterprise.api-access", "true"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void missingCredentialIs401WithABareChallenge() {
        Http.Response r = node.http.send("GET", "/v1/whoami", Map.of(), null);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.reason()).isEqualTo("missing");
        assertThat(r.json().path("success").asBoolean(true)).isFalse();
        assertThat(r.json().path("error").path("request_id").asText()).isEqualTo(r.header("X-Request-Id"));
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer resource_metadata=\"")
                .doesNotContain("invalid_token");
        assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    }

    @Test
    void malformedAndUnknownKeysAre401WithInvalidToken() {
        String valid = node.adminKey;
        String badChecksum = valid.substring(0, valid.length() - 1) + (valid.endsWith("A") ? "B" : "A");
        Http.Response malformed = node.whoami(badChecksum);
        assertThat(malformed.status()).isEqualTo(401);
        assertThat(malformed.reason()).isEqualTo("malformed");
        assertThat(malformed.header("WWW-Authenticate")).contains("error=\"invalid_token\"");

        String unknown = new io.gatehouse.keys.KeyFormat("gk_live_").generate();
        assertThat(node.whoami(unknown).reason()).isEqualTo("unknown");
        assertThat(node.whoami(unknown).reason()).as("negative cache answers the same").isEqualTo("unknown");
    }

    @Test
    void planGatesDataPlaneCallsWith403AndFollowsDowngrades() {
        String owner = node.createUser("plan-owner@example.test");
        String org = node.createOrg("Paid", "business", owner);
        String key = node.createKey(org, owner, "api").path("key").asText();
        assertThat(node.whoami(key).status()).isEqualTo(200);

        ok(node.http.send("PATCH", "/v1/orgs/" + org, auth(node.adminKey), Map.of("plan", "trial")), 200);
        Http.Response r = node.whoami(key);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.reason()).isEqualTo("plan_not_eligible");
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("forbidden");

        ok(node.http.send("PATCH", "/v1/orgs/" + org, auth(node.adminKey), Map.of("plan", "enterprise")), 200);
        assertThat(node.whoami(key).status()).isEqualTo(200);
    }

    @Test
    void onlyAnInstanceAdministratorChangesAPlan() {
        TestNode.OrgAdmin owner = node.orgAdmin("self-upgrader@example.test", "Cheap");
        String org = owner.orgId();
        String ownerAdminKey = owner.key();
        Http.Response r = node.http.send("PATCH", "/v1/orgs/" + org, auth(ownerAdminKey), Map.of("plan", "enterprise"));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.reason()).isEqualTo("not_operator");
        ok(node.http.send("PATCH", "/v1/orgs/" + org, auth(ownerAdminKey), Map.of("name", "Renamed")), 200);
    }

    @Test
    void leavingTheOrganizationStopsTheKeyAtOnce() {
        String owner = node.createUser("org-owner@example.test");
        String bob = node.createUser("bob@example.test");
        String org = node.createOrg("Team", "business", owner);
        node.setMember(org, bob, "member");
        String key = node.createKey(org, bob, "bob's").path("key").asText();
        assertThat(node.whoami(key).status()).isEqualTo(200);

        assertThat(node.http.send("DELETE", "/v1/orgs/" + org + "/members/" + bob, auth(node.adminKey), null).status())
                .isEqualTo(204);
        Http.Response r = node.whoami(key);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.reason()).isEqualTo("not_member");
    }

    @Test
    void workspaceScopeFollowsMembership() {
        String owner = node.createUser("ws-owner@example.test");
        String carol = node.createUser("carol@example.test");
        String org = node.createOrg("Workspaces", "business", owner);
        node.setMember(org, carol, "member");
        String research = node.createWorkspace(org, "Research");
        String sales = node.createWorkspace(org, "Sales");
        String other = node.createWorkspace(org, "Other");
        node.addToWorkspace(research, carol);
        node.addToWorkspace(sales, carol);
        node.addToWorkspace(other, carol);
        String key = node.createKey(Map.of("organization_id", org, "user_id", carol, "name", "scoped",
                "workspaces", List.of(research, sales))).path("key").asText();

        assertThat(TestNode.texts(node.whoami(key).json().path("workspaces"))).containsExactlyInAnyOrder(research, sales);
        assertThat(verify(key, Map.of("workspace", research)).path("valid").asBoolean()).isTrue();
        assertThat(verify(key, Map.of("workspace", other)).path("error").path("reason").asText()).isEqualTo("out_of_scope");

        assertThat(node.http.send("DELETE", "/v1/workspaces/" + research + "/members/" + carol, auth(node.adminKey), null)
                .status()).isEqualTo(204);
        assertThat(verify(key, Map.of("workspace", research)).path("error").path("reason").asText()).isEqualTo("not_member");
        assertThat(TestNode.texts(node.whoami(key).json().path("workspaces"))).containsExactly(sales);
        assertThat(verify(key, Map.of("workspace", sales)).path("valid").asBoolean()).isTrue();
    }

    @Test
    void keyScopedToSomeServersIsRefusedOthersWith403() {
        String owner = node.createUser("mcp-owner@example.test");
        String org = node.createOrg("MCPs", "business", owner);
        String all = node.createKey(Map.of("organization_id", org, "user_id", owner, "name", "all",
                "permissions", Map.of("mcps", "*"))).path("key").asText();
        String some = node.createKey(Map.of("organization_id", org, "user_id", owner, "name", "some",
                "permissions", Map.of("mcps", List.of("mcp_123", "mcp_456")))).path("key").asText();
        assertThat(verify(all, Map.of("server", "mcp_999")).path("valid").asBoolean()).isTrue();
        assertThat(verify(some, Map.of("server", "mcp_456")).path("valid").asBoolean()).isTrue();
        assertThat(verify(some, Map.of("server", "mcp_999")).path("error").path("message").asText())
                .isEqualTo("API key does not have permission for this resource");
    }

    @Test
    void demotedAdminLosesManagementPermissionsWithInsufficientScope() {
        String owner = node.createUser("boss@example.test");
        String dana = node.createUser("dana@example.test");
        String org = node.createOrg("Demotions", "business", owner);
        node.setMember(org, dana, "admin");
        String key = node.createKey(Map.of("organization_id", org, "user_id", dana, "name", "admin",
                "permissions", List.of("admin:read", "admin:write", "api:*"))).path("key").asText();
        assertThat(node.http.get("/v1/orgs/" + org + "/members", key).status()).isEqualTo(200);

        node.setMember(org, dana, "member");
        Http.Response r = node.http.get("/v1/orgs/" + org + "/members", key);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("insufficient_scope");
        assertThat(r.header("WWW-Authenticate")).contains("error=\"insufficient_scope\"").contains("scope=\"admin:read\"");
        assertThat(node.whoami(key).status()).as("data-plane permissions remain").isEqualTo(200);
    }

    @Test
    void disabledUsersKeysStopWorking() {
        String erin = node.createUser("erin@example.test");
        String org = node.createOrg("Disabled", "business", erin);
        String key = node.createKey(org, erin, "k").path("key").asText();
        assertThat(node.whoami(key).status()).isEqualTo(200);
        ok(node.http.post("/v1/users/" + erin + "/disable", node.adminKey, null), 200);
        assertThat(node.whoami(key).reason()).isEqualTo("user_disabled");
        ok(node.http.post("/v1/users/" + erin + "/enable", node.adminKey, null), 200);
        assertThat(node.whoami(key).status()).isEqualTo(200);
    }

    @Test
    void membersCannotSeeOtherOrganizations() {
        String frank = node.createUser("frank@example.test");
        String mine = node.createOrg("Mine", "business", frank);
        String theirs = node.createOrg("Theirs", "business", node.createUser("grace@example.test"));
        String key = node.createKey(Map.of("organization_id", mine, "user_id", frank, "name", "admin",
                "permissions", List.of("admin:read", "admin:write"))).path("key").asText();
        assertThat(node.http.get("/v1/orgs/" + theirs, key).status()).isEqualTo(404);
        assertThat(node.http.get("/v1/orgs", key).json().path("data")).hasSize(1);
        assertThat(node.http.get("/v1/keys?organization_id=" + theirs, key).status()).isEqualTo(404);
        Http.Response forOther = node.http.post("/v1/keys", key, Map.of("organization_id", theirs, "name", "x"));
        assertThat(forOther.status()).isEqualTo(403);
    }

    private com.fasterxml.jackson.databind.JsonNode verify(String key, Map<String, String> extra) {
        Map<String, Object> body = new java.util.HashMap<>(extra);
        body.put("key", key);
        return ok(node.http.post("/v1/keys/verify", node.adminKey, body), 200);
    }
}
