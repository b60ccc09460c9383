package io.gatehouse;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.cli.Api;
import io.gatehouse.cli.LocalCredential;
import io.gatehouse.config.GatehouseConfig;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code gatehouse demo}: serves like {@code serve}, and first makes sure the demo upstream is
 * registered (its MCP server as {@code demo}, the default behind {@code /mcp}; its job API as
 * {@code jobs}, mounted at {@code /api/v1}), that a demo organisation and user exist, and issues
 * them a new key, printed once with commands that use it. Running it again reuses what exists.
 * The launcher ({@code ./gatehouse demo}) starts the demo upstream first and passes its URL.
 */
@Command(name = "demo", description = "Serve in front of the demo upstream, with a demo organization, user and key.")
final class Demo implements Callable<Integer> {
    static final String DEMO_EMAIL = "demo@example.com";

    @ParentCommand
    Gatehouse root;

    @Option(names = "--upstream", required = true, description = "the demo upstream's base URL, e.g. http://127.0.0.1:9090")
    URI upstream;

    @Option(names = "--port", description = "port (default: $GATEHOUSE_HTTP_PORT, else 8080)")
    Integer port;

    @Override
    public Integer call() throws InterruptedException {
        GatehouseConfig config = root.config(Gatehouse.portOverride(port));
        LocalCredential operator = new LocalCredential();
        GatehouseServer server = GatehouseServer.start(config, Optional.of(operator));
        CountDownLatch stopped = Gatehouse.closeOnShutdown(server);
        Setup setup = new Setup(server.publicUrl(), operator.secret());
        String base = upstream.toString().replaceAll("/+$", "");
        setup.server("demo", Map.of("name", "Demo MCP server", "kind", "mcp", "upstream_url", base + "/mcp",
                "default", true));
        setup.server("jobs", Map.of("name", "Demo job API", "kind", "http", "upstream_url", base + "/api/v1",
                "mount", "/api/v1", "jobs", Map.of("create", "POST /generate", "poll", "GET /jobs/{id}")));
        String userId = setup.user();
        String orgId = setup.organization(userId);
        String key = setup.call("POST", "/v1/keys", Map.of("organization_id", orgId, "user_id", userId,
                "name", "demo key", "expires", "30d")).path("key").asText();
        print(server.publicUrl(), key);
        stopped.await();
        return 0;
    }

    private static void print(URI url, String key) {
        String mcp = url + "/mcp/demo";
        System.out.println("Gatehouse is listening on " + url + ", in front of the demo upstream.");
        System.out.println();
        System.out.println("Your demo API key (shown only once):");
        System.out.println();
        System.out.println("  " + key);
        System.out.println();
        System.out.println("Try it:");
        System.out.println("  export GATEHOUSE_KEY=" + key);
        System.out.println("  curl -s " + mcp + " -H \"Authorization: Bearer $GATEHOUSE_KEY\" \\");
        System.out.println("    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\");
        System.out.println("    -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"curl\",\"version\":\"1\"}}}'");
        System.out.println("  curl -s " + url + "/api/v1/generate -H \"Authorization: Bearer $GATEHOUSE_KEY\" \\");
        System.out.println("    -H 'Content-Type: application/json' -d '{\"prompt\": \"a lighthouse\"}'");
        System.out.println("  curl -s " + url + "/api/v1/jobs/<id> -H \"Authorization: Bearer $GATEHOUSE_KEY\"");
        System.out.println();
        System.out.println("MCP clients:");
        System.out.println("  claude mcp add --transport http demo " + mcp + " --header \"Authorization: Bearer $GATEHOUSE_KEY\"");
        System.out.println("  npx mcp-remote " + mcp + " --header \"Authorization: Bearer ${GATEHOUSE_KEY}\"");
        System.out.println("  Cursor (~/.cursor/mcp.json): {\"mcpServers\": {\"demo\": {\"url\": \"" + mcp
                + "\", \"headers\": {\"Authorization\": \"Bearer <key>\"}}}}");
        System.out.println();
        System.out.println("Stop with Ctrl-C.");
        System.out.flush();
    }

    /** The demo's records, made through the management API as the operator; reused when they exist. */
    private record Setup(URI url, String credential) {
        JsonNode call(String method, String path, Map<String, Object> body) {
            Api.Answer a = Api.send(url, credential, method, path,
                    body == null ? Optional.empty() : Optional.of(body));
            if (!a.ok()) {
                throw new IllegalStateException(method + " " + path + " failed (" + a.status() + "): "
                        + a.body().path("error").path("message").asText());
            }
            return a.body();
        }

        void server(String slug, Map<String, Object> fields) {
            for (JsonNode s : call("GET", "/v1/servers", null).path("data")) {
                if (s.path("slug").asText().equals(slug)) {
                    Map<String, Object> patch = new LinkedHashMap<>(fields);
                    patch.remove("kind");
                    call("PATCH", "/v1/servers/" + s.path("id").asText(), patch);
                    return;
                }
            }
            Map<String, Object> body = new LinkedHashMap<>(fields);
            body.put("slug", slug);
            call("POST", "/v1/servers", body);
        }

        String user() {
            for (JsonNode u : call("GET", "/v1/users", null).path("data")) {
                if (u.path("email").asText().equals(DEMO_EMAIL)) {
                    return u.path("id").asText();
                }
            }
            return call("POST", "/v1/users", Map.of("email", DEMO_EMAIL, "name", "Demo user")).path("id").asText();
        }

        String organization(String userId) {
            for (JsonNode o : call("GET", "/v1/orgs", null).path("data")) {
                if (o.path("name").asText().equals("Demo")) {
                    return o.path("id").asText();
                }
            }
            return call("POST", "/v1/orgs", Map.of("name", "Demo", "owner_user_id", userId)).path("id").asText();
        }
    }
}
