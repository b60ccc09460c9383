package io.gatehouse.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on a loopback port (the JDK's {@link HttpServer}) that answers as a test
 * script says and records every request that reached it: for the rules that a mock of the HTTP
 * client could not prove (what was sent, what was repeated).
 */
final class StubServer implements AutoCloseable {
    /** What to do with the n-th request (1-based). */
    interface Script {
        void handle(HttpExchange exchange, int n) throws IOException;
    }

    /** A request as it reached the server. */
    record Hit(String method, String path, String body) {
    }

    private final HttpServer server;
    private final List<Hit> hits = new CopyOnWriteArrayList<>();

    StubServer(Script script) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            hits.add(new Hit(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()),
                    body));
            script.handle(exchange, hits.size());
        });
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    List<Hit> hits() {
        return List.copyOf(hits);
    }

    /** Answers with a status, JSON body and optional Retry-After. */
    static void answer(HttpExchange exchange, int status, String json, String retryAfter) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (retryAfter != null) {
            exchange.getResponseHeaders().set("Retry-After", retryAfter);
        }
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }

    /** Gatehouse's error body. */
    static String error(String code, String reason, String message) {
        return "{\"success\":false,\"error\":{\"code\":\"" + code + "\",\"reason\":\"" + reason + "\",\"message\":\""
                + message + "\",\"request_id\":\"req_stub\"}}";
    }

    /** Closes the connection without answering: the request reached the server, no answer came back. */
    static void drop(HttpExchange exchange) {
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
