package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Mcp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What CLIENTS.md says a proxy must pass on, against an upstream scripted with the JDK's HTTP server:
 * a {@code 405} for the GET stream with its {@code Allow} (clients loop on a 400 or 404), and a client
 * closing an event stream (2026-07-28: that is how a request is cancelled) reaching the upstream.
 */
class UpstreamStreamsIT {
    private static GatewayNode gw;
    private static HttpServer upstream;
    private static final BlockingQueue<String> UPSTREAM_SAW = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() throws IOException {
        gw = GatewayNode.start();
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/mcp", exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("POST")) {
                    exchange.getResponseHeaders().set("Allow", "POST");
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                exchange.getRequestBody().readAllBytes();
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                try {
                    for (int i = 0; i < 100; i++) { // ten seconds at most
                        out.write(("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                                + "\"params\":{\"progressToken\":1,\"progress\":" + i + "}}\n\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        Thread.sleep(100);
                    }
                    UPSTREAM_SAW.add("ran to the end");
                } catch (IOException closed) {
                    UPSTREAM_SAW.add("closed");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        upstream.start();
        gw.node.createServer(Map.of("name", "Ticker", "slug", "ticker",
                "upstream_url", "http://127.0.0.1:" + upstream.getAddress().getPort() + "/mcp"));
    }

    @AfterAll
    static void stop() {
        upstream.stop(0);
        gw.close();
    }

    @Test
    void getStreamWhenUpstreamHasNoneThen405WithAllowPassedOn() {
        Mcp.Answer a = Mcp.withKey(gw.url("/mcp/ticker"), gw.node.adminKey).send("GET");
        assertThat(a.status()).isEqualTo(405);
        assertThat(a.header("Allow")).isEqualTo("POST");
    }

    @Test
    void eventStreamWhenClientClosesItThenTheUpstreamSeesItClosed() throws Exception {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"tick\",\"arguments\":{}}}";
        try (Socket client = new Socket("127.0.0.1", gw.node.server.port())) {
            client.getOutputStream().write(("POST /mcp/ticker HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + gw.node.adminKey + "\r\nContent-Type: application/json\r\n"
                    + "Accept: application/json, text/event-stream\r\nContent-Length: " + body.length() + "\r\n\r\n"
                    + body).getBytes(StandardCharsets.UTF_8));
            client.getOutputStream().flush();
            InputStream in = client.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("\"progress\":0")) {
                int b = in.read();
                assertThat(b).as("the stream ended before its first event").isNotEqualTo(-1);
                seen.append((char) b);
            }
            assertThat(seen.toString()).startsWith("HTTP/1.1 200");
        } // the client goes away in the middle of the stream
        assertThat(UPSTREAM_SAW.poll(5, TimeUnit.SECONDS)).as("the upstream's stream was closed, not left running")
                .isEqualTo("closed");
    }
}
