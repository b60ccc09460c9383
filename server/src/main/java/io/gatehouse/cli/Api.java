package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.GatehouseServer;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.http.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * How a CLI command reaches the management API: a running server ({@code --url} and {@code --key},
 * the command's own or given before it, or {@code GATEHOUSE_URL} and {@code GATEHOUSE_ADMIN_KEY}, else {@code GATEHOUSE_KEY}), or, without a
 * URL, the local store served for this one command by an in-process node on a loopback port, as the
 * operator unless {@code --key} names someone else. Either way the command is the same HTTP call, so the
 * CLI and the API cannot disagree. A command that acts for whoever runs it (accepting an invitation)
 * sends {@code --key} if given and otherwise no credential at all.
 */
public final class Api {
    @Option(names = "--url", description = "Gatehouse to talk to (default: $GATEHOUSE_URL, else the local store)")
    String url;

    @Option(names = "--key", description = "credential for --url (default: $GATEHOUSE_ADMIN_KEY, else $GATEHOUSE_KEY)")
    String key;

    /** {@code --url} and {@code --key} given before the command ({@code gatehouse --url U --key K keys list}). */
    static Supplier<Optional<String>> globalUrl = Optional::empty;
    static Supplier<Optional<String>> globalKey = Optional::empty;

    /** The answer of one call. */
    public record Answer(int status, JsonNode body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** @param personal the call acts for whoever runs it: only an explicit {@code --key} is sent */
    Answer call(Supplier<GatehouseConfig> localConfig, String method, String path, Optional<Map<String, Object>> body,
                boolean personal) {
        String key = Optional.ofNullable(this.key).or(globalKey).orElse(null); // the command's own first
        String target = Optional.ofNullable(url).or(globalUrl)
                .or(() -> Optional.ofNullable(System.getenv("GATEHOUSE_URL"))).filter(u -> !u.isBlank()).orElse(null);
        if (personal || (target == null && key != null)) {
            // Acting as someone: their --key, or (accepting an invitation) nobody yet; on the local store too.
            Optional<String> credential = Optional.ofNullable(key);
            if (target != null) {
                return send(URI.create(target.replaceAll("/+$", "")), credential, method, path, body);
            }
            try (GatehouseServer server = GatehouseServer.start(loopback(localConfig.get()), Optional.empty())) {
                return send(server.publicUrl(), credential, method, path, body);
            }
        }
        if (target != null) {
            String credential = Optional.ofNullable(key).or(() -> env("GATEHOUSE_ADMIN_KEY")).or(() -> env("GATEHOUSE_KEY"))
                    .orElseThrow(() -> new IllegalArgumentException(
                            "--key (or GATEHOUSE_ADMIN_KEY, or GATEHOUSE_KEY) is needed with --url"));
            return send(URI.create(target.replaceAll("/+$", "")), credential, method, path, body);
        }
        LocalCredential local = new LocalCredential();
        try (GatehouseServer server = GatehouseServer.start(loopback(localConfig.get()), Optional.of(local))) {
            return send(server.publicUrl(), local.secret(), method, path, body);
        }
    }

    private static Optional<String> env(String name) {
        return Optional.ofNullable(System.getenv(name)).filter(v -> !v.isBlank());
    }

    /**
     * The local store's configuration, served on a loopback port of its own for one command. A SQLite
     * store must exist already: a command run from the wrong folder would otherwise make an empty one
     * and answer from it as if nothing were there.
     */
    private static GatehouseConfig loopback(GatehouseConfig config) {
        String url = config.database().url();
        String sqlite = url.startsWith("jdbc:sqlite:") ? url.substring("jdbc:sqlite:".length()) : "";
        // Say which store, when a variable chose it rather than this folder or the command line.
        Optional<String> chosenBy = java.util.stream.Stream.of("GATEHOUSE_DATA_DIR", "GATEHOUSE_DATABASE_URL",
                "GATEHOUSE_CONFIG").filter(v -> env(v).isPresent()).findFirst();
        chosenBy.ifPresent(v -> System.err.println("gatehouse: on the local store " + (sqlite.isEmpty()
                ? "(the configured PostgreSQL database)" : java.nio.file.Path.of(sqlite.split("\\?")[0]).toAbsolutePath())
                + ", as " + v + " says"));
        if (!sqlite.isEmpty() && !sqlite.startsWith(":memory:") && !sqlite.startsWith("file:")) {
            java.nio.file.Path file = java.nio.file.Path.of(url.substring("jdbc:sqlite:".length()).split("\\?")[0])
                    .toAbsolutePath();
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new IllegalArgumentException("no Gatehouse store at " + file + " (the local store: no --url and no "
                        + "GATEHOUSE_URL). Run the command where 'gatehouse serve' runs, pass --data-dir, or set "
                        + "GATEHOUSE_URL to reach a running server; 'gatehouse admin init' makes a new store");
            }
        }
        GatehouseConfig.Http http = config.http();
        return new GatehouseConfig(new GatehouseConfig.Http("127.0.0.1", 0, Optional.empty(),
                http.maxBodyBytes(), http.maxHeaderBytes(), false, http.headTimeout(), http.bodyTimeout(),
                http.idleTimeout(), http.firstRequestTimeout(), http.maxConnections(), 0, Optional.empty(),
                Optional.empty(), false), config.database(),
                config.dataDir(), config.keys(), config.plans(), config.logLevel(), config.secretKey(), config.gateway(),
                config.oauth(), config.signIn(), config.credits(),
                // The command line acts as the operator, whom no rate limit holds: it needs no Redis.
                new GatehouseConfig.RateLimits(GatehouseConfig.RateLimitStore.MEMORY, config.rateLimits().sync(),
                        Optional.empty(), config.rateLimits().redisTimeout()));
    }

    public static Answer send(URI base, String credential, String method, String path,
                               Optional<Map<String, Object>> body) {
        return send(base, Optional.of(credential), method, path, body);
    }

    /** One call; {@code credential} empty sends none. */
    static Answer send(URI base, Optional<String> credential, String method, String path,
                       Optional<Map<String, Object>> body) {
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                    .timeout(Duration.ofSeconds(30))
                    .header("Accept", "application/json");
            credential.ifPresent(c -> request.header("Authorization", "Bearer " + c));
            if (body.isPresent()) {
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body.get())));
            } else {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = response.body().length == 0 ? Json.MAPPER.createObjectNode()
                    : Json.MAPPER.readTree(response.body());
            return new Answer(response.statusCode(), json);
        } catch (IOException e) {
            String why = e instanceof java.net.ConnectException ? "connection refused: is Gatehouse running there?"
                    : e instanceof java.net.http.HttpTimeoutException ? "no answer in time"
                    : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new IllegalStateException("cannot reach " + base + " (" + why + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
