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
}
