package io.gatehouse.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * One HTTP exchange with Gatehouse per call, over the JDK's {@link HttpClient}: JSON in and out,
 * the credential as {@code Authorization: Bearer}, the error body turned into a
 * {@link GatehouseException}, and the retries {@link RetryPolicy} allows. Thread-safe: it holds
 * nothing that changes.
 */
final class Transport {
    /** Waits between attempts; tests count the waits instead of sleeping. */
    interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final HttpClient http;
    private final URI baseUrl;
    private final Optional<String> key;
    private final Duration timeout;
    private final RetryPolicy retries;
    private final Sleeper sleeper;
    private final String userAgent;

    private Transport(HttpClient http, URI baseUrl, Optional<String> key, Duration timeout, RetryPolicy retries,
                      Sleeper sleeper, String userAgent) {
        this.http = http;
        this.baseUrl = baseUrl;
        this.key = key;
        this.timeout = timeout;
        this.retries = retries;
        this.sleeper = sleeper;
        this.userAgent = userAgent;
    }

    /** Calls without a credential. */
    static Transport anonymous(HttpClient http, URI baseUrl, Duration timeout, RetryPolicy retries, Sleeper sleeper,
                               String userAgent) {
        return new Transport(http, baseUrl, Optional.empty(), timeout, retries, sleeper, userAgent);
    }

    /** The same transport, sending {@code otherKey} as the credential. */
    Transport withKey(String otherKey) {
        return new Transport(http, baseUrl, Optional.of(otherKey), timeout, retries, sleeper, userAgent);
    }

    /** The same transport, sending no credential. */
    Transport withoutKey() {
        return new Transport(http, baseUrl, Optional.empty(), timeout, retries, sleeper, userAgent);
    }

    URI baseUrl() {
        return baseUrl;
    }

    Optional<String> key() {
        return key;
    }

    <T> T get(String path, Class<T> type) {
        return read(send("GET", path, null), Json.type(type));
    }

    <T> List<T> list(String path, Class<T> element) {
        return callForList("GET", path, null, element);
    }

    /** A call answered by {@code {"data": [ … ]}}. */
    <T> List<T> callForList(String method, String path, Object body, Class<T> element) {
        Json.DataList<T> list = read(send(method, path, body), Json.listOf(element));
        return List.copyOf(list.data());
    }

    <T> T call(String method, String path, Object body, Class<T> type) {
        return read(send(method, path, body), Json.type(type));
    }

    /** A call whose success is {@code 204 No Content}. */
    void callForNothing(String method, String path) {
        send(method, path, null);
    }

    JsonNode tree(String method, String path, Object body) {
        return read(send(method, path, body), Json.MAPPER.constructType(JsonNode.class));
    }

