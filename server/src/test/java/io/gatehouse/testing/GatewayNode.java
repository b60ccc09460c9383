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

    /**
     * An HTTP API server at {@code slug} whose upstream is a closed port on loopback: every call to it
     * fails as unreachable (502). {@code extra} adds fields (a {@code credit_cost}, say).
     */
    public JsonNode unreachableServer(String slug, Map<String, Object> extra) {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Object> body = new java.util.HashMap<>(extra);
        body.putAll(Map.of("name", slug, "slug", slug, "kind", "http", "upstream_url", "http://127.0.0.1:" + closed + "/"));
        return node.createServer(body);
    }

    /** Settings from one of {@code examples/plans/*.properties}, as an operator would pass them. */
    public static Map<String, String> examplePlans(String name) {
        java.util.Properties example = new java.util.Properties();
        try (java.io.Reader in = java.nio.file.Files.newBufferedReader(
                java.nio.file.Path.of("..", "examples", "plans", name + ".properties"))) {
            example.load(in);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> settings = new java.util.HashMap<>();
        example.stringPropertyNames().forEach(k -> settings.put(k, example.getProperty(k)));
        return settings;
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
