package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /v1/servers} and its seed-004 name {@code /v1/mcps}: who may register what, and what is shown. */
class ServersApiIT {
    private static TestNode node;
    private static Http http;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        http = node.http;
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void createWhenValidThenListedUnderBothNamesAndChangeable() {
        JsonNode s = node.createServer(Map.of("name", "Search", "slug", "search", "upstream_url",
                "http://127.0.0.1:9/mcp/", "hidden_tools", List.of("admin_reset")));
        assertThat(s.path("id").asText()).startsWith("srv_");
        assertThat(s.path("kind").asText()).isEqualTo("mcp");
        assertThat(s.path("upstream_url").asText()).isEqualTo("http://127.0.0.1:9/mcp");
        assertThat(s.path("endpoint").asText()).isEqualTo(node.server.publicUrl() + "/mcp/search");
        assertThat(s.path("upstream_auth").path("type").asText()).isEqualTo("assertion");

        String id = s.path("id").asText();
        assertThat(http.get("/v1/servers", node.adminKey).json().path("data").findValuesAsText("id")).contains(id);
        assertThat(http.get("/v1/mcps", node.adminKey).json().path("data").findValuesAsText("id")).contains(id);
        assertThat(http.get("/v1/mcps/" + id, node.adminKey).json().path("slug").asText()).isEqualTo("search");

        JsonNode changed = TestNode.ok(http.send("PATCH", "/v1/servers/" + id, TestNode.auth(node.adminKey),
                Map.of("name", "Search v2", "public", true, "timeout_ms", 2000)), 200);
        assertThat(changed.path("name").asText()).isEqualTo("Search v2");
        assertThat(changed.path("public").asBoolean()).isTrue();
        assertThat(changed.path("timeout_ms").asLong()).isEqualTo(2000);
        assertThat(changed.path("hidden_tools").get(0).asText()).isEqualTo("admin_reset");

        assertThat(http.send("DELETE", "/v1/servers/" + id, TestNode.auth(node.adminKey), null).status()).isEqualTo(204);
        assertThat(http.get("/v1/servers/" + id, node.adminKey).status()).isEqualTo(404);
    }

