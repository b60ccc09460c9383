package io.gatehouse.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyStore;

/** The JDK's HTTPS server on loopback, for the documents and upstreams tests serve over TLS. */
public final class Https {
    private Https() {
    }

    /** A server on a free loopback port that presents {@code identity} ({@link Certificates#create}); not started. */
    public static HttpsServer server(KeyStore identity) throws Exception {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setHttpsConfigurator(new HttpsConfigurator(Certificates.serving(identity)));
        return server;
    }

    /** Answers {@code exchange} with 200 and {@code json}, after reading what it sent; then closes it. */
    public static void answerJson(HttpExchange exchange, byte[] json) throws IOException {
        exchange.getRequestBody().readAllBytes();
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, json.length);
        exchange.getResponseBody().write(json);
        exchange.close();
    }
}
