package io.gatehouse.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.NodeClients;
import io.gatehouse.testing.TestNode.Person;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client set-up Gatehouse hands out ({@code GET /v1/servers/{id}/setup}, the demo's banner,
 * {@code gatehouse keys setup}), used as a person would: each snippet pasted into the file its client
 * reads, the placeholder replaced by the key, and read back the way that client reads it — Cursor,
 * Windsurf and VS Code over Streamable HTTP, Claude Desktop by running its command (npx -y mcp-remote)
 * over stdio — then a real tool call through Gatehouse. The curl snippet runs in bash.
 */
class ClientSetupIT {
    static GatewayNode gw;
    static Person dev;

    @BeforeAll
    static void start() {
        gw = GatewayNode.start();
        dev = gw.node.owner("dev@setup.test", "Setup Co", "free");
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void everyJsonSnippetConnectsItsClientAndCallsATool() throws Exception {
        NodeClients clients = NodeClients.require();
        JsonNode setup = ok(gw.node.http.get("/v1/servers/demo/setup", dev.key()), 200);
        assertThat(setup.path("url").asText()).isEqualTo(gw.url("/mcp/demo").toString());
        assertThat(setup.toString()).doesNotContain(dev.key());
        Path dir = Files.createTempDirectory("gatehouse-setup-");
        for (String client : List.of("cursor", "windsurf", "vscode", "claude-desktop")) {
            String content = snippet(setup, client).path("content").asText();
            // The person's step: the secret they were shown once replaces the placeholder (VS Code asks for it).
            Path file = dir.resolve(client + ".json");
            Files.writeString(file, content.replace(ClientSetup.KEY_PLACEHOLDER, dev.key()));
            if (client.equals("vscode")) {
                assertThat(content).doesNotContain(ClientSetup.KEY_PLACEHOLDER).contains("\"password\" : true");
            }
            NodeClients.Result r = clients.clientConfig(Map.of(NodeClients.KEY_VARIABLE, dev.key()),
                    "--file", file.toString(), "--client", client, "--name", "demo",
                    "--input", "gatehouse-key=" + NodeClients.KEY_VARIABLE,
                    "--call", "echo", "--args", "{\"text\":\"pasted\"}");
            assertThat(r.ok()).as(client + ": " + r.json() + "\n" + r.stderr()).isTrue();
            assertThat(r.json().path("tools").toString()).as(client).contains("echo");
            assertThat(r.json().path("result").toString()).as(client).contains("pasted");
        }
        assertThat(snippet(setup, "claude-desktop").path("content").asText()).contains("\"-y\"", "Authorization:${AUTH_HEADER}");
    }

    @Test
    void theCurlSnippetRunsInBash() throws Exception {
        JsonNode setup = ok(gw.node.http.get("/v1/servers/demo/setup?client=curl", dev.key()), 200);
        assertThat(setup.path("data")).hasSize(1);
        String command = setup.path("data").get(0).path("content").asText()
                .replace(ClientSetup.KEY_PLACEHOLDER, "${GATEHOUSE_KEY}");
        ProcessBuilder bash = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true);
        bash.environment().put("GATEHOUSE_KEY", dev.key());
        Process p = bash.start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("\"serverInfo\"");
    }

    @Test
    void setupIsForAnyoneWhoSeesTheServerAndNamesTheClientsItKnows() {
        String memberKey = ok(gw.node.http.post("/v1/me/keys", dev.key(), Map.of("name", "data only",
                "permissions", List.of("mcp:*"))), 201).path("key").asText();
        JsonNode setup = ok(gw.node.http.get("/v1/servers/demo/setup?client=claude-code", memberKey), 200);
        assertThat(setup.path("data").get(0).path("content").asText())
                .isEqualTo("claude mcp add --transport http demo " + gw.url("/mcp/demo")
                        + " --header \"Authorization: Bearer " + ClientSetup.KEY_PLACEHOLDER + "\"");
        Http.Response unknown = gw.node.http.get("/v1/servers/demo/setup?client=emacs", memberKey);
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("error").path("message").asText()).contains("claude-desktop", "cursor", "vscode");
        assertThat(gw.node.http.get("/v1/servers/jobs/setup", memberKey).status()).isEqualTo(400);
        Person other = gw.node.owner("other@setup.test", "Other Co", "free");
        ok(gw.node.http.post("/v1/servers", other.key(), Map.of("name", "Mine", "slug", "other-mine", "organization_id",
                other.orgId(), "upstream_url", "https://mcp.example.com/mcp")), 201);
        assertThat(gw.node.http.get("/v1/servers/other-mine/setup", other.key()).status()).isEqualTo(200);
        assertThat(gw.node.http.get("/v1/servers/other-mine/setup", memberKey).status()).isEqualTo(404);
    }

    @Test
    void upstreamsServerHeaderDoesNotReachClients() throws Exception {
        // The demo upstream (Jetty) names itself: what reaches the client must not.
        var direct = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(gw.upstream.baseUrl() + "/api/v1/generate")).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"prompt\":\"x\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertThat(direct.headers().firstValue("Server")).as("the upstream sends Server").isPresent();
        var answer = gw.mcp(dev.key()).initialize();
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.header("Server")).isNull();
        Http.Response job = gw.node.http.post("/api/v1/generate", dev.key(), Map.of("prompt", "x"));
        assertThat(job.status()).isLessThan(300);
        assertThat(job.header("Server")).isNull();
    }

    private static JsonNode snippet(JsonNode setup, String client) {
        for (JsonNode s : setup.path("data")) {
            if (s.path("client").asText().equals(client)) {
                return s;
            }
        }
        throw new AssertionError("no " + client + " in " + setup);
    }
}
