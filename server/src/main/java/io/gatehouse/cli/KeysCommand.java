package io.gatehouse.cli;

import io.gatehouse.http.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gatehouse keys …}: the same operations as {@code /v1/keys}. */
@Command(name = "keys", description = "Create, list, revoke, renew, roll, delete, import and verify API keys.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Get.class,
                KeysCommand.Revoke.class, KeysCommand.Renew.class, KeysCommand.Roll.class, KeysCommand.Delete.class,
                KeysCommand.Import.class, KeysCommand.Verify.class, KeysCommand.Setup.class})
public final class KeysCommand {

    @Command(name = "create", description = "Create a key; its plaintext is printed once.")
    static final class Create extends Call {
        @Option(names = "--name", required = true) String name;
        @Option(names = "--kind", description = "standard (default) or operator (only an operator key makes one)")
        String kind;
        @Option(names = "--user", description = "owner (default: the caller)") String user;
        @Option(names = "--org", description = "organization (default: the caller's)") String org;
        @Option(names = "--workspaces", description = "'*' or comma-separated workspace ids (default: as far as "
                + "the calling key reaches)") String workspaces;
        @Option(names = "--servers", description = "'*' or comma-separated server ids or slugs (default: as far as "
                + "the calling key reaches)") String servers;
        @Option(names = "--tools", description = "'*' or comma-separated server/tool entries, e.g. search/query,demo/* "
                + "(default: as far as the calling key reaches)") String tools;
        @Option(names = "--permissions", description = "comma-separated, e.g. api:read,mcp:use,keys:self "
                + "(default: the calling key's api:* and mcp:*)") String permissions;
        @Option(names = "--expires", description = "never, 30d, 90d, 365d, or a date (2027-01-31)") String expires;
        @Option(names = "--rate-limit", description = "the key's own limit on the data plane, e.g. 100/min (default: "
                + "the calling key's own, if it has one)") String rateLimit;

        String method() {
            return "POST";
        }

        String path() {
            return "/v1/keys";
        }

        @Override
        Optional<Map<String, Object>> body() {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("name", name);
            put(b, "kind", kind);
            put(b, "user_id", user);
            put(b, "organization_id", org);
            if (workspaces != null) {
                b.put("workspaces", idsOrAll(workspaces));
            }
            if (servers != null) {
                b.put("servers", idsOrAll(servers));
            }
            if (tools != null) {
                b.put("tools", idsOrAll(tools));
            }
            if (permissions != null) {
                b.put("permissions", list(permissions));
            }
            if (expires != null) {
                b.put(expires.matches("never|\\d+d") ? "expires" : "expires_at", expires);
            }
            put(b, "rate_limit", rateLimit);
            return Optional.of(b);
        }
    }

    @Command(name = "list", description = "List keys, masked.")
    static final class ListKeys extends Call {
        @Option(names = "--org") String org;
        @Option(names = "--user") String user;

        String method() {
            return "GET";
        }

        String path() {
            StringBuilder q = new StringBuilder();
            if (org != null) {
                q.append("organization_id=").append(encode(org));
            }
            if (user != null) {
                q.append(q.isEmpty() ? "" : "&").append("user_id=").append(encode(user));
            }
            return "/v1/keys" + (q.isEmpty() ? "" : "?" + q);
        }
    }

    abstract static class OnKey extends Call {
        @Parameters(index = "0", description = "key id (key_…)") String id;

        String path() {
            return "/v1/keys/" + encode(id) + suffix();
        }

        String suffix() {
            return "";
        }

        String method() {
            return "POST";
        }
    }

    @Command(name = "get", description = "Show one key, masked.")
    static final class Get extends OnKey {
        @Override
        String method() {
            return "GET";
        }
    }

    @Command(name = "revoke", description = "Revoke a key: it stops working at once.")
    static final class Revoke extends OnKey {
        @Override
        String suffix() {
            return "/revoke";
        }
    }

    @Command(name = "renew", description = "New secret; the old one dies at once. Prints the new key once.")
    static final class Renew extends OnKey {
        @Override
        String suffix() {
            return "/renew";
        }
    }

    @Command(name = "roll", description = "New secret; the old one keeps working for --grace seconds.")
    static final class Roll extends OnKey {
        @Option(names = "--grace", required = true, description = "seconds the old secret keeps working") long grace;

        @Override
        String suffix() {
            return "/roll";
        }

