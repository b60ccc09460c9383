package io.gatehouse.gateway;

import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Mcp;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node stops without waiting out its listener's grace period (5 s) for an MCP GET event stream,
 * which never ends by itself: the upstream connection is closed under it a moment after the stop
 * begins, and the stream ends. (Issue 15: shutdown waited the full 5 s.)
 */
class ShutdownIT {

    @Test
    void anOpenEventStreamDoesNotHoldTheShutdown() throws Exception {
        GatewayNode gw = GatewayNode.start();
        try {
            Mcp mcp = gw.mcp(gw.node.adminKey);
            assertThat(mcp.initialize().status()).isEqualTo(200);
            String session = mcp.session().orElseThrow();
            HttpRequest get = HttpRequest.newBuilder(gw.url("/mcp/demo")).GET()
                    .header("Authorization", "Bearer " + gw.node.adminKey).header("Mcp-Session-Id", session)
                    .header("MCP-Protocol-Version", "2025-11-25").header("Accept", "text/event-stream").build();
            // The demo upstream (the MCP Java SDK) sends the stream's head with its first event only: the
            // call is in flight, waiting, as an idle client's stream is.
            java.util.concurrent.CompletableFuture<HttpResponse<InputStream>> stream = HttpClient.newHttpClient()
                    .sendAsync(get, HttpResponse.BodyHandlers.ofInputStream());
            Thread.sleep(1_000);
            assertThat(stream).as("the stream is still open").isNotDone();

            long start = System.nanoTime();
            gw.node.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as("stopping with an event stream open (the listener's grace is 5 s)")
                    .isLessThan(Duration.ofSeconds(4));
            // and the client's call ends, with an answer or a reset, rather than hang
            java.util.concurrent.CompletableFuture<Boolean> ended = stream.handle((r, e) -> {
                if (r != null) {
                    try (InputStream body = r.body()) {
                        body.readAllBytes();
                    } catch (java.io.IOException cut) {
                        // a reset is an end too
                    }
                }
                return true;
            });
            assertThat(ended.get(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            gw.upstream.close();
        }
    }
}
