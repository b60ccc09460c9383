package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.Gatehouse;
import io.gatehouse.http.Json;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI against the local store (no server running) and against a running server (--url). */
public class CliIT {
    public record Run(int exit, String out, String err) {
        public JsonNode json() throws Exception {
            return Json.MAPPER.readTree(out);
        }
    }

    public static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int exit = Gatehouse.commandLine().execute(args);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** The README's second path: an operator makes an organization and invites its owner, who makes their own key. */
    @Test
    void anOperatorInvitesAnOwnerWhoAcceptsAndMakesTheirOwnKey() throws Exception {
        try (TestNode node = TestNode.start()) {
            String url = node.server.publicUrl().toString();
            Run org = run("orgs", "create", "--url", url, "--key", node.adminKey, "--name", "Acme", "--plan", "free",
                    "--owner-email", "owner@acme.example");
            assertThat(org.exit()).as(org.err()).isZero();
            String token = org.json().path("owner_invitation").path("token").asText();
            assertThat(token).startsWith("gh_inv_");

            Run accept = run("invitations", "accept", token, "--url", url);
            assertThat(accept.exit()).as(accept.err()).isZero();
            assertThat(accept.json().path("member").path("role").asText()).isEqualTo("owner");
            String firstKey = accept.json().path("key").path("key").asText();

            Run mine = run("keys", "create", "--url", url, "--key", firstKey, "--name", "Claude Desktop", "--expires", "90d");
            assertThat(mine.exit()).as(mine.err()).isZero();
            assertThat(mine.json().path("organization_id").asText()).isEqualTo(org.json().path("id").asText());
            assertThat(mine.json().path("user_id").asText()).isEqualTo(accept.json().path("member").path("user_id").asText());
            assertThat(node.whoami(mine.json().path("key").asText()).status()).isEqualTo(200);

            Run twice = run("invitations", "accept", token, "--url", url);
            assertThat(twice.exit()).isEqualTo(1);
            assertThat(twice.err()).contains("invitation_used");
        }
    }

    @Test
    void theLocalStoreAcceptsAnInvitationWithoutAnyCredential() throws Exception {
        Path dir = TestNode.tempDir();
        List<String> base = new ArrayList<>(List.of("--data-dir", dir.toString()));
        assertThat(run(args(base, "admin", "init")).exit()).isZero();
        Run org = run(args(base, "orgs", "create", "--name", "Local", "--owner-email", "me@local.example"));
        assertThat(org.exit()).as(org.err()).isZero();
        Run accept = run(args(base, "invitations", "accept", org.json().path("owner_invitation").path("token").asText()));
        assertThat(accept.exit()).as(accept.err()).isZero();
        assertThat(accept.json().path("account_created").asBoolean()).isTrue();
        String key = accept.json().path("key").path("key").asText();
        Run own = run(args(base, "keys", "list", "--key", key));
        assertThat(own.exit()).as(own.err()).isZero();
        assertThat(own.json().path("data")).hasSize(1);
        Run members = run(args(base, "members", "list", org.json().path("id").asText()));
        assertThat(members.json().path("data").get(0).path("email").asText()).isEqualTo("me@local.example");
    }

    @Test
    void adminInitThenManageTheLocalStoreWithoutAServer() throws Exception {
        Path dir = TestNode.tempDir();
        List<String> base = new ArrayList<>(List.of("--data-dir", dir.toString()));
        Run init = run(args(base, "admin", "init", "--email", "ops@example.test"));
        assertThat(init.exit()).as(init.err()).isZero();
        Matcher m = Pattern.compile("gk_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}").matcher(init.out());
        assertThat(m.find()).as(init.out()).isTrue();

        Run again = run(args(base, "admin", "init"));
        assertThat(again.exit()).isNotZero();
        assertThat(again.err()).contains("already");

        Run user = run(args(base, "users", "create", "--email", "dev@example.test"));
        assertThat(user.exit()).as(user.err()).isZero();
        String userId = user.json().path("id").asText();
        Run org = run(args(base, "orgs", "create", "--name", "Local", "--owner", userId));
        String orgId = org.json().path("id").asText();
        Run key = run(args(base, "keys", "create", "--name", "cli", "--org", orgId, "--user", userId, "--expires", "90d",
                "--permissions", "api:read"));
        assertThat(key.exit()).as(key.err()).isZero();
        assertThat(key.json().path("key").asText()).startsWith("gk_live_");
        Run list = run(args(base, "keys", "list", "--org", orgId));
        assertThat(list.json().path("data")).hasSize(1);
        assertThat(list.out()).doesNotContain(key.json().path("key").asText());
        Run revoke = run(args(base, "keys", "revoke", key.json().path("id").asText()));
        assertThat(revoke.json().path("state").asText()).isEqualTo("revoked");
    }

