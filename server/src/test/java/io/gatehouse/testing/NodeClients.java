package io.gatehouse.testing;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.http.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Real MCP clients from npm, run by integration tests as child processes: the TypeScript SDK's
 * client, {@code mcp-remote}, and the MCP conformance suite, through the scripts in
 * {@code server/src/test/node} (their command lines are documented at the top of each script).
 * Each script ends its stdout with one JSON object and exits 0 on success.
 *
 * <p>The {@code oauth-*} scripts sign in with OAuth instead of a key: SDK v1 and v2, oauth4webapi,
 * mcp-remote, and the conformance suite's authorization-server mode, each with a headless person
 * ({@code oauth-browser.mjs}) who signs in and consents on Gatehouse's pages with the email and
 * password of {@link #person}.
 *
 * <p>{@code phone-pages.mjs} is a person too, in a real browser: Debian's Chromium driven by
 * playwright-core, reading Gatehouse's pages at phone width with scripts off ({@link #phonePages}).
 *
 * <p>Secrets travel in environment variables only: write a header as
 * {@code "Authorization: Bearer ${GATEHOUSE_TEST_KEY}"} and pass the key in {@code env}; the
 * scripts (and mcp-remote itself) expand the placeholder. An argument that contains a value of
 * {@code env} is refused.
 *
 * <p>Needs {@code npm ci} run in {@code server/src/test/node}, which also installs the Node.js 22
 * the scripts run on. Without it a test fails under {@code CI=true} and is skipped otherwise.
 */
public final class NodeClients {
    /** The environment variable {@link #BEARER} reads the key from. */
    public static final String KEY_VARIABLE = "GATEHOUSE_TEST_KEY";
    /** A {@code --header} argument carrying the key in {@link #KEY_VARIABLE} as a Bearer credential. */
    public static final String BEARER = "Authorization: Bearer ${" + KEY_VARIABLE + "}";
    /** The environment variables the OAuth scripts read the signing-in person's email and password from. */
    public static final String EMAIL_VARIABLE = "GATEHOUSE_TEST_EMAIL";
    public static final String PASSWORD_VARIABLE = "GATEHOUSE_TEST_PASSWORD";
    /** Debian's Chromium: the pages are tested in the browser people have, not one Playwright downloads. */
    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SUITE_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration OAUTH_TIMEOUT = Duration.ofSeconds(120);
    private static final String INSTALL = "npm ci --prefix server/src/test/node";
    // The project's mapper caps strings at 64 KiB to guard request bodies; client output may be larger.
    private static final ObjectMapper MAPPER = Json.MAPPER.copy();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.defaults());
    }

    private final Path node;
    private final Path scripts;

    /** What a script printed and returned; {@code json} is the object on its last stdout line. */
    public record Result(int exitCode, JsonNode json, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The HTTP status a failing script reports, or 0. */
        public int status() {
            return json.path("status").asInt(0);
        }
    }

    private NodeClients(Path node, Path scripts) {
        this.node = node;
        this.scripts = scripts;
    }

    /** The installed clients; under {@code CI=true} an AssertionError when they are missing, else a skip. */
    public static NodeClients require() {
        Path scripts = scriptsDirectory();
        // The conformance suite needs Node 22 (fs.globSync); the npm package "node" brings it.
        Path node = scripts.resolve("node_modules/node/bin/node");
        if (!Files.isExecutable(node)) {
            return missing("Missing " + node + " (the npm packages of " + scripts + "), needed by the real-client"
                    + " tests. Install them with: " + INSTALL + " (needs node and npm on the PATH)");
        }
        return new NodeClients(node, scripts);
    }

    /** Under {@code CI=true} an AssertionError saying what is missing, else the test is skipped. */
    private static <T> T missing(String message) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(message);
        }
        return Assumptions.abort(message);
    }

    /** {@code sdk-client.mjs}: the SDK's Client over Streamable HTTP. */
    public Result sdkClient(Map<String, String> env, String... args) {
        return run("sdk-client.mjs", env, CLIENT_TIMEOUT, args);
    }

    /** {@code mcp-remote-client.mjs}: a stdio host driving the real mcp-remote proxy. */
    public Result mcpRemote(Map<String, String> env, String... args) {
        return run("mcp-remote-client.mjs", env, CLIENT_TIMEOUT, args);
    }

    /** {@code client-config.mjs}: a client's configuration file, read as that client reads it, then used. */
    public Result clientConfig(Map<String, String> env, String... args) {
        return run("client-config.mjs", env, Duration.ofSeconds(90), args);
    }

    /** {@code conformance.mjs}: the conformance suite in server mode, summarised. */
    public Result conformance(Map<String, String> env, String... args) {
        return run("conformance.mjs", env, SUITE_TIMEOUT, args);
    }

    /** The environment of an OAuth script: who signs in, never on a command line. */
    public static Map<String, String> person(String email, String password) {
        return Map.of(EMAIL_VARIABLE, email, PASSWORD_VARIABLE, password);
    }

    /** {@code oauth-sdk1.mjs}: SDK v1 signs in (registration, or {@code --cimd} a metadata document), calls, refreshes. */
    public Result oauthSdk1(Map<String, String> env, String... args) {
        return run("oauth-sdk1.mjs", env, OAUTH_TIMEOUT, args);
    }

    /** {@code oauth-sdk2.mjs}: SDK v2 ({@code @modelcontextprotocol/client}) signs in, checking iss; calls, refreshes. */
    public Result oauthSdk2(Map<String, String> env, String... args) {
        return run("oauth-sdk2.mjs", env, OAUTH_TIMEOUT, args);
    }

    /** {@code oauth4webapi.mjs}: the strict oauth4webapi, step by step, with MCP spoken by hand. */
    public Result oauth4webapi(Map<String, String> env, String... args) {
        return run("oauth4webapi.mjs", env, OAUTH_TIMEOUT, args);
    }

    /** {@code oauth-mcp-remote.mjs}: mcp-remote signs in through its printed URL, calls, refreshes. */
    public Result oauthMcpRemote(Map<String, String> env, String... args) {
        return run("oauth-mcp-remote.mjs", env, OAUTH_TIMEOUT, args);
    }

    /** {@code oauth-conformance.mjs}: the conformance suite's authorization-server mode, summarised. */
    public Result oauthConformance(Map<String, String> env, String... args) {
        return run("oauth-conformance.mjs", env, SUITE_TIMEOUT, args);
    }

    /**
     * {@code phone-pages.mjs}: Gatehouse's pages in Debian's Chromium ({@link #CHROMIUM}, driven by
     * playwright-core) at phone width with scripts off, measured. Chromium missing fails the test
     * under {@code CI=true} and skips it otherwise, as the npm packages do.
     */
    public Result phonePages(Map<String, String> env, String... args) {
        if (!Files.isExecutable(CHROMIUM)) {
            missing("Missing " + CHROMIUM + ", the browser of the page tests. Install it with: "
                    + "apt-get install -y --no-install-recommends chromium (.ci/run does)");
        }
        if (!Files.isDirectory(scripts.resolve("node_modules/playwright-core"))) {
            missing("Missing playwright-core in " + scripts + "/node_modules. Install it with: " + INSTALL);
        }
        List<String> all = new ArrayList<>(List.of("--chromium", CHROMIUM.toString()));
        all.addAll(List.of(args));
        return run("phone-pages.mjs", env, Duration.ofSeconds(120), all.toArray(String[]::new));
    }

    /**
     * Runs {@code script} with {@code env} added to this process's environment; after
     * {@code timeout} the script and every process it started are killed and the test fails.
     */
    public Result run(String script, Map<String, String> env, Duration timeout, String... args) {
        refuseSecretsIn(args, env);
        List<String> command = new ArrayList<>(List.of(node.toString(), scripts.resolve(script).toString()));
        command.addAll(List.of(args));
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("gatehouse-node-", ".out");
            err = Files.createTempFile("gatehouse-node-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(scripts.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                killTree(process);
                throw new AssertionError(script + " did not finish within " + timeout + "; stderr:\n" + read(err));
            }
            String stdout = read(out);
            String stderr = read(err);
            return new Result(process.exitValue(), lastJsonLine(script, stdout, stderr), stderr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + script, e);
        } finally {
            delete(out);
            delete(err);
        }
    }

    private static JsonNode lastJsonLine(String script, String stdout, String stderr) {
        String last = stdout.lines().filter(line -> !line.isBlank()).reduce((a, b) -> b).orElse("");
        try {
            JsonNode json = MAPPER.readTree(last);
            if (json != null && json.isObject()) {
                return json;
            }
        } catch (IOException notJson) {
            // reported below with everything the script printed
        }
        throw new AssertionError(script + " did not end with a JSON object; stdout:\n" + stdout + "\nstderr:\n" + stderr);
    }

    private static void killTree(Process process) throws InterruptedException {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        process.waitFor(5, TimeUnit.SECONDS);
    }

    private static void refuseSecretsIn(String[] args, Map<String, String> env) {
        for (String arg : args) {
            for (Map.Entry<String, String> variable : env.entrySet()) {
                if (variable.getValue().length() >= 8 && arg.contains(variable.getValue())) {
                    throw new IllegalArgumentException("the value of " + variable.getKey()
                            + " is on the command line; refer to it as ${" + variable.getKey() + "}");
                }
            }
        }
    }

    /** {@code src/test/node} from the module directory (Maven), or {@code server/src/test/node} from the repository root. */
    private static Path scriptsDirectory() {
        Path module = Path.of("src", "test", "node");
        return Files.isDirectory(module) ? module.toAbsolutePath() : Path.of("server").resolve(module).toAbsolutePath();
    }






    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    private static void delete(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file; the OS cleans up
            }
        }
    }
}
