package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.examples.DemoUpstream;
import io.gatehouse.http.Json;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.TestDatabase;
import io.gatehouse.testing.TestNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two Gatehouse nodes on one PostgreSQL behind no sticky load balancer: a server registered through
 * one is served by the other at once, an MCP session opened on one works on the other, and both
 * sign upstream assertions with the same key. PostgreSQL only (the SQLite run excludes it).
 */
class ClusterGatewayIT {
    private static DemoUpstream upstream;
    private static TestNode a;
    private static TestNode b;

    @BeforeAll
    static void start() {
        assertThat(TestDatabase.isPostgres()).as("this test runs in the PostgreSQL execution").isTrue();
        upstream = DemoUpstream.start("127.0.0.1", 0);
        Map<String, String> shared = new HashMap<>(TestDatabase.postgresSettings(TestDatabase.newPostgresDatabase()));
        a = TestNode.startWith(TestNode.tempDir(), shared, true);
        b = TestNode.startWith(TestNode.tempDir(), shared, false);
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
        upstream.close();
    }

    @Test
    void sessionWhenOpenedOnOneNodeThenServedByTheOther() throws Exception {
        a.createServer(Map.of("name", "Demo", "slug", "demo", "upstream_url", upstream.mcpUrl().toString()));
        Instant deadline = Instant.now().plus(Duration.ofSeconds(2));
        while (b.server.services().gateway().registry().bySlug("demo").isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(10);
        }
        assertThat(b.server.services().gateway().registry().bySlug("demo")).as("node B learned of the server").isPresent();

        Mcp onA = Mcp.withKey(a.server.publicUrl().resolve("/mcp/demo"), a.adminKey);
        assertThat(onA.initialize().status()).isEqualTo(200);
        Mcp onB = Mcp.withKey(b.server.publicUrl().resolve("/mcp/demo"), a.adminKey)
                .header("Mcp-Session-Id", onA.session().orElseThrow()).header("MCP-Protocol-Version", "2025-11-25");
        assertThat(onB.toolNames()).as("the session opened on A, used on B").contains("echo", "whoami");

        String fromA = authorization(onA);
        String fromB = authorization(onB);
        String kidA = com.nimbusds.jwt.SignedJWT.parse(fromA).getHeader().getKeyID();
        String kidB = com.nimbusds.jwt.SignedJWT.parse(fromB).getHeader().getKeyID();
        assertThat(kidB).as("both nodes sign with the one stored key").isEqualTo(kidA);
    }

    private static String authorization(Mcp mcp) throws Exception {
        JsonNode seen = Json.MAPPER.readTree(mcp.callTool("whoami", Map.of()).last()
                .path("result").path("content").get(0).path("text").asText());
        return seen.path("authorization").asText().substring("Bearer ".length());
    }
}