    /** A path with its segments percent-encoded: {@code path("/v1/keys/", id)}. */
    static String path(String... parts) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            out.append(i % 2 == 0 ? parts[i] : encode(parts[i]));
        }
        return out.toString();
    }

    /** A query string from the parameters that are given ({@code null} values are left out). */
    static String query(Map<String, ?> parameters) {
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        parameters.forEach((name, value) -> {
            if (value != null) {
                q.add(encode(name) + "=" + encode(String.valueOf(value)));
            }
        });
        return q.toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpResponse<byte[]> send(String method, String path, Object body) {
        HttpRequest request = request(method, path, body);
        boolean safe = method.equals("GET") || method.equals("HEAD");
        for (int attempt = 1; ; attempt++) {
            boolean last = attempt >= retries.maxAttempts();
            HttpResponse<byte[]> response;
            try {
                response = exchange(request);
            } catch (ConnectException | HttpConnectTimeoutException notSent) {
                // The connection was never opened, so the request was never sent: any method may be retried.
                if (last) {
                    throw new GatehouseConnectionException(method + " " + path + ": cannot connect to "
                            + baseUrl + " (" + notSent + ")", false, notSent);
                }
                pause(retries.backoffAfter(attempt));
                continue;
            } catch (IOException mayHaveReached) {
                // RFC 9110 §9.2.2: only an idempotent request may be repeated after a failure once sent;
                // we repeat only safe methods, never a POST that may have changed something.
                if (!safe || last) {
                    throw new GatehouseConnectionException(method + " " + path + ": no answer from " + baseUrl
                            + " (" + mayHaveReached + ")", true, mayHaveReached);
                }
                pause(retries.backoffAfter(attempt));
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GatehouseConnectionException(method + " " + path + ": interrupted", true, e);
            }
            int status = response.statusCode();
            if (safe && !last && (status == 429 || status == 503)) {
                // RFC 9110 §10.2.3 (Retry-After), RFC 6585 §4 (429): wait as asked, within our bound.
                Optional<Duration> asked = retryAfter(response);
                Duration wait = asked.orElse(retries.backoffAfter(attempt));
                if (wait.compareTo(retries.maxRetryAfter()) <= 0) {
                    pause(wait);
                    continue;
                }
            }
            // A redirect or any other answer outside 2xx is no success: a revoke that met a 301 did not happen.
            if (status < 200 || status >= 300) {
                throw error(response);
            }
            return response;
        }
    }

    /**
     * One exchange, bounded by the timeout to the end of the answer's body: the JDK's request timeout
     * stops counting at the answer's head, so a server that stalls in its body would hold the caller.
     */
    private HttpResponse<byte[]> exchange(HttpRequest request) throws IOException, InterruptedException {
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> future =
                http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        try {
            return future.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            future.cancel(true);
            throw new java.net.http.HttpTimeoutException("no complete answer within " + timeout);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(cause);
        } catch (InterruptedException e) {
            future.cancel(true);
            throw e;
        }
    }

    private HttpRequest request(String method, String path, Object body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Accept", "application/json")
                .header("User-Agent", userAgent);
        key.ifPresent(k -> b.header("Authorization", "Bearer " + k));
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            byte[] json;
            try {
                json = Json.MAPPER.writeValueAsBytes(body);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("cannot write the request as JSON: " + e.getOriginalMessage(), e);
            }
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(json));
        }
        return b.build();
    }

    private void pause(Duration wait) {
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatehouseConnectionException("interrupted while waiting to retry", true, e);
        }
    }

    private static <T> T read(HttpResponse<byte[]> response, JavaType type) {
        if (response.statusCode() == 204 || response.body().length == 0) {
            throw new IllegalStateException("Gatehouse answered " + response.statusCode() + " with no body, where a "
                    + type.getRawClass().getSimpleName() + " was expected");
        }
        try {
            return Json.MAPPER.readValue(response.body(), type);
        } catch (IOException e) {
            throw new IllegalStateException("Gatehouse answered " + response.statusCode() + " with a body this SDK "
                    + "cannot read as " + type.getRawClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** The error body, or, when something else answered (a proxy's HTML page), an error made from the status. */
    private static GatehouseException error(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        Optional<Duration> retryAfter = retryAfter(response);
        try {
            JsonNode error = Json.MAPPER.readTree(response.body()).path("error");
            if (error.isObject() && error.hasNonNull("code")) {
                return GatehouseException.of(status, Json.convert(error, ErrorDetail.class), retryAfter);
            }
        } catch (IOException | RuntimeException notJson) {
            // fall through: not Gatehouse's error body
        }
        String requestId = response.headers().firstValue("X-Request-Id").orElse("-");
        return GatehouseException.of(status, new ErrorDetail("http_" + status, Optional.of("http_" + status),
                "HTTP " + status + " without a Gatehouse error body", Optional.empty(), requestId), retryAfter);
    }

    /** RFC 9110 §10.2.3: {@code Retry-After} is a number of seconds or an HTTP date. */
    static Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(Transport::parseRetryAfter);
    }

    static Optional<Duration> parseRetryAfter(String value) {
        String v = value.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(java.time.Instant.now(), at.toInstant());
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
    }
}
