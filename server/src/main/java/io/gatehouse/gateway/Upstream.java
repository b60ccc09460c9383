package io.gatehouse.gateway;

import io.gatehouse.http.ApiError;
import io.gatehouse.http.ErrorCode;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends a request upstream and streams the answer back: the shared part of the MCP and HTTP API
 * proxies. Connections are pooled per server (its own connect timeout); nothing is buffered unless
 * the caller asks to read the answer. An upstream that cannot be reached is a 502, one that does
 * not start answering in time a 504, both in the documented error shape; once the answer has
 * started, a failure closes the connection instead (a truncated stream must not look complete).
 *
 * <p>The JDK's HTTP client, not Helidon's: Helidon's client hands a chunk to the reader only once the
 * CRLF that ends it has arrived, and servers such as Jetty send that CRLF with the next chunk, so
 * every Server-Sent Event would reach the client one event late (a sampling request, which waits
 * for the client's answer, never would).
 */
final class Upstream {
    private static final Logger LOG = Logger.getLogger(Upstream.class.getName());
    /** RFC 9110 §7.6.1 hop-by-hop fields, and what Gatehouse sets itself or must never pass on. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate", "host",
            "content-length", "authorization", "x-api-key", "cookie", "origin", "accept-encoding", "forwarded",
            "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "mcp-session-id", "expect", "http2-settings");
    private static final Set<String> NOT_RETURNED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "mcp-session-id", "www-authenticate",
            "set-cookie", "access-control-allow-origin", "access-control-allow-credentials",
            "access-control-expose-headers", "access-control-allow-methods", "access-control-allow-headers", ":status");
    static final HeaderName MCP_SESSION_ID = HeaderNames.create("Mcp-Session-Id");

    private record Client(Server server, HttpClient http) {
    }

    private final Map<String, Client> clients = new ConcurrentHashMap<>();

    /** One outgoing request. {@code extraHeaders} are set after the copied ones (identity, session). */
    record Call(Server server, Method method, URI target, Map<HeaderName, String> extraHeaders,
                Optional<byte[]> body, boolean streamRequestBody, Duration timeout) {
    }

    /** The upstream's answer, its body not read yet; closing it releases (or cancels) the stream. */
    record Answer(int status, HttpHeaders headers, InputStream body) implements AutoCloseable {
        Optional<String> header(HeaderName name) {
            return headers.firstValue(name.defaultCase());
        }

        boolean isEventStream() {
            return header(HeaderNames.CONTENT_TYPE).map(t -> t.toLowerCase(Locale.ROOT).startsWith("text/event-stream"))
                    .orElse(false);
        }

        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException ignored) {
                // the stream is gone either way
            }
        }
    }

    /** Opens the upstream answer; the caller must close it. */
    Answer open(ServerRequest req, Call call, String clientAddress, String requestId) {
        HttpRequest.Builder out = HttpRequest.newBuilder(call.target()).timeout(call.timeout());
        for (Header header : req.headers()) {
            if (!NOT_FORWARDED.contains(header.name().toLowerCase(Locale.ROOT))) {
                for (String value : header.allValues()) {
                    out.header(header.name(), value);
                }
            }
        }
        out.setHeader("X-Forwarded-For", clientAddress);
        out.setHeader("X-Request-Id", requestId);
        call.extraHeaders().forEach((name, value) -> out.setHeader(name.defaultCase(), value));
        HttpRequest.BodyPublisher body;
        if (call.body().isPresent()) {
            body = HttpRequest.BodyPublishers.ofByteArray(call.body().get());
        } else if (call.streamRequestBody() && req.content().hasEntity()) {
            HttpRequest.BodyPublisher stream = HttpRequest.BodyPublishers.ofInputStream(() -> req.content().inputStream());
            body = req.headers().contentLength().isPresent()
                    ? HttpRequest.BodyPublishers.fromPublisher(stream, req.headers().contentLength().getAsLong())
                    : stream;
        } else {
            body = HttpRequest.BodyPublishers.noBody();
        }
        out.method(call.method().text(), body);
        try {
            HttpResponse<InputStream> answer = client(call.server()).send(out.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            return new Answer(answer.statusCode(), answer.headers(), answer.body());
        } catch (IOException e) {
            throw unreachable(call.server(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(call.server(), new IOException("interrupted", e));
        } catch (IllegalArgumentException e) {
            // a header value the JDK refuses to send (for example a control character)
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_header", "A request header cannot be forwarded");
        }
    }

    /**
     * Copies the answer's status and end-to-end headers, then its body, flushing after every read
     * so that Server-Sent Events reach the client as the upstream sends them.
     */
    static void relay(Answer upstream, ServerResponse res, Consumer<ServerResponse> headerHook) {
        copyHead(upstream, res, true);
        headerHook.accept(res);
        byte[] buffer = new byte[8192];
        try (InputStream in = upstream.body(); OutputStream out = res.outputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            throw streamBroken(e);
        }
    }

    static void copyHead(Answer upstream, ServerResponse res, boolean keepLength) {
        res.status(Status.create(upstream.status()));
        for (Map.Entry<String, List<String>> header : upstream.headers().map().entrySet()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!NOT_RETURNED.contains(name) && (keepLength || !name.equals("content-length"))) {
                res.header(HeaderNames.create(header.getKey()), header.getValue().toArray(String[]::new));
            }
        }
    }

    /** After the answer started nothing can be said to the client: the connection is dropped. */
    static RuntimeException streamBroken(Exception e) {
        LOG.log(Level.FINE, "stream ended early: " + e);
        return new java.io.UncheckedIOException(new IOException("stream ended early", e));
    }

    private HttpClient client(Server server) {
        Client c = clients.get(server.id());
        if (c == null || !c.server().equals(server)) {
            c = new Client(server, HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(server.connectTimeout())
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build());
            Client old = clients.put(server.id(), c);
            if (old != null) {
                old.http().close();
            }
        }
        return c.http();
    }

    private static ApiError unreachable(Server server, IOException e) {
        if (e instanceof HttpTimeoutException && !(e instanceof HttpConnectTimeoutException)) {
            return ApiError.of(ErrorCode.GATEWAY_TIMEOUT, "upstream_timeout",
                    "The upstream server '" + server.slug() + "' did not answer in time").withDetail(e.toString());
        }
        String reason = e instanceof ConnectException || e instanceof HttpConnectTimeoutException
                ? "upstream_unreachable" : "upstream_failed";
        return ApiError.of(ErrorCode.BAD_GATEWAY, reason, "The upstream server '" + server.slug()
                + (reason.equals("upstream_unreachable") ? "' could not be reached" : "' failed")).withDetail(e.toString());
    }
}