    @Test
    void createWhenSlugTakenThen409AndWhenInvalidThen400() {
        node.createServer(Map.of("name", "A", "slug", "taken", "upstream_url", "http://127.0.0.1:9/mcp"));
        Http.Response dup = http.post("/v1/servers", node.adminKey, Map.of("name", "B", "slug", "taken",
                "upstream_url", "http://127.0.0.1:9/mcp"));
        assertThat(dup.status()).isEqualTo(409);
        assertThat(dup.reason()).isEqualTo("slug_taken");
        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of("name", "x", "slug", "Bad Slug", "upstream_url", "http://h/mcp"),
                Map.of("name", "x", "slug", "ok", "upstream_url", "ftp://h/mcp"),
                Map.of("name", "x", "slug", "ok", "upstream_url", "http://user:pw@h/mcp"),
                Map.of("name", "x", "slug", "ok", "upstream_url", "http://h/mcp", "mount", "/api/v1"),
                Map.of("name", "x", "slug", "ok", "kind", "http", "upstream_url", "http://h", "mount", "/v1"),
                Map.of("name", "x", "slug", "ok", "kind", "http", "upstream_url", "http://h", "default", true),
                Map.of("name", "x", "slug", "ok", "kind", "grpc", "upstream_url", "http://h"),
                Map.of("name", "x", "slug", "ok", "upstream_url", "http://h", "upstream_auth", Map.of("type", "static")),
                Map.of("name", "x", "slug", "ok", "upstream_url", "http://h",
                        "upstream_auth", Map.of("type", "static", "value", "k\r\nX-Injected: 1")),
                Map.of("name", "x", "slug", "ok", "upstream_url", "http://h", "timeout_ms", 5),
                Map.of("name", "x", "slug", "ok", "upstream_url", "http://h", "hidden_tools", List.of("no spaces")),
                Map.of("name", "x", "slug", "ok", "kind", "http", "upstream_url", "http://h",
                        "jobs", Map.of("create", "POST /g", "poll", "GET /jobs")),
                // Requests are matched normalised: a route with a trailing or doubled slash would never match.
                Map.of("name", "x", "slug", "ok", "kind", "http", "upstream_url", "http://h",
                        "jobs", Map.of("create", "POST /g", "poll", "GET /jobs/{id}/")),
                Map.of("name", "x", "slug", "ok", "kind", "http", "upstream_url", "http://h",
                        "jobs", Map.of("create", "POST /g", "poll", "GET /jobs//{id}")),
                Map.of("name", "x", "slug", "ok", "kind", "http", "upstream_url", "http://h",
                        "jobs", Map.of("create", "POST /a/../g", "poll", "GET /jobs/{id}")))) {
            Http.Response r = http.post("/v1/servers", node.adminKey, bad);
            assertThat(r.status()).as(bad.toString()).isEqualTo(400);
            assertThat(r.json().path("success").asBoolean(true)).isFalse();
        }
    }

    @Test
    void staticCredentialWhenSetThenNeverShownNorStoredInPlaintext() throws Exception {
        String secret = "upstream-secret-value-" + System.nanoTime();
        JsonNode s = node.createServer(Map.of("name", "Static", "slug", "static-auth", "upstream_url", "http://h/mcp",
                "upstream_auth", Map.of("type", "static", "header", "X-Upstream-Key", "value", secret)));
        assertThat(s.toString()).doesNotContain(secret);
        assertThat(s.path("upstream_auth").path("value_set").asBoolean()).isTrue();
        assertThat(http.get("/v1/servers", node.adminKey).text()).doesNotContain(secret);
        assertThat(http.get("/v1/audit", node.adminKey).text()).doesNotContain(secret);
        String stored = node.server.services().db().withHandle(h -> h.createQuery(
                "SELECT static_value FROM servers WHERE slug = 'static-auth'").mapTo(String.class).one());
        assertThat(stored).startsWith("sealed:v1:").doesNotContain(secret);
        // a PATCH that does not name the value keeps it
        JsonNode kept = TestNode.ok(http.send("PATCH", "/v1/servers/" + s.path("id").asText(),
                TestNode.auth(node.adminKey), Map.of("upstream_auth", Map.of("type", "static", "header", "X-Other"))), 200);
        assertThat(kept.path("upstream_auth").path("value_set").asBoolean()).isTrue();
    }

    @Test
    void orgServerWhenManagedByItsAdminThenInvisibleToOtherOrgs() {
        TestNode.OrgAdmin alice = node.orgAdmin("alice@servers.test", "Alice Co");
        String aliceOrg = alice.orgId();
        String aliceKey = alice.key();
        String bobKey = node.orgAdmin("bob@servers.test", "Bob Co").key();

        Http.Response instanceWide = http.post("/v1/servers", aliceKey, Map.of("name", "x", "slug", "alice-global",
                "upstream_url", "http://h/mcp"));
        assertThat(instanceWide.status()).isEqualTo(403);
        assertThat(instanceWide.reason()).isEqualTo("not_operator");

        JsonNode own = TestNode.ok(http.post("/v1/servers", aliceKey, Map.of("name", "Alice MCP", "slug", "alice-mcp",
                "organization_id", aliceOrg, "upstream_url", "http://h/mcp")), 201);
        String id = own.path("id").asText();
        assertThat(http.get("/v1/servers", aliceKey).json().path("data").findValuesAsText("id")).contains(id);
        assertThat(http.get("/v1/servers", bobKey).json().path("data").findValuesAsText("id")).doesNotContain(id);
        assertThat(http.get("/v1/servers/" + id, bobKey).status()).isEqualTo(404);
        assertThat(http.send("DELETE", "/v1/servers/" + id, TestNode.auth(bobKey), null).status()).isEqualTo(404);
        assertThat(http.post("/v1/servers", bobKey, Map.of("name", "x", "slug", "bob-in-alice", "organization_id",
                aliceOrg, "upstream_url", "http://h/mcp")).status()).isEqualTo(403);
    }

    @Test
    void orgServerWhenItsInternalAddressIsInARangeTheOperatorNamedThenRegisteredAndReached() {
        try (TestNode inside = TestNode.start(Map.of("gateway.private-upstream-ranges", "127.0.0.0/8",
                "plans.free.api-access", "true"))) {
            TestNode.OrgAdmin team = inside.orgAdmin("team@inside.test", "Team");
            int port = java.net.URI.create(inside.server.publicUrl().toString()).getPort();
            // The node itself is the upstream: its /healthz, reached as /api/self/healthz.
            TestNode.ok(inside.http.post("/v1/servers", team.key(), Map.of("name", "Self", "slug", "self", "kind", "http",
                    "organization_id", team.orgId(), "upstream_url", "http://127.0.0.1:" + port)), 201);
            String caller = inside.createKey(team.orgId(), team.userId(), "caller").path("key").asText();
            assertThat(inside.http.get("/api/self/healthz", caller).status())
                    .as("the connection is checked against the range too").isEqualTo(200);

            for (String url : List.of("http://[::1]:" + port, "http://169.254.169.254/", "http://10.0.0.1/")) {
                Http.Response r = inside.http.post("/v1/servers", team.key(), Map.of("name", "x", "slug", "outside",
                        "kind", "http", "organization_id", team.orgId(), "upstream_url", url));
                assertThat(r.reason()).as(url + ": outside the range").isEqualTo("upstream_not_allowed");
            }
        }
    }

    @Test
    void orgServerWhenUpstreamIsInternalThenRefusedButInstanceServersMayBe() {
        TestNode.OrgAdmin carol = node.orgAdmin("carol@servers.test", "Carol Co");
        String carolOrg = carol.orgId();
        String carolKey = carol.key();
        // Loopback, the cloud metadata address, a private network, IPv6 loopback and unique-local, an
        // IPv4-mapped loopback, and a name that resolves to loopback: all inside the operator's network.
        for (String url : List.of("http://127.0.0.1:9/mcp", "http://169.254.169.254/latest/meta-data",
                "http://10.1.2.3/mcp", "http://192.168.0.1/", "http://[::1]:9/mcp", "http://[fd00::1]/",
                "http://[::ffff:127.0.0.1]/", "http://localhost:9/mcp", "http://0.0.0.0:9/")) {
            Http.Response r = http.post("/v1/servers", carolKey, Map.of("name", "x", "slug", "carol-inside",
                    "organization_id", carolOrg, "upstream_url", url));
            assertThat(r.status()).as(url).isEqualTo(400);
            assertThat(r.reason()).as(url).isEqualTo("upstream_not_allowed");
        }
        JsonNode outside = TestNode.ok(http.post("/v1/servers", carolKey, Map.of("name", "x", "slug", "carol-outside",
                "organization_id", carolOrg, "upstream_url", "https://mcp.example.com/mcp")), 201);
        Http.Response moved = http.send("PATCH", "/v1/servers/" + outside.path("id").asText(), TestNode.auth(carolKey),
                Map.of("upstream_url", "http://127.0.0.1:8080/admin"));
        assertThat(moved.status()).isEqualTo(400);
        assertThat(moved.reason()).isEqualTo("upstream_not_allowed");
        // The rule is the server's, not the registrant's: every connection is checked against it too.
        assertThat(http.post("/v1/servers", node.adminKey, Map.of("name", "x", "slug", "operator-inside",
                "organization_id", carolOrg, "upstream_url", "http://127.0.0.1:9/mcp")).reason())
                .isEqualTo("upstream_not_allowed");
        assertThat(TestNode.ok(http.post("/v1/servers", node.adminKey, Map.of("name", "x", "slug", "operator-global",
                "upstream_url", "http://127.0.0.1:9/mcp")), 201).path("organization_id").isNull())
                .as("an instance-wide server may be inside").isTrue();
    }

    @Test
    void createWhenDataPlaneKeyThen403() {
        String user = node.createUser("plain@servers.test");
        String org = node.createOrg("Plain", "free", user);
        String key = node.createKey(org, user, "plain").path("key").asText();
        Http.Response r = http.post("/v1/servers", key, Map.of("name", "x", "slug", "plain", "upstream_url", "http://h/mcp"));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("insufficient_scope");
    }
}
