package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.GatehouseServer;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.config.Settings;
import io.gatehouse.http.Json;
import io.gatehouse.testing.NodeClients;
import io.gatehouse.testing.TestNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README and the demo's banner, pasted into a shell as a newcomer would, from the README's own
 * text (not a copy of it): every command must work. The launcher runs as printed ({@code ./gatehouse}
 * of this checkout, whose jars the build made); JSON for Claude Desktop, Cursor and VS Code is read by
 * the MCP TypeScript SDK the way those clients read it.
 */
class ReadmeIT {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path README = ROOT.resolve("README.md");

    @Test
    void theReadmesPathForYourOwnServersWorksAsWritten() throws Exception {
        assertThat(Files.readString(README)).contains("`./gatehouse serve`", "`./gatehouse admin init`");
        Path cwd = TestNode.tempDir();
        // `./gatehouse serve`, here in-process on a free port, on ./data of the folder the commands run in
        GatehouseConfig config = GatehouseConfig.from(Settings.of(Map.of("data-dir", cwd.resolve("data").toString(),
                "http.port", "0")));
        try (GatehouseServer server = GatehouseServer.start(config, Optional.empty())) {
            Pasted shell = new Pasted(ROOT, cwd).replacing("http://127.0.0.1:8080", server.publicUrl().toString());
            Pasted.Ran init = shell.run("./gatehouse admin init");
            assertThat(init.exit()).as(init.out()).isZero();
            List<String> block = block("invitations accept");
            List<Pasted.Ran> ran = new ArrayList<>();
            for (String line : block) {
                Pasted.Ran r = shell.run(line);
                assertThat(r.exit()).as(r.line() + "\n" + r.out()).isZero();
                ran.add(r);
            }
            String all = String.join("\n", ran.stream().map(Pasted.Ran::out).toList());
            assertThat(all).contains("\"owner_invitation\"", "\"account_created\" : true", "\"name\" : \"Claude Desktop\"",
                    "\"object\":\"server\"");
            assertThat(Pasted.KEY.matcher(ran.get(ran.size() - 2).out()).find()).as("the owner's own key, shown once").isTrue();
        }
    }

