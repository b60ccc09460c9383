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
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
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
 * <p>The upstream side is {@link Http1Client}: it relays each chunk of a streamed answer the moment
 * it arrives (see there for why neither Helidon's nor the JDK's client is used).
 */
final class Upstream {
    private static final Logger LOG = Logger.getLogger(Upstream.class.getName());
    /** RFC 9110 §7.6.1 hop-by-hop fields, and what Gatehouse sets itself or must never pass on. */
    static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate", "host",
            "content-length", "authorization", "x-api-key", "cookie", "origin", "accept-encoding", "forwarded",
            "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "mcp-session-id", "expect", "http2-settings",
            "x-request-id"); // Gatehouse sends its own, which names the client's when it was valid
    static final Set<String> NOT_RETURNED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "mcp-session-id", "www-authenticate",
            "set-cookie", "access-control-allow-origin", "access-control-allow-credentials",
            "access-control-expose-headers", "access-control-allow-methods", "access-control-allow-headers",
            "x-request-id", // the client gets Gatehouse's, the one its logs and error bodies name
            "server", "x-powered-by"); // what software runs behind Gatehouse, and which version, is not the client's
    static final HeaderName MCP_SESSION_ID = HeaderNames.create("Mcp-Session-Id");

    private record Client(Server server, Http1Client http) {
    }

    private final Map<String, Client> clients = new ConcurrentHashMap<>();
    private final GatewayMetrics metrics;
    private final UpstreamAddresses addresses;
    private final UpstreamTls tls;

    Upstream(GatewayMetrics metrics, UpstreamAddresses addresses, UpstreamTls tls) {
        this.metrics = metrics;
        this.addresses = addresses;
        this.tls = tls;
    }

    /** One outgoing request. {@code extraHeaders} are set after the copied ones (identity, session). */
    record Call(Server server, Method method, URI target, Map<HeaderName, String> extraHeaders,
                Optional<byte[]> body, boolean streamRequestBody, Duration timeout) {
    }

    /**
     * The upstream's answer, its body not read yet; closing it releases (or cancels) the stream.
     * Header names are lower-case.
     */
    record Answer(int status, Map<String, List<String>> headers, InputStream body) implements AutoCloseable {
        Optional<String> header(HeaderName name) {
            List<String> values = headers.get(name.lowerCase());
            return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
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
        List<String[]> headers = new ArrayList<>(24);
        for (Header header : req.headers()) {
            HeaderName name = header.headerName();
            if (!NOT_FORWARDED.contains(name.lowerCase()) && !call.extraHeaders().containsKey(name)) {
                for (String value : header.allValues()) {
                    headers.add(new String[]{header.name(), value});
                }
            }
        }
        headers.add(new String[]{"X-Forwarded-For", clientAddress});
        headers.add(new String[]{"X-Request-Id", requestId});
        call.extraHeaders().forEach((name, value) -> headers.add(new String[]{name.defaultCase(), value}));
        byte[] body = call.body().orElse(null);
        InputStream streamed = null;
        long length = -1;
        if (body == null && call.streamRequestBody() && req.content().hasEntity()) {
            streamed = req.content().inputStream();
            length = req.headers().contentLength().isPresent() ? req.headers().contentLength().getAsLong() : -1;
        }
        long start = System.nanoTime();
        try {
            Http1Client.Response r = client(call.server()).send(call.method().text(), call.target(), headers, body,
                    streamed, length, call.timeout());
            metrics.answered(call.server(), r.status(), System.nanoTime() - start);
            return new Answer(r.status(), r.headers(), r.body());
        } catch (IOException e) {
            ApiError error = unreachable(call.server(), e);
            metrics.failed(call.server(), error.reason().orElse("failed").replace("upstream_", ""));
            throw error;
        } catch (IllegalArgumentException e) {
            // a header value that cannot travel in HTTP/1.1 (a line break, a character past Latin-1)
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_header", "A request header cannot be forwarded");
        }
    }

    /**
     * Copies the answer's status and end-to-end headers, then its body; Server-Sent Events are
     * flushed after every read so that they reach the client as the upstream sends them. A small
     * answer that arrived whole leaves whole.
     */
    static void relay(Answer upstream, ServerResponse res, Consumer<ServerResponse> headerHook) {
        byte[] whole;
        try {
            whole = Http1Client.takeIfArrived(upstream.body());
        } catch (IOException e) {
            throw streamBroken(e);
        }
        copyHead(upstream, res, whole == null);
        headerHook.accept(res);
        if (whole != null) {
            res.send(whole); // head and body in one write
            return;
        }
        boolean events = upstream.isEventStream();
        byte[] buffer = new byte[8192];
        try (InputStream in = upstream.body(); OutputStream out = res.outputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                if (events) {
                    out.flush(); // each event leaves as it came; other answers leave in as few writes as fit
                }
            }
        } catch (IOException | RuntimeException e) {
            throw streamBroken(e);
        }
    }

    static void copyHead(Answer upstream, ServerResponse res, boolean keepLength) {
        res.status(Status.create(upstream.status()));
        for (Map.Entry<String, List<String>> header : upstream.headers().entrySet()) {
            String name = header.getKey(); // lower-case, as Http1Client keys them
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

    /**
     * The server's connection pool. The registry hands out the same {@code Server} until the server
     * changes, so the usual check is one comparison; a change that leaves the pool's own inputs alone
     * (a rename, a scope) keeps its connections, any other replaces the pool.
     */
    /** Closes every connection, the pooled ones and those still carrying an answer, which then ends. */
    void close() {
        clients.values().forEach(c -> c.http().close());
        clients.clear();
    }

    private Http1Client client(Server server) {
        Client c = clients.get(server.id());
        if (c != null && c.server() == server) {
            return c.http();
        }
        if (c != null && c.server().upstream().equals(server.upstream())
                && c.server().connectTimeout().equals(server.connectTimeout())
                && c.server().orgId().equals(server.orgId())) {
            clients.put(server.id(), new Client(server, c.http()));
            return c.http();
        }
        Client fresh = new Client(server, new Http1Client(server.connectTimeout(), addresses.allowedFor(server),
                tls.sockets()));
        Client old = clients.put(server.id(), fresh);
        if (old != null) {
            old.http().close();
        }
        return fresh.http();
    }

    static ApiError unreachable(Server server, IOException e) {
        if (e instanceof Http1Client.AddressNotAllowed) {
            return ApiError.of(ErrorCode.BAD_GATEWAY, "upstream_not_allowed", "The upstream server '" + server.slug()
                    + "' resolves to an internal address, which only instance-wide servers may have");
        }
        if (e instanceof SocketTimeoutException) {
            return ApiError.of(ErrorCode.GATEWAY_TIMEOUT, "upstream_timeout",
                    "The upstream server '" + server.slug() + "' did not answer in time").withDetail(e.toString());
        }
        boolean connect = e instanceof Http1Client.ConnectFailed;
        return ApiError.of(ErrorCode.BAD_GATEWAY, connect ? "upstream_unreachable" : "upstream_failed",
                "The upstream server '" + server.slug() + (connect ? "' could not be reached" : "' failed"))
                .withDetail(e.toString());
    }
}
