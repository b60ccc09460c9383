package io.gatehouse.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.http.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A raw Streamable HTTP client for tests that need to see every header and byte: it POSTs JSON-RPC
 * and reads the answer whether it comes as JSON or as Server-Sent Events. Real SDK clients are
 * driven through {@link NodeClients}.
 */
public final class Mcp {
    /** HTTP/1.1 as MCP clients speak it (the JDK's default would offer an h2c upgrade on every first request). */
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final URI url;
    private final Map<String, String> headers = new HashMap<>();
    private HttpClient client = CLIENT;
    private int nextId = 1;

    public Mcp(URI url, Map<String, String> headers) {
        this.url = url;
        this.headers.putAll(headers);
    }

    public static Mcp withKey(URI url, String key) {
        return new Mcp(url, Map.of("Authorization", "Bearer " + key));
    }

    /** One exchange: the HTTP answer and the JSON-RPC messages in it (one for JSON, each event's for SSE). */
    public record Answer(int status, java.net.http.HttpHeaders headers, String body, List<JsonNode> messages) {
        public JsonNode last() {
            return messages.getLast();
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    public Mcp header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /**
     * Its own connections from now on, not the ones every other Mcp shares: for a test that must
     * know which connection the event-loop front handed to the main listener (they stay there).
     */
    public Mcp ownConnections() {
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
        return this;
    }

    public Mcp without(String name) {
        headers.remove(name);
        return this;
    }

    public Optional<String> session() {
        return Optional.ofNullable(headers.get("Mcp-Session-Id"));
    }

    /** initialize + notifications/initialized (2025-11-25); keeps the session id it is given. */
    public Answer initialize() {
        Answer a = request("initialize", Map.of("protocolVersion", "2025-11-25", "capabilities", Map.of(),
                "clientInfo", Map.of("name", "gatehouse-it", "version", "1")));
        if (a.status() == 200) {
            Optional.ofNullable(a.header("Mcp-Session-Id")).ifPresent(s -> headers.put("Mcp-Session-Id", s));
            headers.put("MCP-Protocol-Version", a.last().path("result").path("protocolVersion").asText("2025-11-25"));
            post(Map.of("jsonrpc", "2.0", "method", "notifications/initialized"));
        }
        return a;
    }

    public Answer request(String method, Object params) {
        Map<String, Object> msg = new HashMap<>();
        msg.put("jsonrpc", "2.0");
        msg.put("id", nextId++);
        msg.put("method", method);
        if (params != null) {
            msg.put("params", params);
        }
        return post(msg);
    }

    public Answer callTool(String name, Map<String, Object> arguments) {
        return request("tools/call", Map.of("name", name, "arguments", arguments));
    }

    public List<String> toolNames() {
        Answer a = request("tools/list", Map.of());
        List<String> names = new ArrayList<>();
        a.last().path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
        return names;
    }

    public Answer post(Object message) {
        try {
            byte[] body = message instanceof String s ? s.getBytes(java.nio.charset.StandardCharsets.UTF_8)
                    : Json.MAPPER.writeValueAsBytes(message);
            HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(b::header);
            return exchange(b.build());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    public Answer send(String method) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .header("Accept", "text/event-stream").method(method, HttpRequest.BodyPublishers.noBody());
        headers.forEach(b::header);
        return exchange(b.build());
    }

    private Answer exchange(HttpRequest request) {
        try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.headers(), r.body(), messages(r));
        } catch (IOException e) {
            throw new AssertionError(request.method() + " " + request.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A client's reader: Jackson's own limits, not the ones Gatehouse puts on request bodies. */
    private static final com.fasterxml.jackson.databind.ObjectMapper ANSWERS = new com.fasterxml.jackson.databind.ObjectMapper();

    private static List<JsonNode> messages(HttpResponse<String> r) {
        List<JsonNode> out = new ArrayList<>();
        String type = r.headers().firstValue("Content-Type").orElse("");
        try {
            if (type.startsWith("text/event-stream")) {
                for (String line : r.body().split("\r?\n")) {
                    if (line.startsWith("data:")) {
                        out.add(ANSWERS.readTree(line.substring(5).strip()));
                    }
                }
            } else if (type.startsWith("application/json") && !r.body().isEmpty()) {
                JsonNode n = ANSWERS.readTree(r.body());
                if (n.isArray()) {
                    n.forEach(out::add);
                } else {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("unreadable answer: " + r.body(), e);
        }
        return out;
    }
}
