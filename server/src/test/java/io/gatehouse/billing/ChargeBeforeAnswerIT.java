package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.store.Database;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Ledger;
import io.gatehouse.testing.WritesHeld;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With {@code credits.charges=database}, no answer to a charged call leaves before its charge has
 * committed: here Gatehouse's own {@code 502} for an upstream it cannot reach, under
 * {@code credits.refund=never} (so the charge stands). A transaction held open on the leases stands
 * in for a slow database: the client must see nothing until it ends, then the 502, and the charge
 * is in the ledger.
 */
class ChargeBeforeAnswerIT {
    static GatewayNode gw;

    @BeforeAll
    static void start() {
        gw = GatewayNode.start(Map.of("credits.charges", "database", "credits.refund", "never",
                "plans.default", "huge", "plans.huge.credits", "1000000", "credits.min-lease", "1000"));
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void gatehousesOwn502WaitsForTheChargeItStands() throws Exception {
        String user = gw.node.createUser("gated@charges.test");
        String org = gw.node.createOrg("Gated", "huge", user);
        String key = gw.node.createKey(org, user, Map.of()).path("key").asText();
        gw.unreachableServer("unreachable-gated", Map.of("credit_cost", 2));
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(gw.node.server.publicUrl() + "/api/unreachable-gated/x"))
                .header("Authorization", "Bearer " + key).build();
        assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("the first call, which also takes the node a lease").isEqualTo(502);

        Database db = gw.node.server.services().db();
        long before = Ledger.charged(db, org);
        try (WritesHeld held = WritesHeld.on(db, "credit_leases")) { // the charge's update waits
            CompletableFuture<HttpResponse<String>> answer = client.sendAsync(request,
                    HttpResponse.BodyHandlers.ofString());
            try {
                HttpResponse<String> early = answer.get(1500, TimeUnit.MILLISECONDS);
                throw new AssertionError("answered " + early.statusCode() + " before its charge was written: "
                        + early.body());
            } catch (TimeoutException expected) {
                // held back, as it should be
            }
            held.close();
            HttpResponse<String> late = answer.get(30, TimeUnit.SECONDS);
            assertThat(late.statusCode()).as(late.body()).isEqualTo(502);
        }
        assertThat(Ledger.charged(db, org) - before).as("refund=never: the 502's charge stands").isEqualTo(2);
        Ledger.check(db);
    }

    /**
     * An upstream that sends its head and part of a body, then breaks: the whole answer waits for
     * the charge, and once it is in, the client gets the head, the part, and the end of the
     * connection (a cut answer must not look whole). It must not be left waiting for more.
     */
    @Test
    void anAnswerCutShortWhileItsChargeWaitsEndsTheConnection() throws Exception {
        try (java.net.ServerSocket upstream = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofPlatform().daemon().start(() -> {
                for (int i = 0; i < 10; i++) {
                    try (java.net.Socket s = upstream.accept()) {
                        java.io.InputStream in = s.getInputStream();
                        int matched = 0;
                        while (matched < 4) { // the request's head, up to its blank line
                            int b = in.read();
                            if (b < 0) {
                                break;
                            }
                            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
                        }
                        s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n").getBytes(
                                java.nio.charset.StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                        Thread.sleep(200);
                        s.setSoLinger(true, 0); // then broken off: no last chunk
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            String user = gw.node.createUser("cut@charges.test");
            String org = gw.node.createOrg("Cut", "huge", user);
            String key = gw.node.createKey(org, user, Map.of()).path("key").asText();
            gw.node.createServer(Map.of("name", "cut", "slug", "cut", "kind", "http",
                    "upstream_url", "http://127.0.0.1:" + upstream.getLocalPort() + "/", "credit_cost", 1));
            HttpClient client = HttpClient.newHttpClient();
            HttpRequest request = HttpRequest.newBuilder(URI.create(gw.node.server.publicUrl() + "/api/cut/x"))
                    .header("Authorization", "Bearer " + key).build();
            try {
                client.send(request, HttpResponse.BodyHandlers.ofString()); // takes the node a lease
            } catch (java.io.IOException cut) {
                // the answer is cut, as it will be below
            }
            Database db = gw.node.server.services().db();
            CompletableFuture<HttpResponse<String>> answer;
            try (WritesHeld held = WritesHeld.on(db, "credit_leases")) {
                answer = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
                Thread.sleep(1000); // the upstream has answered and broken off meanwhile: all of it is held
                assertThat(answer).as("nothing before the charge is written").isNotDone();
            }
            try {
                HttpResponse<String> whole = answer.get(15, TimeUnit.SECONDS);
                throw new AssertionError("a cut answer came out whole: " + whole.statusCode() + " " + whole.body());
            } catch (java.util.concurrent.ExecutionException cut) {
                assertThat(cut.getCause()).as("the connection ended under the cut answer")
                        .isInstanceOf(java.io.IOException.class);
            }
            server.interrupt();
        }
    }
}
