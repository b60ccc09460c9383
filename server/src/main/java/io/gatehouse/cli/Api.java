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
 * or {@code GATEHOUSE_URL} and {@code GATEHOUSE_ADMIN_KEY}), or, without a URL, the local store
 * served for this one command by an in-process node on a loopback port. Either way the command is
 * the same HTTP call, so the CLI and the API cannot disagree.
 */
public final class Api {
    @Option(names = "--url", description = "Gatehouse to talk to (default: $GATEHOUSE_URL, else the local store)")
    String url;

    @Option(names = "--key", description = "admin key for --url (default: $GATEHOUSE_ADMIN_KEY)")
    String key;

    /** The answer of one call. */
    public record Answer(int status, JsonNode body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    Answer call(Supplier<GatehouseConfig> localConfig, String method, String path, Optional<Map<String, Object>> body) {
        String target = Optional.ofNullable(url).or(() -> Optional.ofNullable(System.getenv("GATEHOUSE_URL")))
                .filter(u -> !u.isBlank()).orElse(null);
        if (target != null) {
            String credential = Optional.ofNullable(key).or(() -> Optional.ofNullable(System.getenv("GATEHOUSE_ADMIN_KEY")))
                    .orElseThrow(() -> new IllegalArgumentException("--key (or GATEHOUSE_ADMIN_KEY) is needed with --url"));
            return send(URI.create(target.replaceAll("/+$", "")), credential, method, path, body);
        }
        LocalCredential local = new LocalCredential();
        GatehouseConfig config = localConfig.get();
        GatehouseConfig loopback = new GatehouseConfig(new GatehouseConfig.Http("127.0.0.1", 0, Optional.empty(),
                config.http().maxBodyBytes(), config.http().maxHeaderBytes(), false, false), config.database(),
                config.dataDir(), config.keys(), config.plans(), config.logLevel(), config.secretKey(), config.gateway());
        try (GatehouseServer server = GatehouseServer.start(loopback, Optional.of(local))) {
            return send(server.publicUrl(), local.secret(), method, path, body);
        }
    }

    public static Answer send(URI base, String credential, String method, String path,
                               Optional<Map<String, Object>> body) {
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + credential)
                    .header("Accept", "application/json");
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
            throw new IllegalStateException("cannot reach " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
