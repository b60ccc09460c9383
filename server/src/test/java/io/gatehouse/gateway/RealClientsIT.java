package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.NodeClients;
import io.gatehouse.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real MCP clients from npm through the gateway, in front of the demo upstream: the TypeScript SDK's
 * client, {@code mcp-remote}, and the official conformance suite. The key travels in an environment
 * variable, never on a command line.
 */
class RealClientsIT {
    private static GatewayNode gw;
    private static NodeClients clients;
    private static String mcpUrl;

    @BeforeAll
    static void start() {
        clients = NodeClients.require();
        gw = GatewayNode.start();
        mcpUrl = gw.url("/mcp/demo").toString();
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    private static Map<String, String> key(String key) {
        return Map.of(NodeClients.KEY_VARIABLE, key);
    }

    @Test
    void sdkClientWhenKeyValidThenListsAndCallsTools() {
        NodeClients.Result r = clients.sdkClient(key(gw.node.adminKey), "--url", mcpUrl,
                "--header", NodeClients.BEARER, "--list", "--call", "add", "--args", "{\"a\": 2, \"b\": 40}", "--terminate");
        assertThat(r.ok()).as(r.json() + "\n" + r.stderr()).isTrue();
        assertThat(names(r.json().path("tools"))).contains("echo", "add", "slow", "whoami");
        assertThat(r.json().path("result").path("content").get(0).path("text").asText()).isEqualTo("42");
        assertThat(r.json().path("sessionId").asText()).startsWith("gh1.");
        assertThat(r.json().path("terminated").asBoolean()).isTrue();
        assertThat(r.json().toString() + r.stderr()).doesNotContain(gw.node.adminKey);
    }

    @Test
    void sdkClientWhenToolCallStreamsProgressThenFirstEventArrivesLongBeforeTheResult() {
        NodeClients.Result r = clients.sdkClient(key(gw.node.adminKey), "--url", mcpUrl, "--header", NodeClients.BEARER,
                "--call", "slow", "--args", "{\"steps\": 4, \"delay_ms\": 600}", "--progress");
        assertThat(r.ok()).as(r.json() + "\n" + r.stderr()).isTrue();
        JsonNode progress = r.json().path("progress");
        assertThat(progress.size()).isEqualTo(4);
        long first = progress.get(0).path("atMs").asLong();
        long result = r.json().path("resultAtMs").asLong();
        // Four steps of 600 ms: an unbuffered proxy delivers step 1 about 1.8 s before the result; a proxy
        // that holds each event until the next one arrives (as Helidon's client did) only 1.2 s before.
        assertThat(result - first).as("first progress at %d ms, result at %d ms", first, result).isGreaterThan(1_500);
    }

    @Test
    void sdkClientWhenKeyRevokedThen401WithTheResourceMetadataChallenge() {
        JsonNode k = gw.node.createKey(gw.node.adminOrgId, gw.node.adminUserId, "to revoke");
        TestNode.ok(gw.node.http.post("/v1/keys/" + k.path("id").asText() + "/revoke", gw.node.adminKey, Map.of()), 200);
        NodeClients.Result r = clients.sdkClient(key(k.path("key").asText()), "--url", mcpUrl,
                "--header", NodeClients.BEARER, "--list");
        assertThat(r.ok()).isFalse();
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().path("wwwAuthenticate").asText())
                .contains("invalid_token", "/.well-known/oauth-protected-resource/mcp/demo");
    }

    @Test
    void sdkClientWhenKeyScopedToOneToolThenSeesOnlyItAndIsRefusedTheRest() {
        String scoped = gw.keyForNewUser("sdk-scoped@example.test", "free", Map.of("tools", List.of("demo/echo")));
        NodeClients.Result list = clients.sdkClient(key(scoped), "--url", mcpUrl, "--header", NodeClients.BEARER, "--list");
        assertThat(list.ok()).as(list.json().toString()).isTrue();
        assertThat(names(list.json().path("tools"))).containsExactly("echo");
        NodeClients.Result call = clients.sdkClient(key(scoped), "--url", mcpUrl, "--header", NodeClients.BEARER,
                "--call", "add", "--args", "{\"a\": 1, \"b\": 1}");
        assertThat(call.ok()).isFalse();
        assertThat(call.json().path("rpcCode").asInt()).isEqualTo(JsonRpc.FORBIDDEN);
    }

    @Test
    void mcpRemoteWhenBearerHeaderThenCallsATool() {
        NodeClients.Result r = clients.mcpRemote(key(gw.node.adminKey), "--url", mcpUrl, "--header", NodeClients.BEARER,
                "--call", "echo", "--args", "{\"text\": \"via mcp-remote\"}");
        assertThat(r.ok()).as(r.json() + "\n" + r.stderr()).isTrue();
        assertThat(names(r.json().path("tools"))).contains("echo");
        assertThat(r.json().path("result").path("content").get(0).path("text").asText()).isEqualTo("via mcp-remote");
        assertThat(r.stderr()).doesNotContain(gw.node.adminKey);
    }

    @Test
    void conformanceSuiteWhenRunThroughAPublicServerRouteThenPassesForBothRevisions() {
        gw.node.createServer(Map.of("name", "Conformance", "slug", "conformance",
                "upstream_url", gw.upstream.mcpUrl().toString(), "public", true));
        String url = gw.url("/mcp/conformance").toString();
        for (String revision : List.of("2025-11-25", "2025-06-18")) {
            NodeClients.Result r = clients.conformance(Map.of(), "--url", url, "--spec-version", revision);
            assertThat(r.json().path("failed")).as(revision + ": " + r.json()).isEmpty();
            assertThat(r.json().path("passed").size()).as(revision + " scenarios passed").isGreaterThanOrEqualTo(25);
            assertThat(r.ok()).as(revision + ": " + r.json()).isTrue();
        }
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.isTextual() ? n.asText() : n.path("name").asText()));
        return out;
    }
}