        @Override
        Optional<Map<String, Object>> body() {
            return Optional.of(Map.of("grace_seconds", grace));
        }
    }

    @Command(name = "delete", description = "Revoke a key and hide it from lists.")
    static final class Delete extends OnKey {
        @Override
        String method() {
            return "DELETE";
        }
    }

    @Command(name = "import", description = "Import keys by SHA-256 hash from a JSON file ({\"keys\": [...]}, see docs/keys.md).")
    static final class Import extends Call {
        @Parameters(index = "0", description = "JSON file") Path file;

        String method() {
            return "POST";
        }

        String path() {
            return "/v1/keys/import";
        }

        @Override
        @SuppressWarnings("unchecked")
        Optional<Map<String, Object>> body() {
            try {
                return Optional.of(Json.MAPPER.readValue(Files.readAllBytes(file), Map.class));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
    }

    @Command(name = "verify", description = "Check a key read from standard input (never from the command line).")
    static final class Verify extends Call {
        String method() {
            return "POST";
        }

        String path() {
            return "/v1/keys/verify";
        }

        @Override
        Optional<Map<String, Object>> body() {
            try {
                String key = new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
                return Optional.of(Map.of("key", key));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(e);
            }
        }
    }

    @Command(name = "setup", description = "Print how to connect an MCP client with this key. Its secret, shown "
            + "once when the key was made, stays a placeholder to replace.")
    static final class Setup extends Call {
        @Parameters(index = "0", description = "key id") String id;
        @Option(names = "--client", required = true,
                description = "claude-desktop, claude-code, cursor, vscode, windsurf, mcp-remote or curl") String client;
        @Option(names = "--server", description = "server slug or id (default: the key's one server, else the default "
                + "MCP server)") String server;

        String method() {
            return "GET";
        }

        String path() {
            return "/v1/keys/" + encode(id);
        }

        @Override
        public Integer call() throws Exception {
            Api.Answer key = api.call(localConfig, "GET", path(), Optional.empty(), false);
            if (!key.ok()) {
                return fail(key);
            }
            String slug = server;
            if (slug == null) {
                com.fasterxml.jackson.databind.JsonNode servers = key.body().path("scope").path("servers");
                if (servers.isArray() && servers.size() == 1) {
                    slug = servers.get(0).asText();
                } else {
                    Api.Answer all = api.call(localConfig, "GET", "/v1/servers", Optional.empty(), false);
                    if (!all.ok()) {
                        System.err.println("gatehouse: cannot list the servers to find the default one; name the "
                                + "server with --server SLUG");
                        return fail(all);
                    }
                    for (com.fasterxml.jackson.databind.JsonNode s : all.body().path("data")) {
                        String sSlug = s.path("slug").asText();
                        String sId = s.path("id").asText();
                        boolean reached = !servers.isArray() || servers.toString().contains("\"" + sSlug + "\"")
                                || servers.toString().contains("\"" + sId + "\"");
                        if (s.path("default").asBoolean() && s.path("kind").asText().equals("mcp") && reached) {
                            slug = sSlug;
                        }
                    }
                }
                if (slug == null) {
                    System.err.println("gatehouse: the key reaches " + (servers.isArray() ? servers : "every server")
                            + "; name the one to connect to with --server SLUG");
                    return 1;
                }
            }
            Api.Answer setup = api.call(localConfig, "GET", "/v1/servers/" + encode(slug) + "/setup?client="
                    + encode(client), Optional.empty(), false);
            if (!setup.ok()) {
                return fail(setup);
            }
            com.fasterxml.jackson.databind.JsonNode snippet = setup.body().path("data").get(0);
            System.out.println(snippet.path("title").asText() + " (" + snippet.path("where").asText() + "), for key "
                    + key.body().path("masked").asText() + ":");
            System.out.println();
            System.out.println(snippet.path("content").asText());
            if (snippet.path("content").asText().contains(setup.body().path("key_placeholder").asText())) {
                System.out.println();
                System.out.println("Replace " + setup.body().path("key_placeholder").asText()
                        + " with the key itself: it was shown once, when it was made.");
            }
            return 0;
        }
    }

    static void put(Map<String, Object> body, String field, Object value) {
        if (value != null) {
            body.put(field, value);
        }
    }

    static Object idsOrAll(String raw) {
        return raw.strip().equals("*") ? "*" : list(raw);
    }

    static List<String> list(String raw) {
        return Arrays.stream(raw.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
