package io.gatehouse.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Ready-to-copy set-up of an MCP client for one Gatehouse MCP URL and one key: the one piece of code
 * behind {@code ./gatehouse demo}'s banner, {@code GET /v1/servers/{id}/setup}, {@code gatehouse keys
 * setup} and, later, the console. Each snippet is what that client reads, in the file it reads it from:
 * <ul>
 *   <li>Claude Desktop ({@code claude_desktop_config.json}) only speaks stdio to local servers, so it runs
 *       {@code mcp-remote} through {@code npx -y} (without {@code -y}, npx with no terminal refuses to
 *       install); the header is passed as {@code Authorization:${AUTH_HEADER}} with the value in {@code env},
 *       because Claude Desktop on Windows splits arguments at spaces;</li>
 *   <li>Claude Code: {@code claude mcp add --transport http … --header "Authorization: Bearer …"};</li>
 *   <li>Cursor ({@code ~/.cursor/mcp.json}): {@code url} and {@code headers};</li>
 *   <li>VS Code ({@code .vscode/mcp.json}): top-level {@code servers}, {@code "type": "http"}, the key as a
 *       {@code promptString} input with {@code password: true}, never written into the file;</li>
 *   <li>mcp-remote on a command line, for any client that runs local stdio servers;</li>
 *   <li>Windsurf ({@code ~/.codeium/windsurf/mcp_config.json}): {@code serverUrl} and {@code headers};</li>
 *   <li>curl: an {@code initialize} call.</li>
 * </ul>
 */
public final class ClientSetup {
    /** Stands where the secret goes when it is no longer known (it is shown once, at creation). */
    public static final String KEY_PLACEHOLDER = "<your-api-key>";
    /** The key as a shell variable a printed command may name instead of the secret. */
    public static final String KEY_VARIABLE = "${GATEHOUSE_KEY}";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ClientSetup() {
    }

    public enum Client {
        CLAUDE_DESKTOP("Claude Desktop", "claude_desktop_config.json (Settings → Developer → Edit Config)", "json"),
        CLAUDE_CODE("Claude Code", "a terminal", "shell"),
        CURSOR("Cursor", "~/.cursor/mcp.json", "json"),
        VSCODE("VS Code", ".vscode/mcp.json", "json"),
        WINDSURF("Windsurf", "~/.codeium/windsurf/mcp_config.json", "json"),
        MCP_REMOTE("mcp-remote (any client that runs local stdio servers)", "a terminal", "shell"),
        CURL("curl", "a terminal", "shell");

        private final String title;
        private final String where;
        private final String format;

        Client(String title, String where, String format) {
            this.title = title;
            this.where = where;
            this.format = format;
        }

        /** The name on the wire and the command line: {@code claude-desktop}, {@code cursor}, … */
        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public String title() {
            return title;
        }

        public static Optional<Client> parse(String wire) {
            for (Client c : values()) {
                if (c.wire().equals(wire)) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }

        public static String names() {
            return String.join(", ", java.util.Arrays.stream(values()).map(Client::wire).toList());
        }
    }

    /**
     * @param where   the file (or place) the client reads it from
     * @param format  {@code json} or {@code shell}
     * @param content the text to paste
     */
    public record Snippet(Client client, String where, String format, String content) {
    }

    /**
     * The snippet for {@code client} connecting to {@code mcpUrl} as {@code name} with {@code key}
     * ({@link #KEY_PLACEHOLDER} when the secret is not known).
     */
    public static Snippet of(Client client, String name, String mcpUrl, String key) {
        String bearer = "Bearer " + key;
        String content = switch (client) {
            case CLAUDE_DESKTOP -> json(Map.of("mcpServers", Map.of(name, ordered(
                    "command", "npx",
                    "args", mcpRemoteArgs(mcpUrl, "Authorization:${AUTH_HEADER}"),
                    "env", Map.of("AUTH_HEADER", bearer)))));
            // Single quotes: mcp-remote expands ${GATEHOUSE_KEY} itself, so the key is in no process's arguments.
            case MCP_REMOTE -> (key.equals(KEY_VARIABLE) ? "" : "export GATEHOUSE_KEY=" + key + "\n") + "npx "
                    + String.join(" ", mcpRemoteArgs(mcpUrl, "'Authorization: Bearer " + KEY_VARIABLE + "'"));
            case CLAUDE_CODE -> "claude mcp add --transport http " + name + " " + mcpUrl + " --header \"Authorization: "
                    + bearer + "\"";
            case CURSOR -> json(Map.of("mcpServers", Map.of(name, ordered("url", mcpUrl,
                    "headers", Map.of("Authorization", bearer)))));
            case VSCODE -> json(ordered(
                    "inputs", List.of(ordered("type", "promptString", "id", "gatehouse-key",
                            "description", "Gatehouse API key", "password", true)),
                    "servers", Map.of(name, ordered("type", "http", "url", mcpUrl,
                            "headers", Map.of("Authorization", "Bearer ${input:gatehouse-key}")))));
            case WINDSURF -> json(Map.of("mcpServers", Map.of(name, ordered("serverUrl", mcpUrl,
                    "headers", Map.of("Authorization", bearer)))));
            case CURL -> "curl -s " + mcpUrl + " -H \"Authorization: " + bearer + "\" \\\n"
                    + "  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\\n"
                    + "  -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                    + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"curl\",\"version\":\"1\"}}}'";
        };
        return new Snippet(client, client.where, client.format, content);
    }

    /**
     * {@code -y mcp-remote URL --header HEADER}, and {@code --allow-http} where mcp-remote needs it: a
     * plain-HTTP URL on a host other than {@code localhost} or {@code 127.0.0.1}.
     */
    private static List<String> mcpRemoteArgs(String mcpUrl, String header) {
        List<String> args = new java.util.ArrayList<>(List.of("-y", "mcp-remote", mcpUrl, "--header", header));
        java.net.URI uri = java.net.URI.create(mcpUrl);
        if ("http".equals(uri.getScheme()) && !"localhost".equals(uri.getHost()) && !"127.0.0.1".equals(uri.getHost())) {
            args.add("--allow-http");
        }
        return args;
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return out;
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
