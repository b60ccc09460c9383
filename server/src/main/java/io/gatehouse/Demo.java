package io.gatehouse;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.cli.Api;
import io.gatehouse.cli.LocalCredential;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.gateway.ClientSetup;
import io.gatehouse.gateway.ClientSetup.Client;
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
    static final String DEMO_KEY_NAME = "demo key";

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
        // One live demo key at a time: the previous run's stops working when this one is made.
        for (JsonNode k : setup.call("GET", "/v1/keys?user_id=" + userId, null).path("data")) {
            if (k.path("name").asText().equals(DEMO_KEY_NAME) && k.path("state").asText().equals("active")) {
                setup.call("POST", "/v1/keys/" + k.path("id").asText() + "/revoke", null);
            }
        }
        JsonNode key = setup.call("POST", "/v1/keys", Map.of("organization_id", orgId, "user_id", userId,
                "name", DEMO_KEY_NAME, "expires", "30d"));
        // And a password, so that MCP clients that sign in with OAuth (Claude, ChatGPT, Cursor...) work too.
        String password = io.gatehouse.store.Ids.random(20);
        server.services().accounts().setPasswordAsOperator(io.gatehouse.audit.Actor.localOperator(), userId, password);
        print(server.publicUrl(), key.path("key").asText(), key.path("id").asText(), root.globalOptions(), password);
        stopped.await();
        return 0;
    }

    /** @param options the global options this run was given, which a printed ./gatehouse command repeats */
    private static void print(URI url, String key, String keyId, String options, String password) {
        String mcp = url + "/mcp/demo";
        StringBuilder out = new StringBuilder();
        out.append("Gatehouse is listening on ").append(url).append(", in front of the demo upstream.\n\n");
        out.append("Your demo API key (shown only once; any earlier demo key is revoked):\n\n");
        out.append("  ").append(key).append("\n\n");
        out.append("Try it:\n");
        out.append("  export GATEHOUSE_KEY=").append(key).append('\n');
        out.append(indent(ClientSetup.of(Client.CURL, "demo", mcp, "$GATEHOUSE_KEY").content())).append('\n');
        out.append("  curl -s ").append(url).append("/api/v1/generate -H \"Authorization: Bearer $GATEHOUSE_KEY\" \\\n");
        out.append("    -H 'Content-Type: application/json' -d '{\"prompt\": \"a lighthouse\"}'\n");
        out.append("  curl -s ").append(url).append("/api/v1/jobs/<id> -H \"Authorization: Bearer $GATEHOUSE_KEY\"\n\n");
        out.append("MCP clients:\n");
        out.append("  Claude Code:\n").append(indent(ClientSetup.of(Client.CLAUDE_CODE, "demo", mcp, "$GATEHOUSE_KEY")
                .content())).append('\n');
        out.append("  Any client that runs local stdio servers, through mcp-remote:\n").append(indent(
                ClientSetup.of(Client.MCP_REMOTE, "demo", mcp, ClientSetup.KEY_VARIABLE).content())).append('\n');
        for (Client c : new Client[]{Client.CLAUDE_DESKTOP, Client.CURSOR, Client.VSCODE}) {
            ClientSetup.Snippet snippet = ClientSetup.of(c, "demo", mcp, key);
            out.append("  ").append(c.title()).append(" (").append(snippet.where()).append("):\n");
            out.append(indent(snippet.content())).append('\n');
        }
        out.append("  The same for Windsurf and for any other key: ./gatehouse ").append(options).append("keys setup ")
                .append(keyId)
                .append(" --client windsurf\n\n");
        out.append("Clients that sign in with OAuth (Claude.ai and Claude Desktop connectors, ChatGPT, Cursor, VS Code):\n");
        out.append("  add the server URL ").append(mcp).append(" and sign in, when asked, as\n");
        out.append("  ").append(DEMO_EMAIL).append(" with the password ").append(password)
                .append(" (shown only once; a new one each run)\n\n");
        out.append("Stop with Ctrl-C.");
        System.out.println(out);
        System.out.flush();
    }

    private static String indent(String text) {
        return text.lines().map(l -> "  " + l).collect(java.util.stream.Collectors.joining("\n"));
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
