package io.gatehouse.cli;

import static io.gatehouse.cli.KeysCommand.idsOrAll;
import static io.gatehouse.cli.KeysCommand.list;
import static io.gatehouse.cli.KeysCommand.put;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gatehouse servers …}: the same operations as {@code /v1/servers}. */
@Command(name = "servers", description = "Register, list, change and remove upstream servers (MCP servers, HTTP APIs).",
        subcommands = {ServersCommand.Create.class, ServersCommand.ListServers.class, ServersCommand.Get.class,
                ServersCommand.Update.class, ServersCommand.Delete.class})
public final class ServersCommand {

    /** What both create and update may set; an option not given is not sent. */
    abstract static class Fields extends Call {
        @Option(names = "--name") String name;
        @Option(names = "--slug", description = "the name in URLs: /mcp/{slug}, /api/{slug}/…") String slug;
        @Option(names = "--upstream-url", description = "the upstream's URL") String url;
        @Option(names = "--mount", description = "HTTP APIs: a path served as-is, e.g. /api/v1") String mount;
        @Option(names = "--default", arity = "1", description = "MCP: the server behind a bare /mcp") Boolean isDefault;
        @Option(names = "--public", arity = "1", description = "callable without a credential") Boolean isPublic;
        @Option(names = "--workspaces", description = "'*' or comma-separated workspace ids") String workspaces;
        @Option(names = "--hidden-tools", description = "comma-separated MCP tools nobody may see or call") String hidden;
        @Option(names = "--credit-cost", description = "credits a call costs (an HTTP request; an MCP tools/call)") Long creditCost;
        @Option(names = "--rate-limit", description = "requests each credential may make to it, e.g. 100/min") String rateLimit;
        @Option(names = "--tool-rate-limit", paramLabel = "TOOL=RATE", description = "requests each credential may make "
                + "of one MCP tool, or under one HTTP API path prefix, e.g. search=10/min or /v1/generate=5/min; "
                + "repeat for more; the set given replaces the server's") Map<String, String> toolRateLimits;
        @Option(names = "--timeout-ms") Long timeoutMs;
        @Option(names = "--connect-timeout-ms") Long connectTimeoutMs;
        @Option(names = "--auth", description = "how the upstream learns who calls: assertion, none, or static "
                + "(the value read from standard input, never from the command line)") String auth;
        @Option(names = "--auth-header", description = "with --auth static: the header, default Authorization") String authHeader;

        Map<String, Object> fields() {
            Map<String, Object> b = new LinkedHashMap<>();
            put(b, "name", name);
            put(b, "slug", slug);
            put(b, "upstream_url", url);
            put(b, "mount", mount);
            put(b, "default", isDefault);
            put(b, "public", isPublic);
            if (workspaces != null) {
                b.put("workspaces", idsOrAll(workspaces));
            }
            if (hidden != null) {
                b.put("hidden_tools", list(hidden));
            }
            put(b, "credit_cost", creditCost);
            put(b, "rate_limit", rateLimit);
            if (toolRateLimits != null) {
                b.put("rate_limits", toolRateLimits);
            }
            put(b, "timeout_ms", timeoutMs);
            put(b, "connect_timeout_ms", connectTimeoutMs);
            if (auth != null) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("type", auth);
                if (auth.equals("static")) {
                    put(a, "header", authHeader);
                    a.put("value", secretFromStdin());
                }
                b.put("upstream_auth", a);
            }
            return b;
        }

        private static String secretFromStdin() {
            try {
                return new String(System.in.readAllBytes(), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException(e);
            }
        }
    }

    @Command(name = "create", description = "Register a server.")
    static final class Create extends Fields {
        @Option(names = "--kind", description = "mcp (default) or http") String kind;
        @Option(names = "--org", description = "the organization that owns it (default: instance-wide)") String org;

        String method() {
            return "POST";
        }

        String path() {
            return "/v1/servers";
        }

        @Override
        Optional<Map<String, Object>> body() {
            Map<String, Object> b = fields();
            put(b, "kind", kind);
            put(b, "organization_id", org);
            return Optional.of(b);
        }
    }

    @Command(name = "list", description = "List the servers the caller may see.")
    static final class ListServers extends Call {
        String method() {
            return "GET";
        }

        String path() {
            return "/v1/servers";
        }
    }

    abstract static class OnServer extends Call {
        @Parameters(index = "0", description = "server id (srv_…)") String id;

        String path() {
            return "/v1/servers/" + encode(id);
        }
    }

    @Command(name = "get", description = "Show one server.")
    static final class Get extends OnServer {
        String method() {
            return "GET";
        }
    }

    @Command(name = "update", description = "Change a server; options not given stay as they are.")
    static final class Update extends Fields {
        @Parameters(index = "0", description = "server id (srv_…)") String id;

        String method() {
            return "PATCH";
        }

        String path() {
            return "/v1/servers/" + encode(id);
        }

        @Override
        Optional<Map<String, Object>> body() {
            return Optional.of(fields());
        }
    }

    @Command(name = "delete", description = "Remove a server: calls to it stop at once.")
    static final class Delete extends OnServer {
        String method() {
            return "DELETE";
        }
    }
}
