package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.Gatehouse;
import io.gatehouse.http.Json;
import io.gatehouse.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI against the local store (no server running) and against a running server (--url). */
class CliIT {
    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(out);
        }
    }

    static Run run(String... args) {
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
    void talksToARunningServerWithUrlAndKey() throws Exception {
        try (TestNode node = TestNode.start()) {
            String url = node.server.publicUrl().toString();
            Run orgs = run("orgs", "list", "--url", url, "--key", node.adminKey);
            assertThat(orgs.exit()).as(orgs.err()).isZero();
            assertThat(orgs.json().path("data").get(0).path("id").asText()).isEqualTo(node.adminOrgId);
            Run denied = run("orgs", "list", "--url", url, "--key", "gk_live_not_a_key");
            assertThat(denied.exit()).isEqualTo(1);
            assertThat(denied.err()).contains("HTTP 401").contains("malformed");
        }
    }

    private static String[] args(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
