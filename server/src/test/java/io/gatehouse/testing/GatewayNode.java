package io.gatehouse.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.examples.DemoUpstream;
import java.net.URI;
import java.util.Map;

/**
 * A Gatehouse node in front of the demo upstream (the MCP Java SDK server and the job API), with
 * the MCP server registered as {@code demo} (also the default behind {@code /mcp}) and the job API
 * as {@code jobs}, mounted at {@code /api/v1} with its job routes declared.
 */
public final class GatewayNode implements AutoCloseable {
    public final TestNode node;
    public final DemoUpstream upstream;
    public final String demoServerId;
    public final String jobsServerId;

    private GatewayNode(TestNode node, DemoUpstream upstream, String demoServerId, String jobsServerId) {
        this.node = node;
        this.upstream = upstream;
        this.demoServerId = demoServerId;
        this.jobsServerId = jobsServerId;
    }

    public static GatewayNode start() {
        return start(Map.of());
    }

    public static GatewayNode start(Map<String, String> settings) {
        DemoUpstream upstream = DemoUpstream.start("127.0.0.1", 0);
        TestNode node = TestNode.start(settings);
        JsonNode demo = node.createServer(Map.of("name", "Demo", "slug", "demo", "kind", "mcp",
                "upstream_url", upstream.mcpUrl().toString(), "default", true));
        JsonNode jobs = node.createServer(Map.of("name", "Jobs", "slug", "jobs", "kind", "http",
                "upstream_url", upstream.baseUrl() + "/api/v1", "mount", "/api/v1",
                "jobs", Map.of("create", "POST /generate", "poll", "GET /jobs/{id}", "id_field", "id")));
        return new GatewayNode(node, upstream, demo.path("id").asText(), jobs.path("id").asText());
    }

    public URI url(String path) {
        return node.server.publicUrl().resolve(path);
    }

    public Mcp mcp(String key) {
        return Mcp.withKey(url("/mcp/demo"), key);
    }

    /** A user in a new organisation on {@code plan}, with a key made from {@code extra} fields. */
    public String keyForNewUser(String email, String plan, Map<String, Object> extra) {
        String user = node.createUser(email);
        String org = node.createOrg("Org of " + email, plan, user);
        return node.createKey(org, user, extra).path("key").asText();
    }

    @Override
    public void close() {
        node.close();
        upstream.close();
    }
}
