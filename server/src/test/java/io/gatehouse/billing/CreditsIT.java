package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Ledger;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The credit pool over real HTTP: tool calls and API routes charged at their price, free ones free,
 * 402 in both shapes, refunds of failed calls, purchases by the operator and by signed webhook, and
 * after every test the ledger's invariants.
 */
class CreditsIT {
    static final String WEBHOOK_SECRET = WebhookSignatures.newSecret();
    static GatewayNode gw;
    static Http http;
    /** Where charges are kept before the answer: this class runs with the journal, {@link CreditsDatabaseIT} with the database. */
    static String charges;

    @BeforeAll
    static void start() {
        startWith("journal");
    }

    static void startWith(String chargesIn) {
        charges = chargesIn;
        Map<String, String> settings = new HashMap<>();
        settings.put("credits.charges", chargesIn);
        settings.put("plans.default", "free");
        settings.put("plans.free.credits", "20");
        settings.put("plans.big.credits", "1000");
        settings.put("plans.huge.credits", "1000000");
        settings.put("credits.min-lease", "5");
        settings.put("credits.webhook-secret", WEBHOOK_SECRET);
        gw = GatewayNode.start(settings);
        http = new Http(gw.node.server.publicUrl());
        patchServer(gw.demoServerId, Map.of("credit_cost", 3, "costs", Map.of("echo", 7)));
        patchServer(gw.jobsServerId, Map.of("credit_cost", 0, "costs", Map.of("/generate", 10)));
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @AfterEach
    void ledgerHolds() {
        gw.node.server.services().billing().credits().flush();
        Ledger.check(gw.node.server.services().db());
    }

    static void patchServer(String id, Map<String, Object> body) {
        TestNode.ok(gw.node.http.send("PATCH", "/v1/servers/" + id, TestNode.auth(gw.node.adminKey), body), 200);
    }

    record Account(String org, String user, String key) {
    }

    static Account account(String email, String plan) {
        String user = gw.node.createUser(email);
        String org = gw.node.createOrg("Org of " + email, plan, user);
        return new Account(org, user, gw.node.createKey(org, user, Map.of()).path("key").asText());
    }

    static long balance(String org) {
        return TestNode.ok(gw.node.http.get("/v1/orgs/" + org + "/credits", gw.node.adminKey), 200)
                .path("balance").asLong();
    }

    static Http.Response generate(String key) {
        return generate(key, "/api/v1/generate");
    }

    static Http.Response generate(String key, String path) {
        return http.send("POST", path, Map.of("Authorization", "Bearer " + key,
                "Content-Type", "application/json"), Map.of("prompt", "a lighthouse"));
    }

    @Test
    void toolCallsAreChargedAtTheirPriceAndTheRestOfMcpIsFree() {
        Account a = account("tools@credits.test", "free");
        Mcp mcp = gw.mcp(a.key());
        assertThat(mcp.initialize().status()).isEqualTo(200);
        assertThat(mcp.toolNames()).contains("echo");
        assertThat(balance(a.org())).as("initialize and tools/list are free").isEqualTo(20);

        Mcp.Answer first = mcp.callTool("echo", Map.of("text", "one"));
        assertThat(first.last().path("result").isObject()).as(first.body()).isTrue();
        assertThat(mcp.callTool("echo", Map.of("text", "two")).last().has("result")).isTrue();
        assertThat(balance(a.org())).isEqualTo(6);

        Mcp.Answer unpaid = mcp.callTool("echo", Map.of("text", "three"));
        assertThat(unpaid.status()).as("an MCP client reads JSON-RPC").isEqualTo(200);
        JsonNode error = unpaid.last().path("error");
        assertThat(error.path("code").asInt()).as(unpaid.body()).isEqualTo(-32402);
        assertThat(error.path("data").path("reason").asText()).isEqualTo("insufficient_credits");
        assertThat(error.path("data").path("balance").asLong()).isEqualTo(6);
        assertThat(error.path("data").path("cost").asLong()).isEqualTo(7);
        assertThat(error.path("message").asText()).contains("costs 7");
        assertThat(balance(a.org())).as("a refused call spends nothing").isEqualTo(6);
        gw.node.server.services().billing().credits().flush();
        assertThat(Ledger.charged(gw.node.server.services().db(), a.org())).isEqualTo(14);
    }

    /**
     * Leases of 5 spent 3 at a time each keep 2 that no call of 3 can use. A node that runs out must
     * pay with those remainders and what the pool holds together, not answer 402 while the
     * organization's credits sit in its own leases: of 20 credits, six calls of 3 are paid, and only
     * the seventh, with 2 left, is refused.
     */
    @Test
    void remaindersOfSmallLeasesPayTogetherBeforeA402() {
        Account a = account("remainders@credits.test", "free");
        Mcp mcp = gw.mcp(a.key());
        assertThat(mcp.initialize().status()).isEqualTo(200);
        int paid = 0;
        JsonNode refusal = null;
        for (int i = 0; i < 10 && refusal == null; i++) {
            Mcp.Answer add = mcp.callTool("add", Map.of("a", i, "b", 1));
            if (add.last().has("result")) {
                paid++;
            } else {
                refusal = add.last().path("error");
            }
        }
        assertThat(refusal).as("the pool runs out").isNotNull();
        assertThat(refusal.path("code").asInt()).as(refusal.toString()).isEqualTo(-32402);
        assertThat(paid).as("every whole 3 of the 20 credits paid for a call").isEqualTo(6);
        assertThat(refusal.path("data").path("balance").asLong()).isEqualTo(2);
        assertThat(balance(a.org())).isEqualTo(2);
    }

    /**
     * Leases follow the spending as it happens, not ten seconds later: calls at the pace of one
     * client (about a millisecond each here) spend a first lease of the minimum at once, and the
     * next is sized to that pace, so 60 calls take a few leases, not one each (a node at thousands
     * of calls a second used to take a lease a millisecond until its next renewal tick).
     */
    @Test
    void aBurstOfCallsIsLeasedForAtItsPaceNotOneLeaseACall() {
        Account a = account("burst@credits.test", "huge");
        for (int i = 0; i < 60; i++) {
            assertThat(generate(a.key()).status()).isEqualTo(202);
        }
        gw.node.server.services().billing().credits().flush();
        assertThat(Ledger.charged(gw.node.server.services().db(), a.org())).isEqualTo(600);
        List<JsonNode> leases = ledger(a.org()).stream().filter(r -> r.path("kind").asText().equals("lease")).toList();
        assertThat(leases).as("leases taken for 60 calls of 10").hasSizeBetween(1, 3);
        assertThat(leases).as("the first: the least one call needs")
                .anyMatch(l -> l.path("pool_delta").asLong() == -10);
        assertThat(balance(a.org())).isEqualTo(1_000_000 - 600);
    }

    /**
     * A call whose node's leases are empty while a top-up is leasing the pool's last credits waits
     * for that top-up rather than answering 402 (a race CI once caught: 20 credits, calls of 7, the
     * first lease exactly 7, the top-up and the second call both leasing 7 of the 13 left).
     */
    @Test
    void aCallRacingATopUpWaitsForItInsteadOfAnswering402() {
        CreditPool pool = gw.node.server.services().billing().credits();
        for (int i = 0; i < 30; i++) {
            Account a = account("race" + i + "@credits.test", "free");
            CreditPool.Charge first = pool.take(a.org(), 7, null, gw.demoServerId, "echo");
            CreditPool.Charge second = pool.take(a.org(), 7, null, gw.demoServerId, "echo");
            assertThat(pool.record(first, null, gw.demoServerId, "echo").join()).isTrue();
            assertThat(pool.record(second, null, gw.demoServerId, "echo").join()).isTrue();
            assertThat(balance(a.org())).as("org %d", i).isEqualTo(6);
        }
    }

    /**
     * Leases spent and closed by the ticker while four threads take charges from them: every charge
     * taken reaches its lease before the lease closes (none arrives late, to be taken from the pool),
     * and the ledger counts each once. With the journal this is the reservation handshake of
     * {@link CreditPool#takeFromMemory}; with the database, the count of charges in flight. A stress
     * check, not a proof: it fails at once if a closer stops waiting for the charges before it, while
     * the handshake's own window (nanoseconds) is rarely hit.
     */
    @Test
    void leasesClosedWhileChargesAreTakenLeaveNoChargeBehind() throws Exception {
        Account a = account("closing-" + charges + "@credits.test", "big");
        CreditPool pool = gw.node.server.services().billing().credits();
        java.util.concurrent.atomic.AtomicLong taken = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> takers = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
            takers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 200; i++) {
                    CreditPool.Charge charge = pool.take(a.org(), 1, null, gw.demoServerId, "echo");
                    if (pool.record(charge, null, gw.demoServerId, "echo").join()) {
                        taken.incrementAndGet();
                    }
                }
            }));
        }
        Thread closer = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                pool.tick(); // closes every lease found spent
            }
        });
        for (Thread taker : takers) {
            taker.join(60_000);
        }
        done.set(true);
        closer.join(10_000);
        pool.flush();
        var db = gw.node.server.services().db();
        long leases = db.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM credit_leases WHERE org_id = :org")
                .bind("org", a.org()).mapTo(Long.class).one());
        assertThat(leases).as("leases taken and closed under way").isGreaterThan(2);
        long late = db.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM credit_ledger WHERE org_id = :org "
                + "AND kind = 'charge' AND lease_id IS NULL").bind("org", a.org()).mapTo(Long.class).one());
        assertThat(late).as("charges that reached a closed lease").isZero();
        assertThat(Ledger.charged(db, a.org())).isEqualTo(taken.get());
        assertThat(taken.get()).as("the pool held enough for every call").isEqualTo(800);
    }

    /**
     * The handshake's own window, made to happen: a taker finds a lease open, and before it announces
     * its charge a closer marks the lease closing and closes it in the store. The taker must then see
     * it closing and charge another lease, leaving nothing to reach the closed one (a charge that
     * does is taken from the pool itself: a ledger row without a lease). Fails if the taker stops
     * looking at {@code closing} after its announcement.
     */
    @Test
    void aLeaseClosedBetweenATakersLookAndItsChargeIsNotCharged() throws Exception {
        Account a = account("window-" + charges + "@credits.test", "big");
        CreditPool pool = gw.node.server.services().billing().credits();
        CreditPool.Charge first = pool.take(a.org(), 1, null, gw.demoServerId, "echo");
        assertThat(pool.record(first, null, gw.demoServerId, "echo").join()).isTrue();
        java.util.concurrent.CountDownLatch looked = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Thread> taker = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<CreditPool.Charge> second = new java.util.concurrent.atomic.AtomicReference<>();
        pool.beforeAnnouncing = () -> {
            if (Thread.currentThread() == taker.get() && looked.getCount() > 0) {
                looked.countDown();
                try {
                    closed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try {
            taker.set(Thread.ofPlatform().unstarted(() -> {
                CreditPool.Charge charge = pool.take(a.org(), 1, null, gw.demoServerId, "echo");
                if (pool.record(charge, null, gw.demoServerId, "echo").join()) {
                    second.set(charge);
                }
            }));
            taker.get().start();
            assertThat(looked.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the taker found the lease").isTrue();
            first.held().expiresAt = 0; // the closer's next tick takes it for expired
            pool.tick();
            var db = gw.node.server.services().db();
            Long closedAt = db.withHandle(h -> h.createQuery("SELECT closed_at FROM credit_leases WHERE id = :id")
                    .bind("id", first.leaseId()).mapTo(Long.class).one());
            assertThat(closedAt).as("closed while the taker waited").isNotNull();
            closed.countDown();
            taker.get().join(10_000);
            assertThat(second.get()).as("the taker's charge").isNotNull();
            assertThat(second.get().leaseId()).as("taken from a lease still open").isNotEqualTo(first.leaseId());
            pool.flush();
            long late = db.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM credit_ledger WHERE org_id = :org "
                    + "AND kind = 'charge' AND lease_id IS NULL").bind("org", a.org()).mapTo(Long.class).one());
            assertThat(late).as("charges that reached the closed lease").isZero();
            assertThat(Ledger.charged(db, a.org())).isEqualTo(2);
        } finally {
            pool.beforeAnnouncing = null;
            closed.countDown();
        }
    }

    /**
     * The balance is the pool plus its open leases, read as one: while another node takes leases
     * from the pool and gives them back, every read of it is the same. Read in two statements, a
     * PostgreSQL transaction saw a lease taken between them twice (and one returned, not at all).
     */
    @Test
    void theBalanceReadsThePoolAndItsLeasesAsOne() throws Exception {
        Account a = account("balance-" + charges + "@credits.test", "big");
        CreditPool pool = gw.node.server.services().billing().credits();
        var db = gw.node.server.services().db();
        assertThat(pool.balance(a.org())).isEqualTo(1000);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger leases = new java.util.concurrent.atomic.AtomicInteger();
        Thread otherNode = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                String lease = db.inTransaction(h -> pool.store().lease(h, a.org(), 1, 100, "node_other",
                        Instant.now(), java.time.Duration.ofSeconds(30))).orElseThrow().id();
                db.inTransaction(h -> pool.store().close(h, lease, Instant.now(), "returned (test)"));
                leases.incrementAndGet();
            }
        });
        java.util.Set<Long> seen = new java.util.TreeSet<>();
        try {
            long deadline = System.nanoTime() + 3_000_000_000L;
            for (int i = 0; i < 2000 && System.nanoTime() < deadline; i++) {
                seen.add(pool.balance(a.org()));
            }
        } finally {
            done.set(true);
            otherNode.join(10_000);
        }
        assertThat(leases.get()).as("leases taken and returned meanwhile").isGreaterThan(10);
        assertThat(seen).as("every balance read while leases came and went").containsExactly(1000L);
    }

    /** The longest tool name a call may give (256 characters) is charged and counted under it, on both engines. */
    @Test
    void aToolNameOfTheLongestAllowedIsChargedAndCountedUnderIt() {
        Account a = account("long-tool-" + charges + "@credits.test", "big");
        String tool = "t".repeat(256);
        Mcp mcp = gw.mcp(a.key());
        assertThat(mcp.initialize().status()).isEqualTo(200);
        assertThat(mcp.callTool(tool, Map.of()).status()).isEqualTo(200);
        var services = gw.node.server.services();
        services.billing().credits().flush();
        services.billing().usage().flush();
        var db = services.db();
        List<String> charged = db.withHandle(h -> h.createQuery("SELECT tool FROM credit_ledger WHERE org_id = :org "
                + "AND kind = 'charge'").bind("org", a.org()).mapTo(String.class).list());
        assertThat(charged).as("its charge, under its name").containsExactly(tool);
        List<String> counted = db.withHandle(h -> h.createQuery("SELECT tool FROM usage_minutes WHERE org_id = :org")
                .bind("org", a.org()).mapTo(String.class).list());
        assertThat(counted).as("its usage, under its name").contains(tool);
    }

    @Test
    void anApiRouteIsChargedByPrefixAndAnExhaustedPoolIsA402() {
        Account a = account("api@credits.test", "free");
        assertThat(generate(a.key()).status()).isEqualTo(202);
        // Path parameters are no way around a price: the upstream (a servlet container) drops them
        Http.Response withParameter = generate(a.key(), "/api/v1/generate;x");
        assertThat(withParameter.status()).as(withParameter.text()).isEqualTo(202);
        assertThat(balance(a.org())).as("charged the route's 10, not the server's 0").isZero();
        for (String spelled : List.of("/api/v1/GENERATE", "/api/v1/generate;a=b", "/api/v1/Generate/")) {
            Http.Response r = generate(a.key(), spelled);
            assertThat(r.status()).as(spelled).isEqualTo(402); // nor is its case
            assertThat(r.json().path("error").path("cost").asLong()).as(spelled).isEqualTo(10);
        }
        Http.Response refused = generate(a.key());
        assertThat(refused.status()).as(refused.text()).isEqualTo(402);
        JsonNode error = refused.json().path("error");
        assertThat(error.path("code").asText()).isEqualTo("payment_required");
        assertThat(error.path("reason").asText()).isEqualTo("insufficient_credits");
        assertThat(error.path("balance").asLong()).isZero();
        assertThat(error.path("cost").asLong()).isEqualTo(10);
        assertThat(error.path("request_id").asText()).isNotEmpty();

        Http.Response poll = http.send("GET", "/api/v1/jobs/none", TestNode.auth(a.key()), null); // a poll: owner checked first
        assertThat(poll.status()).as("a free route, refused for its own reason").isEqualTo(404);
    }

    @Test
    void aCallRefusedEarlierInTheDoorSpendsNothing() {
        Account a = account("refused@credits.test", "free");
        Http.Response badKey = generate(a.key() + "x");
        assertThat(badKey.status()).isEqualTo(401);
        String readOnly = gw.node.createKey(a.org(), a.user(), Map.of("permissions", List.of("api:read")))
                .path("key").asText();
        assertThat(generate(readOnly).status()).isEqualTo(403);
        assertThat(balance(a.org())).isEqualTo(20);
    }

    @Test
    void aCallTheUpstreamFailsIsRefunded() throws Exception {
        JsonNode broken = gw.unreachableServer("broken", Map.of("credit_cost", 4));
        try {
            Account a = account("refund@credits.test", "free");
            Http.Response failed = http.send("GET", "/api/broken/anything", TestNode.auth(a.key()), null);
            assertThat(failed.status()).as(failed.text()).isEqualTo(502);
            // The refund is written after the charge; the 502 (Gatehouse's own answer) waits for neither when
            // journaled, and for the charge alone with charges=database (ChargeBeforeAnswerIT).
            long deadline = System.nanoTime() + 5_000_000_000L;
            List<String> kinds;
            while ((kinds = gw.node.server.services().db().withHandle(h -> h.createQuery(
                    "SELECT kind FROM credit_ledger WHERE org_id = :org AND kind IN ('charge', 'refund') ORDER BY id")
                    .bind("org", a.org()).mapTo(String.class).list())).size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(kinds).containsExactlyInAnyOrder("charge", "refund"); // one batch, when journaled
            assertThat(balance(a.org())).isEqualTo(20);
        } finally {
            gw.node.http.send("DELETE", "/v1/servers/" + broken.path("id").asText(), TestNode.auth(gw.node.adminKey),
                    null);
        }
    }

    /**
     * An answer that breaks off after its head is no answer: an API's body cut short, an MCP server's
     * event stream that ends before the tool's result. Refunded, and counted as a server error; the
     * same call answered whole is charged.
     */
    @Test
    void anAnswerCutOffAfterItsHeadIsRefunded() throws Exception {
        String sse = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        String progress = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                + "\"params\":{\"progressToken\":1,\"progress\":1}}\n\n";
        try (io.gatehouse.testing.RawUpstream up = io.gatehouse.testing.RawUpstream.start((n, head, out) -> {
            if (head.startsWith("GET /base/whole")) {
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                return true;
            }
            if (head.startsWith("GET /base/cut")) { // 100 bytes promised, 10 sent
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".getBytes(StandardCharsets.US_ASCII));
            } else { // an MCP tools/call: the stream starts, then ends without the result
                out.write((sse + Integer.toHexString(progress.length()) + "\r\n" + progress + "\r\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
            Thread.sleep(200); // the head and the piece reach the client before the connection ends
            return false;
        })) {
            JsonNode api = gw.node.createServer(Map.of("name", "cut api", "slug", "cut-api", "kind", "http",
                    "upstream_url", up.url("/base").toString(), "credit_cost", 4));
            JsonNode mcp = gw.node.createServer(Map.of("name", "cut mcp", "slug", "cut-mcp",
                    "upstream_url", up.url("/mcp").toString(), "credit_cost", 4));
            try {
                Account a = account("cut@credits.test", "free");
                java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
                java.net.http.HttpRequest cut = java.net.http.HttpRequest.newBuilder(gw.url("/api/cut-api/cut"))
                        .header("Authorization", "Bearer " + a.key()).timeout(java.time.Duration.ofSeconds(10)).build();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.send(cut,
                        java.net.http.HttpResponse.BodyHandlers.ofString())).as("the client sees the cut")
                        .isInstanceOf(java.io.IOException.class);
                java.net.http.HttpRequest call = java.net.http.HttpRequest.newBuilder(gw.url("/mcp/cut-mcp"))
                        .header("Authorization", "Bearer " + a.key()).header("Content-Type", "application/json")
                        .header("Accept", "application/json, text/event-stream").timeout(java.time.Duration.ofSeconds(10))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,"
                                + "\"method\":\"tools/call\",\"params\":{\"name\":\"slow\",\"arguments\":{}}}"))
                        .build();
                try {
                    String body = client.send(call, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    assertThat(body).as("no result came").doesNotContain("\"result\"");
                } catch (java.io.IOException expected) {
                    // the stream was cut: the client may see it so
                }
                assertThat(balance(a.org())).as("both refunded").isEqualTo(20);
                assertThat(http.get("/api/cut-api/whole", a.key()).status()).isEqualTo(200);
                assertThat(balance(a.org())).as("an answer that ends is charged").isEqualTo(16);
                gw.node.server.services().billing().usage().flush();
                JsonNode usage = TestNode.ok(gw.node.http.get("/v1/orgs/" + a.org() + "/usage/summary?group_by=server",
                        gw.node.adminKey), 200).path("data");
                long serverErrors = 0;
                long ok = 0;
                for (JsonNode row : usage) {
                    serverErrors += row.path("server_errors").asLong();
                    ok += row.path("calls").asLong() - row.path("client_errors").asLong() - row.path("server_errors").asLong()
                            - row.path("rate_limited").asLong() - row.path("unpaid").asLong();
                }
                assertThat(serverErrors).as(usage.toString()).isEqualTo(2);
                assertThat(ok).as(usage.toString()).isEqualTo(1);
            } finally {
                for (JsonNode server : List.of(api, mcp)) {
                    gw.node.http.send("DELETE", "/v1/servers/" + server.path("id").asText(),
                            TestNode.auth(gw.node.adminKey), null);
                }
            }
        }
    }

    @Test
    void theOperatorAddsCreditsOncePerIdempotencyKey() {
        Account a = account("buyer@credits.test", "free");
        Map<String, Object> purchase = Map.of("credits", 500, "idempotency_key", "order-1001");
        Http.Response first = gw.node.http.post("/v1/orgs/" + a.org() + "/credits", gw.node.adminKey, purchase);
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        assertThat(first.json().path("balance").asLong()).isEqualTo(520);
        assertThat(first.json().path("purchased").asLong()).isEqualTo(500);
        Http.Response again = gw.node.http.post("/v1/orgs/" + a.org() + "/credits", gw.node.adminKey, purchase);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("added").asBoolean()).isFalse();
        assertThat(balance(a.org())).isEqualTo(520);
        for (Map<String, Object> other : List.<Map<String, Object>>of(
                Map.of("credits", 700, "idempotency_key", "order-1001"),
                Map.of("kind", "adjustment", "credits", 500, "idempotency_key", "order-1001"))) {
            Http.Response reused = gw.node.http.post("/v1/orgs/" + a.org() + "/credits", gw.node.adminKey, other);
            assertThat(reused.status()).as("another change under a used key is a mistake, not a retry: " + reused.text())
                    .isEqualTo(409);
            assertThat(reused.json().path("error").path("reason").asText()).isEqualTo("idempotency_key_reused");
            assertThat(reused.json().path("error").path("message").asText()).contains("a purchase of 500 credits");
        }
        assertThat(balance(a.org())).isEqualTo(520);
        JsonNode org = TestNode.ok(gw.node.http.get("/v1/orgs/" + a.org(), gw.node.adminKey), 200);
        assertThat(org.path("credits_purchased_at").isTextual()).isTrue();

        String ownerKey = gw.node.createKey(Map.of("organization_id", a.org(), "user_id", a.user(), "name", "admin",
                "permissions", List.of("admin:read", "admin:write"))).path("key").asText();
        Http.Response byOwner = gw.node.http.post("/v1/orgs/" + a.org() + "/credits", ownerKey,
                Map.of("credits", 1_000_000, "idempotency_key", "free-money"));
        assertThat(byOwner.status()).as("credits are what the operator sells").isEqualTo(403);
        assertThat(TestNode.ok(gw.node.http.get("/v1/orgs/" + a.org() + "/credits", ownerKey), 200)
                .path("balance").asLong()).as("the owner reads the pool").isEqualTo(520);

        Http.Response tooMuch = gw.node.http.post("/v1/orgs/" + a.org() + "/credits", gw.node.adminKey,
                Map.of("credits", -501, "kind", "adjustment", "idempotency_key", "oops"));
        assertThat(tooMuch.status()).as(tooMuch.text()).isEqualTo(409);
        assertThat(tooMuch.json().path("error").path("reason").asText()).isEqualTo("insufficient_credits");
        JsonNode ledger = TestNode.ok(gw.node.http.get("/v1/orgs/" + a.org() + "/credits/ledger", ownerKey), 200);
        List<String> movements = new java.util.ArrayList<>();
        ledger.path("data").forEach(m -> movements.add(m.path("kind").asText() + " " + m.path("pool_delta").asLong()));
        assertThat(movements).as("the first cycle's allocation, then the one purchase")
                .containsExactlyInAnyOrder("grant 20", "purchase 500");
    }

    /** {@code GET /v1/orgs/{id}/credits}, as the operator reads it. */
    static JsonNode pool(String org) {
        return TestNode.ok(gw.node.http.get("/v1/orgs/" + org + "/credits", gw.node.adminKey), 200);
    }

    /** The organization's ledger through the API, newest first. */
    static List<JsonNode> ledger(String org) {
        List<JsonNode> rows = new java.util.ArrayList<>();
        TestNode.ok(gw.node.http.get("/v1/orgs/" + org + "/credits/ledger?limit=1000", gw.node.adminKey), 200)
                .path("data").forEach(rows::add);
        return rows;
    }

    static List<Long> deltas(List<JsonNode> rows, String kind) {
        return rows.stream().filter(r -> r.path("kind").asText().equals(kind)).map(r -> r.path("pool_delta").asLong())
                .toList();
    }

    /**
     * The allocation refills on its cycle (docs/billing.md, "The credit pool"): what is left of it
     * lapses (an {@code expire} row), the plan's allocation is granted again, purchased credits are
     * kept, and the next cycle is counted from the pool's first use, starting where the last one
     * ended (or, after cycles nobody read it in, at the last boundary). Two months are not waited for:
     * the pool's cycle is moved 61 days back in the database, which is what the pool sees when 61
     * days have passed.
     */
    @Test
    void theAllocationRefillsOnItsCycleTheRestLapsesAndPurchasedCreditsAreKept() {
        Account a = account("refill@credits.test", "free");
        JsonNode first = pool(a.org());
        assertThat(first.path("allocation").asLong()).isEqualTo(20);
        Instant firstEnds = Instant.parse(first.path("cycle_ends_at").asText());
        assertThat(java.time.Duration.between(Instant.parse(first.path("cycle_started_at").asText()), firstEnds))
                .as("credits.cycle: 30 days by default").isEqualTo(java.time.Duration.ofDays(30));

        // Two calls of 7 are paid from the allocation; the third finds 6 left and is refused, and with that
        // this node's leases of the pool are all spent or given back: the 6 are in the pool itself.
        Mcp mcp = gw.mcp(a.key());
        assertThat(mcp.initialize().status()).isEqualTo(200);
        assertThat(mcp.callTool("echo", Map.of("text", "one")).last().has("result")).isTrue();
        assertThat(mcp.callTool("echo", Map.of("text", "two")).last().has("result")).isTrue();
        Mcp.Answer unpaid = mcp.callTool("echo", Map.of("text", "three"));
        assertThat(unpaid.last().path("error").path("code").asInt()).as(unpaid.body()).isEqualTo(-32402);
        JsonNode spent = pool(a.org());
        assertThat(spent.path("allocation").asLong()).as(spent.toString()).isEqualTo(6);
        assertThat(spent.path("in_leases").asLong()).as(spent.toString()).isZero();
        Http.Response bought = gw.node.http.post("/v1/orgs/" + a.org() + "/credits", gw.node.adminKey,
                Map.of("credits", 50, "idempotency_key", "refill-order-1"));
        assertThat(bought.status()).as(bought.text()).isEqualTo(201);
        assertThat(bought.json().path("balance").asLong()).isEqualTo(56);

        // 61 days pass (emulated): the first cycle ended 31 days ago, the second (unread) a day ago.
        var db = gw.node.server.services().db();
        long day = java.time.Duration.ofDays(1).toMillis();
        int moved = db.inTransaction(h -> h.createUpdate("UPDATE credit_pools SET cycle_started_at = "
                        + "cycle_started_at - :back, cycle_ends_at = cycle_ends_at - :back WHERE org_id = :org")
                .bind("back", 61 * day).bind("org", a.org()).execute());
        assertThat(moved).isEqualTo(1);
        Instant ended = firstEnds.minus(java.time.Duration.ofDays(31)); // the second cycle's end

        Instant read = Instant.now();
        JsonNode refilled = pool(a.org());
        assertThat(refilled.path("allocation").asLong()).as("the plan's allocation again: " + refilled)
                .isEqualTo(20);
        assertThat(refilled.path("purchased").asLong()).as("purchased credits are kept").isEqualTo(50);
        assertThat(refilled.path("in_leases").asLong()).isZero();
        assertThat(refilled.path("balance").asLong()).isEqualTo(70);
        assertThat(Instant.parse(refilled.path("cycle_started_at").asText()))
                .as("the cycle under way starts where the last ended: counted from the pool's first use")
                .isEqualTo(ended);
        assertThat(Instant.parse(refilled.path("cycle_ends_at").asText()))
                .isEqualTo(ended.plus(java.time.Duration.ofDays(30))).isAfter(read);

        List<JsonNode> rows = ledger(a.org());
        assertThat(deltas(rows, "expire")).as("the 6 left of the allocation lapse").containsExactly(-6L);
        assertThat(deltas(rows, "grant")).as("the first cycle's grant and the new one").containsExactly(20L, 20L);
        assertThat(deltas(rows, "purchase")).containsExactly(50L);
        JsonNode expire = rows.stream().filter(r -> r.path("kind").asText().equals("expire")).findFirst().orElseThrow();
        assertThat(expire.path("note").asText()).contains("lapsed");
        Instant readMillis = read.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        assertThat(Instant.parse(expire.path("created_at").asText())).as("written by that read")
                .isAfterOrEqualTo(readMillis);
        assertThat(rows.stream().filter(r -> r.path("kind").asText().equals("grant"))
                .map(r -> Instant.parse(r.path("created_at").asText())).filter(at -> !at.isBefore(readMillis)).count())
                .as("one grant written by that read").isEqualTo(1);
        assertThat(rows.stream().mapToLong(r -> r.path("pool_delta").asLong()).sum())
                .as("the balance is the sum of the ledger").isEqualTo(70);

        // Read again in the same cycle: nothing more lapses, nothing more is granted.
        assertThat(pool(a.org()).path("balance").asLong()).isEqualTo(70);
        List<JsonNode> again = ledger(a.org());
        assertThat(deltas(again, "grant")).hasSize(2);
        assertThat(deltas(again, "expire")).hasSize(1);
        // The new allocation pays, before purchased credits do: a lease takes the allocation first, and
        // purchased credits only for what the allocation does not hold (a lease gives them back first).
        assertThat(mcp.callTool("echo", Map.of("text", "four")).last().has("result")).isTrue();
        JsonNode after = pool(a.org());
        assertThat(after.path("balance").asLong()).as(after.toString()).isEqualTo(63);
        List<Map<String, Object>> open = db.withHandle(h -> h.createQuery("SELECT from_allocation, from_purchased "
                + "FROM credit_leases WHERE org_id = :org AND closed_at IS NULL").bind("org", a.org()).mapToMap().list());
        long leasedFromPurchased = open.stream().mapToLong(l -> ((Number) l.get("from_purchased")).longValue()).sum();
        assertThat(after.path("allocation").asLong()).as("the allocation is leased first: " + open).isZero();
        assertThat(after.path("purchased").asLong() + leasedFromPurchased).as("purchased credits, all there: " + open)
                .isEqualTo(50);
    }

    private static Http.Response webhook(byte[] body, Map<String, String> headers) {
        Map<String, String> all = new HashMap<>(headers);
        all.put("Content-Type", "application/json");
        return http.send("POST", "/v1/webhooks/credits", all, new String(body, StandardCharsets.UTF_8));
    }

    @Test
    void aSignedWebhookPurchaseIsAppliedOnceAndABadSignatureChangesNothing() {
        Account a = account("webhook@credits.test", "free");
        byte[] body = ("{\"type\":\"credits.purchased\",\"data\":{\"organization_id\":\"" + a.org()
                + "\",\"credits\":300}}").getBytes(StandardCharsets.UTF_8);
        Map<String, String> signed = WebhookSignatures.sign(WEBHOOK_SECRET, "msg_order_77", Instant.now(), body);

        Map<String, String> forged = new HashMap<>(signed);
        forged.put("webhook-signature", WebhookSignatures.sign(WebhookSignatures.newSecret(), "msg_order_77",
                Instant.now(), body).get("webhook-signature"));
        Http.Response bad = webhook(body, forged);
        assertThat(bad.status()).as(bad.text()).isEqualTo(401);
        assertThat(bad.json().path("error").path("reason").asText()).isEqualTo("bad_signature");
        assertThat(balance(a.org())).isEqualTo(20);

        byte[] tampered = new String(body, StandardCharsets.UTF_8).replace("300", "300000").getBytes(StandardCharsets.UTF_8);
        assertThat(webhook(tampered, signed).status()).isEqualTo(401);
        Map<String, String> old = WebhookSignatures.sign(WEBHOOK_SECRET, "msg_order_78",
                Instant.now().minusSeconds(3600), body);
        assertThat(webhook(body, old).status()).as("outside the replay window").isEqualTo(401);
        assertThat(balance(a.org())).isEqualTo(20);

        Http.Response ok = webhook(body, signed);
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
        assertThat(ok.json().path("applied").asBoolean()).isTrue();
        Http.Response replayed = webhook(body, signed);
        assertThat(replayed.status()).isEqualTo(200);
        assertThat(replayed.json().path("applied").asBoolean()).isFalse();
        assertThat(balance(a.org())).isEqualTo(320);
        byte[] more = new String(body, StandardCharsets.UTF_8).replace("300", "900").getBytes(StandardCharsets.UTF_8);
        Http.Response sameIdMore = webhook(more, WebhookSignatures.sign(WEBHOOK_SECRET, "msg_order_77", Instant.now(), more));
        assertThat(sameIdMore.status()).as("one message id is one payment, whatever it says later").isEqualTo(200);
        assertThat(sameIdMore.json().path("applied").asBoolean()).isFalse();
        assertThat(balance(a.org())).isEqualTo(320);

        byte[] huge = ("{\"type\":\"credits.purchased\",\"data\":{\"organization_id\":\"" + a.org()
                + "\",\"credits\":18446744073709551617}}").getBytes(StandardCharsets.UTF_8); // 2^64 + 1, not 1
        Http.Response tooMany = webhook(huge, WebhookSignatures.sign(WEBHOOK_SECRET, "msg_huge", Instant.now(), huge));
        assertThat(tooMany.status()).as(tooMany.text()).isEqualTo(400);
        assertThat(balance(a.org())).isEqualTo(320);

        byte[] other = "{\"type\":\"invoice.created\",\"data\":{}}".getBytes(StandardCharsets.UTF_8);
        Http.Response ignored = webhook(other, WebhookSignatures.sign(WEBHOOK_SECRET, "msg_other", Instant.now(), other));
        assertThat(ignored.status()).isEqualTo(200);
        assertThat(ignored.json().path("applied").asBoolean()).isFalse();
    }

    @Test
    void usageIsCountedPerToolAndQueryableByTimeRange() {
        Account a = account("usage@credits.test", "big");
        Mcp mcp = gw.mcp(a.key());
        mcp.initialize();
        for (int i = 0; i < 3; i++) {
            mcp.callTool("echo", Map.of("text", "n" + i));
        }
        assertThat(generate(a.key()).status()).isEqualTo(202);
        String from = Instant.now().minusSeconds(600).toString();
        JsonNode usage = TestNode.ok(gw.node.http.get("/v1/orgs/" + a.org() + "/usage?granularity=day&group_by=tool&from="
                + from, gw.node.adminKey), 200);
        Map<String, JsonNode> byTool = new HashMap<>();
        usage.path("data").forEach(row -> byTool.put(row.path("tool").asText(), row));
        assertThat(byTool.get("echo").path("calls").asLong()).as(usage.toString()).isEqualTo(3);
        assertThat(byTool.get("echo").path("credits").asLong()).isEqualTo(21);
        assertThat(byTool.get("").path("credits").asLong()).as("the API call and the free MCP messages")
                .isEqualTo(10);
        Http.Response bad = gw.node.http.get("/v1/orgs/" + a.org() + "/usage?granularity=week", gw.node.adminKey);
        assertThat(bad.status()).isEqualTo(400);
    }

    /**
     * Another node takes this one for dead and returns its lease while this node still spends from
     * it. Journaled, the call was answered (its charge is kept), so the charge is taken from the pool
     * itself when it reaches the database; in the database, it cannot be written, and the answer is
     * withheld. Either way, the node then leaves that lease and takes another.
     */
    @Test
    void aChargeOnALeaseTakenForDeadIsCollectedOrItsAnswerWithheld() throws InterruptedException {
        Account a = account("withheld-" + charges + "@credits.test", "big");
        assertThat(generate(a.key()).status()).isEqualTo(202); // the node now holds a lease of the pool
        var db = gw.node.server.services().db();
        CreditPool credits = gw.node.server.services().billing().credits();
        CreditStore store = credits.store();
        // That call spent its lease of exactly 10 and started a top-up: let it land first, or the
        // top-up's lease, taken after the closing below, would pay for the next call.
        long deadline = System.nanoTime() + 5_000_000_000L;
        // Flushed first on every look: a journaled charge reaches its lease's spent within 0.1 s, and
        // until then the spent lease itself would look like the top-up's.
        while (true) {
            credits.flush();
            long unspent = db.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM credit_leases WHERE org_id = :org "
                    + "AND closed_at IS NULL AND from_allocation + from_purchased > spent").bind("org", a.org())
                    .mapTo(Long.class).one());
            if (unspent > 0) {
                break;
            }
            assertThat(System.nanoTime()).as("the top-up's lease within 5 s").isLessThan(deadline);
            Thread.sleep(10);
        }
        db.inTransaction(h -> {
            for (String lease : h.createQuery("SELECT id FROM credit_leases WHERE org_id = :org AND closed_at IS NULL")
                    .bind("org", a.org()).mapTo(String.class).list()) {
                store.close(h, lease, Instant.now(), "taken for dead (test)");
            }
            return null;
        });
        Http.Response second = generate(a.key());
        if (charges.equals("database")) {
            assertThat(second.status()).as(second.text()).isEqualTo(503);
            assertThat(second.json().path("error").path("reason").asText()).isEqualTo("credits_unavailable");
            assertThat(balance(a.org())).as("nothing charged for it").isEqualTo(1000 - 10);
        } else {
            assertThat(second.status()).as(second.text()).isEqualTo(202);
            assertThat(balance(a.org())).as("charged to the pool after its lease closed").isEqualTo(1000 - 20);
            String note = db.withHandle(h -> h.createQuery("SELECT note FROM credit_ledger WHERE org_id = :org "
                    + "AND kind = 'charge' AND lease_id IS NULL").bind("org", a.org()).mapTo(String.class).one());
            assertThat(note).startsWith("charged after lease");
        }
        long paid = 1000 - balance(a.org());
        assertThat(generate(a.key()).status()).as("the node leaves that lease and takes another").isEqualTo(202);
        assertThat(balance(a.org())).isEqualTo(1000 - paid - 10);
    }
}