    @Test
    void theDemoBannerAndTheReadmesDemoCommandsWork() throws Exception {
        NodeClients clients = NodeClients.require();
        Path cwd = TestNode.tempDir();
        ProcessBuilder launcher = new ProcessBuilder(ROOT.resolve("gatehouse").toString(), "demo", "--port",
                String.valueOf(freePort())).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        launcher.environment().put("GATEHOUSE_DEMO_UPSTREAM_PORT", String.valueOf(freePort()));
        launcher.environment().put("GATEHOUSE_NO_BUILD", "1"); // see Pasted.run
        Process demo = launcher.start();
        try {
            String banner = banner(demo);
            Matcher url = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)").matcher(banner);
            assertThat(url.find()).as(banner).isTrue();
            Pasted shell = new Pasted(ROOT, cwd).replacing("http://127.0.0.1:8080", url.group(1));
            shell.remember(banner);
            String key = shell.lastKey();

            // The banner's own commands, from "Try it:" to the blank line after it.
            List<String> tryIt = section(banner, "Try it:");
            for (String line : tryIt) {
                Pasted.Ran r = shell.run(line);
                assertThat(r.exit()).as(r.line() + "\n" + r.out()).isZero();
                if (line.contains("/generate")) {
                    Matcher id = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(r.out());
                    assertThat(id.find()).as(r.out()).isTrue();
                    shell.replacing("<id>", id.group(1));
                } else if (!line.startsWith("export")) {
                    assertThat(r.out()).as(r.line()).contains("\"result\"").doesNotContain("\"error\"");
                }
            }
            // The README's demo block: the same commands as the banner prints, and each works.
            for (String line : block("claude mcp add")) {
                String pasted = line.replace("http://127.0.0.1:8080", url.group(1));
                if (line.startsWith("claude ")) {
                    assertThat(banner).as("the banner prints the README's line").contains(pasted);
                } else if (line.startsWith("npx ")) {
                    assertThat(banner).as("the banner prints the README's line").contains(pasted);
                    runAsStdioServer(clients, shell, pasted, key, cwd);
                } else {
                    Pasted.Ran r = shell.run(line);
                    assertThat(r.exit()).as(r.line() + "\n" + r.out()).isZero();
                }
            }
            // The JSON to paste into each client's file.
            for (String client : List.of("Claude Desktop", "Cursor", "VS Code")) {
                String json = json(banner, client);
                Path file = cwd.resolve(client.replace(' ', '-') + ".json");
                Files.writeString(file, json);
                NodeClients.Result r = clients.clientConfig(Map.of(NodeClients.KEY_VARIABLE, key),
                        "--file", file.toString(), "--client", client.toLowerCase().replace(" ", "-").replace("vs-code", "vscode"),
                        "--name", "demo", "--input", "gatehouse-key=" + NodeClients.KEY_VARIABLE,
                        "--call", "echo", "--args", "{\"text\":\"from the banner\"}");
                assertThat(r.ok()).as(client + ": " + r.json() + "\n" + r.stderr()).isTrue();
                assertThat(r.json().path("result").toString()).contains("from the banner");
            }
        } finally {
            demo.descendants().forEach(ProcessHandle::destroy);
            demo.destroy();
            demo.waitFor();
        }
    }

    /** A command line that starts a stdio MCP server, spawned as a client would and spoken to. */
    private static void runAsStdioServer(NodeClients clients, Pasted shell, String line, String key, Path cwd)
            throws Exception {
        Path file = cwd.resolve("stdio.json");
        Files.writeString(file, Json.MAPPER.writeValueAsString(Map.of("mcpServers", Map.of("demo", Map.of(
                "command", "bash", "args", List.of("-c", line), "env", Map.of("GATEHOUSE_KEY", key))))));
        NodeClients.Result r = clients.clientConfig(Map.of(), "--file", file.toString(), "--client", "claude-desktop",
                "--name", "demo", "--call", "echo", "--args", "{\"text\":\"via mcp-remote\"}");
        assertThat(r.ok()).as(line + ": " + r.json() + "\n" + r.stderr()).isTrue();
        assertThat(r.json().path("result").toString()).contains("via mcp-remote");
    }

    /** The README's {@code bash} block that contains {@code marker}. */
    private static List<String> block(String marker) throws Exception {
        return Pasted.bashBlocks(README).stream().filter(b -> b.stream().anyMatch(l -> l.contains(marker)))
                .findFirst().orElseThrow(() -> new AssertionError("no bash block with " + marker + " in README.md"));
    }

    /** Everything the launcher printed up to the banner's last line. */
    private static String banner(Process demo) throws Exception {
        StringBuilder out = new StringBuilder();
        Instant until = Instant.now().plus(Duration.ofMinutes(3));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (Instant.now().isBefore(until) && (line = r.readLine()) != null) {
                out.append(line).append('\n');
                if (line.startsWith("Stop with Ctrl-C.")) {
                    // the rest of the output is Gatehouse's log: drain it so the launcher never blocks
                    Thread.ofVirtual().start(() -> {
                        try {
                            demo.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                        } catch (java.io.IOException ignored) {
                            // the process ended
                        }
                    });
                    return out.toString();
                }
            }
        }
        throw new AssertionError("no banner from ./gatehouse demo:\n" + out);
    }

    /** The banner's lines after {@code title} until a blank line, each unindented, continuations joined. */
    private static List<String> section(String banner, String title) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        StringBuilder pending = new StringBuilder();
        for (String line : banner.split("\n")) {
            if (!in) {
                in = line.equals(title);
                continue;
            }
            if (line.isBlank()) {
                break;
            }
            pending.append(line.strip());
            if (line.endsWith("\\")) {
                pending.append('\n');
            } else {
                lines.add(pending.toString());
                pending.setLength(0);
            }
        }
        assertThat(lines).as("lines under " + title).isNotEmpty();
        return lines;
    }

    /** The JSON printed under the line naming {@code client}, unindented. */
    private static String json(String banner, String client) throws Exception {
        StringBuilder out = new StringBuilder();
        boolean in = false;
        for (String line : banner.split("\n")) {
            if (!in) {
                in = line.startsWith("  " + client + " (");
                continue;
            }
            out.append(line.substring(2)).append('\n');
            if (line.equals("  }")) {
                JsonNode parsed = Json.MAPPER.readTree(out.toString());
                assertThat(parsed.isObject()).isTrue();
                return out.toString();
            }
        }
        throw new AssertionError("no " + client + " JSON in the banner:\n" + banner);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
