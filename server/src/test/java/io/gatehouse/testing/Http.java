package io.gatehouse.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.http.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small HTTP client for tests: real requests over loopback, JSON answers. */
public final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;

    public Http(URI base) {
        this.base = base;
    }

    public record Response(int status, HttpHeaders headers, String text) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(text);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + text, e);
            }
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        /** The {@code error.reason} of an error answer. */
        public String reason() {
            return json().path("error").path("reason").asText(null);
        }
    }

    public Response get(String path, String bearer) {
        return send("GET", path, Map.of("Authorization", "Bearer " + bearer), null);
    }

    public Response post(String path, String bearer, Object body) {
        return send("POST", path, Map.of("Authorization", "Bearer " + bearer), body);
    }

    public Response send(String method, String path, Map<String, String> headers, Object body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
        headers.forEach(b::header);
        try {
            if (body == null) {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                byte[] bytes = body instanceof String s ? s.getBytes(java.nio.charset.StandardCharsets.UTF_8)
                        : Json.MAPPER.writeValueAsBytes(body);
                if (!headers.containsKey("Content-Type")) {
                    b.header("Content-Type", "application/json");
                }
                b.method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
            }
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
