package io.gatehouse.cli;

import io.gatehouse.gateway.ClientSetup;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.TestNode;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static io.gatehouse.cli.CliIT.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a newcomer hit at the command line (issue 15), each now a clear answer: help on every command,
 * no silent empty store in the wrong folder, errors that name the path or the address and the
 * reason, no noise, and the set-up of a client for any key.
 */
class CliNewcomerIT {

    @Test
    void helpOnEveryCommandAndAHelpCommand() {
        for (String[] args : new String[][]{{"keys", "create", "--help"}, {"invitations", "accept", "-h"},
                {"help", "keys", "create"}, {"members", "remove", "--help"}}) {
            CliIT.Run r = run(args);
            assertThat(r.exit()).as(String.join(" ", args) + "\n" + r.err()).isZero();
            assertThat(r.out()).as(String.join(" ", args)).startsWith("Usage: gatehouse");
        }
        assertThat(run("keys", "create", "--help").out()).contains("--name", "keys:self").doesNotContain("mcp:tools");
    }

    @Test
    void aKeyWhereTheCommandLineDoesNotExpectItIsNeverEchoed() {
        String key = "gk_live_" + "A1b2C3d4".repeat(4) + "_abcdef";
        // (Before the command, --key is the global option: see CliIT. Between a group and its command it is not.)
        for (String[] args : new String[][]{{"keys", "--key", key, "list"}, {"orgs", "--key=" + key, "list"},
                {"keys", "list", "--url", "http://127.0.0.1:9", key}, {"--webhook-secret", "whsec_" + key, "orgs"}}) {
            CliIT.Run r = run(args);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err()).as("what picocli says, masked").startsWith("gatehouse: ")
                    .containsAnyOf("Unknown option", "Unmatched argument").contains("****").doesNotContain(key)
                    .contains("--help");
            assertThat(r.out()).doesNotContain(key);
        }
        CliIT.Run global = run("--data-dir", TestNode.tempDir().resolve("none").toString(), "--key", key, "keys", "list");
        assertThat(global.err() + global.out()).as("a global --key, refused for another reason").doesNotContain(key);
    }

    @Test
    void theLocalStoreIsNeverMadeByAManagementCommandInTheWrongFolder() {
        Path elsewhere = TestNode.tempDir();
        CliIT.Run r = run("--data-dir", elsewhere.resolve("data").toString(), "orgs", "list");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no Gatehouse store at " + elsewhere.resolve("data").resolve("gatehouse.db"),
                "GATEHOUSE_URL", "admin init");
        assertThat(Files.exists(elsewhere.resolve("data").resolve("gatehouse.db"))).isFalse();
    }

    @Test
    void aStoreChosenByAVariableIsNamed() throws Exception {
        Path dir = TestNode.tempDir().resolve("elsewhere");
        Path launcher = Path.of("").toAbsolutePath().getParent().resolve("gatehouse");
        for (String[] command : new String[][]{{"admin", "init"}, {"orgs", "list"}}) {
            ProcessBuilder p = new ProcessBuilder(java.util.stream.Stream.concat(java.util.stream.Stream.of(
                    launcher.toString()), java.util.Arrays.stream(command)).toList())
                    .directory(TestNode.tempDir().toFile()).redirectErrorStream(true);
            p.environment().put("GATEHOUSE_DATA_DIR", dir.toString());
            p.environment().put("GATEHOUSE_NO_BUILD", "1");
            p.environment().remove("GATEHOUSE_URL");
            Process run = p.start();
            String out = new String(run.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(run.waitFor()).as(out).isZero();
            if (command[0].equals("orgs")) {
                assertThat(out).contains("gatehouse: on the local store " + dir.resolve("gatehouse.db"),
                        "as GATEHOUSE_DATA_DIR says");
            }
        }
    }

    @Test
    void errorsNameThePathOrTheAddressAndTheReason() throws Exception {
        Path file = Files.createTempFile("gatehouse-not-a-dir", ".txt");
        CliIT.Run init = run("--data-dir", file.toString(), "admin", "init");
        assertThat(init.exit()).isEqualTo(2);
        assertThat(init.err()).contains("data-dir: " + file + " is a file, not a directory");

        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        CliIT.Run unreachable = run("orgs", "list", "--url", "http://127.0.0.1:" + closed, "--key", "gk_live_x");
        assertThat(unreachable.exit()).isEqualTo(2);
        assertThat(unreachable.err()).contains("cannot reach http://127.0.0.1:" + closed, "connection refused")
                .doesNotContain("null");
    }

    @Test
    void noNoiseAndNothingPrintedForANoContentAnswer() throws Exception {
        try (TestNode node = TestNode.start()) {
            TestNode.Person owner = node.owner("quiet@cli.test", "Quiet", "free");
            TestNode.Person member = node.member(owner.orgId(), "leaver@cli.test", "member");
            CliIT.Run removed = run("members", "remove", owner.orgId(), member.userId(), "--url",
                    node.server.publicUrl().toString(), "--key", node.adminKey);
            assertThat(removed.exit()).as(removed.err()).isZero();
            assertThat(removed.out()).isEmpty();
            assertThat(removed.err()).doesNotContain("Helidon");
        }
    }

    @Test
    void keysSetupPrintsAClientsConfigurationForAnyKey() throws Exception {
        try (GatewayNode gw = GatewayNode.start()) {
            String url = gw.node.server.publicUrl().toString();
            String id = gw.node.createKey(Map.of("organization_id", gw.node.adminOrgId, "user_id", gw.node.adminUserId,
                    "name", "for cursor", "servers", java.util.List.of("demo"))).path("id").asText();
            CliIT.Run cursor = run("keys", "setup", id, "--client", "cursor", "--url", url, "--key", gw.node.adminKey);
            assertThat(cursor.exit()).as(cursor.err()).isZero();
            assertThat(cursor.out()).contains("~/.cursor/mcp.json", "\"url\" : \"" + url + "/mcp/demo\"",
                    "Bearer " + ClientSetup.KEY_PLACEHOLDER, "Replace " + ClientSetup.KEY_PLACEHOLDER);
            CliIT.Run vscode = run("keys", "setup", id, "--client", "vscode", "--url", url, "--key", gw.node.adminKey);
            assertThat(vscode.out()).contains("promptString").doesNotContain("Replace ");
            CliIT.Run unknown = run("keys", "setup", id, "--client", "emacs", "--url", url, "--key", gw.node.adminKey);
            assertThat(unknown.exit()).isEqualTo(1);
            assertThat(unknown.err()).contains("claude-desktop");
        }
    }
}