    @Test
    void serveOnAPortInUseSaysSoAndExits() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Run serve = run("--data-dir", TestNode.tempDir().toString(), "serve",
                    "--port", Integer.toString(taken.getLocalPort()));
            assertThat(serve.exit()).isEqualTo(2);
            assertThat(serve.err()).contains("could not listen on 127.0.0.1:" + taken.getLocalPort(), "in use");
        }
    }

    @Test
    void talksToARunningServerWithUrlAndKey() throws Exception {
        try (TestNode node = TestNode.start()) {
            String url = node.server.publicUrl().toString();
            Run orgs = run("orgs", "list", "--url", url, "--key", node.adminKey);
            assertThat(orgs.exit()).as(orgs.err()).isZero();
            assertThat(orgs.json().path("data").get(0).path("id").asText()).isEqualTo(node.adminOrgId);
            Run denied = run("orgs", "list", "--url", url, "--key", "gk_live_not_a_key");
            assertThat(denied.exit()).isEqualTo(1);
            assertThat(denied.err()).contains("HTTP 401").contains("malformed");

            Run global = run("--url", url, "--key", node.adminKey, "orgs", "list");
            assertThat(global.exit()).as("--url and --key before the command: " + global.err()).isZero();
            assertThat(global.json().path("data").get(0).path("id").asText()).isEqualTo(node.adminOrgId);
            Run own = run("--url", url, "--key", node.adminKey, "orgs", "list", "--key", "gk_live_not_a_key");
            assertThat(own.exit()).as("the command's own --key wins").isEqualTo(1);
            assertThat(own.err()).contains("HTTP 401");
        }
    }

    @Test
    void serversAndToolScopedKeysFromTheCommandLine() throws Exception {
        // The local store, so that no key is on any command line (a failing assertion prints the arguments).
        List<String> base = List.of("--data-dir", TestNode.tempDir().toString());
        assertThat(run(args(base, "admin", "init", "--email", "ops@example.test")).exit()).isZero();
        String userId = run(args(base, "users", "create", "--email", "dev@example.test")).json().path("id").asText();
        String orgId = run(args(base, "orgs", "create", "--name", "Tools", "--owner", userId)).json().path("id").asText();
        {
            Run created = run(args(base, "servers", "create", "--name", "Search", "--slug", "search",
                    "--upstream-url", "http://127.0.0.1:9/mcp", "--hidden-tools", "admin_reset", "--timeout-ms", "2000",
                    "--tool-rate-limit", "query=10/min", "--tool-rate-limit", "index=1/h"));
            assertThat(created.exit()).as(created.err()).isZero();
            String id = created.json().path("id").asText();
            assertThat(created.json().path("hidden_tools").get(0).asText()).isEqualTo("admin_reset");
            assertThat(created.json().path("rate_limits").path("query").asText()).isEqualTo("10/min");
            assertThat(created.json().path("rate_limits").path("index").asText()).isEqualTo("1/h");
            assertThat(run(args(base, "servers", "list")).json().path("data").findValuesAsText("slug")).contains("search");

            // A static credential comes from standard input, never from the command line.
            InputStream in = System.in;
            System.setIn(new ByteArrayInputStream("upstream-secret-1\n".getBytes(StandardCharsets.UTF_8)));
            Run updated;
            try {
                updated = run(args(base, "servers", "update", id, "--public", "true", "--auth", "static",
                        "--auth-header", "X-Upstream-Key"));
            } finally {
                System.setIn(in);
            }
            assertThat(updated.exit()).as(updated.err()).isZero();
            assertThat(updated.json().path("public").asBoolean()).isTrue();
            assertThat(updated.json().path("upstream_auth").path("value_set").asBoolean()).isTrue();
            assertThat(updated.out()).doesNotContain("upstream-secret-1");

            Run key = run(args(base, "keys", "create", "--name", "one tool", "--org", orgId, "--user", userId,
                    "--servers", "search", "--tools", "search/query,demo/*", "--rate-limit", "100/min"));
            assertThat(key.exit()).as(key.err()).isZero();
            assertThat(key.json().path("rate_limit").asText()).isEqualTo("100/min");
            assertThat(key.json().path("scope").path("tools")).extracting(JsonNode::asText)
                    .containsExactlyInAnyOrder("search/query", "demo/*");

            Run bad = run(args(base, "servers", "create", "--name", "x", "--slug", "Not A Slug", "--upstream-url", "http://h"));
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.err()).contains("HTTP 400");
            assertThat(run(args(base, "servers", "delete", id)).exit()).isZero();
            assertThat(run(args(base, "servers", "get", id)).err()).contains("HTTP 404");
        }
    }

    @Test
    void localStoreChangesReachAServerRunningOnTheSameFile() throws Exception {
        // SQLite whichever engine the suite runs on: the change log is how processes sharing a file hear
        // of each other's changes (PostgreSQL nodes use LISTEN/NOTIFY, ClusterInvalidationIT).
        Path dir = TestNode.tempDir();
        Path config = dir.resolve("gatehouse.properties");
        Files.writeString(config, "secret-key=integration-tests-node-secret-0123456789\n");
        List<String> base = List.of("--config", config.toString(), "--data-dir", dir.toString());
        try (TestNode node = TestNode.startWith(dir, Map.of(), true)) {
            String owner = node.createUser("local@example.test");
            String org = node.createOrg("Local", "free", owner);
            JsonNode key = node.createKey(org, owner, "revoked from the CLI");
            assertThat(node.whoami(key.path("key").asText()).status()).as("the server caches the key as valid")
                    .isEqualTo(200);

            Run revoke = run(args(base, "keys", "revoke", key.path("id").asText()));
            assertThat(revoke.exit()).as(revoke.err()).isZero();
            Http.Response refused = until(() -> node.whoami(key.path("key").asText()), r -> r.status() == 401);
            assertThat(refused.reason()).isEqualTo("revoked");

            Run created = run(args(base, "servers", "create", "--name", "Late", "--slug", "late",
                    "--upstream-url", "http://127.0.0.1:9/mcp"));
            assertThat(created.exit()).as(created.err()).isZero();
            assertThat(until(() -> node.http.get("/.well-known/oauth-protected-resource/mcp/late", null),
                    r -> r.status() == 200).json().path("resource_name").asText()).isEqualTo("Late");
        }
    }

    /** Polls {@code call} until {@code done}, for at most ten change-log polls. */
    private static Http.Response until(Supplier<Http.Response> call, Predicate<Http.Response> done)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        Http.Response r = call.get();
        while (!done.test(r) && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            r = call.get();
        }
        assertThat(done.test(r)).as("within 10 s: " + r.status() + " " + r.reason()).isTrue();
        return r;
    }

    private static String[] args(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
