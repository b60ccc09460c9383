package io.gatehouse.billing;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Ledger;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.RawUpstream;
import io.gatehouse.testing.TestNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code credits.refund}, each of its three values, against upstreams that really fail: one that
 * answers {@code HTTP/1.1 500} with a body (an API route and an MCP tool, both priced), one whose
 * port is closed, and one that reads the request and never answers (past the server's
 * {@code timeout_ms}). {@code failed} gives back all of them; {@code unanswered} only what got no
 * answer; {@code never} none. Each case is read off the balance, exactly, and off the ledger's
 * charge and refund rows for that server; the ledger's invariants hold after each.
 * ({@code failed} with an unreachable upstream is {@link CreditsIT}'s, {@code never} with one
 * {@link ChargeBeforeAnswerIT}'s.)
 */
class RefundRuleIT {
    static final String ERROR_BODY = "{\"error\":\"database on fire\"}";

    /** A node with {@code credits.refund} = {@code rule} (unset: the default), and the upstreams and servers below. */
    static final class Rig implements AutoCloseable {
        final TestNode node;
        final RawUpstream failing;
        final RawUpstream silent;
        final CountDownLatch released = new CountDownLatch(1);
        final Map<String, String> servers = new HashMap<>();
        final String org;
        final String key;

        Rig(String rule) {
            Map<String, String> settings = new HashMap<>(Map.of("plans.default", "paid", "plans.paid.credits", "100",
                    "credits.min-lease", "5"));
            if (rule != null) {
                settings.put("credits.refund", rule);
            }
            node = TestNode.start(settings);
            failing = RawUpstream.start((n, head, out) -> {
                RawUpstream.write(out, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + ERROR_BODY.length() + "\r\n\r\n" + ERROR_BODY);
                return true;
            });
            silent = RawUpstream.start((n, head, out) -> {
                released.await(30, TimeUnit.SECONDS); // reads the request, answers nothing
                return false;
            });
            int closed;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                closed = s.getLocalPort();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            server("api-500", Map.of("kind", "http", "upstream_url", failing.url("/base").toString(), "credit_cost", 4));
            server("mcp-500", Map.of("kind", "mcp", "upstream_url", failing.url("/mcp").toString(),
                    "costs", Map.of("search", 5)));
            server("api-down", Map.of("kind", "http", "upstream_url", "http://127.0.0.1:" + closed + "/",
                    "credit_cost", 4));
            server("api-slow", Map.of("kind", "http", "upstream_url", silent.url("/base").toString(),
                    "credit_cost", 4, "timeout_ms", 1000));
            String user = node.createUser("refunds@refund.test");
            org = node.createOrg("Refunds", "paid", user);
            key = node.createKey(org, user, Map.of()).path("key").asText();
        }

        private void server(String slug, Map<String, Object> fields) {
            Map<String, Object> body = new HashMap<>(fields);
            body.put("name", slug);
            body.put("slug", slug);
            servers.put(slug, node.createServer(body).path("id").asText());
        }

        long balance() {
            return ok(node.http.get("/v1/orgs/" + org + "/credits", node.adminKey), 200).path("balance").asLong();
        }

        Http.Response api(String slug) {
            return node.http.send("GET", "/api/" + slug + "/anything", TestNode.auth(key), null);
        }

        Mcp.Answer tool() {
            return Mcp.withKey(node.server.publicUrl().resolve("/mcp/mcp-500"), key)
                    .callTool("search", Map.of("q", "lighthouses"));
        }

        /** The calls and credits of this server's charge and refund rows: {"charge": [calls, credits], …}. */
        Map<String, List<Long>> movements(String slug) {
            node.server.services().billing().credits().flush();
            Map<String, List<Long>> out = new HashMap<>();
            node.server.services().db().withHandle(h -> h.createQuery("SELECT kind, SUM(calls) AS calls, "
                    + "SUM(CASE WHEN lease_id IS NULL THEN pool_delta ELSE lease_delta END) AS credits FROM credit_ledger "
                    + "WHERE org_id = :org AND server_id = :server AND kind IN ('charge', 'refund') GROUP BY kind")
                    .bind("org", org).bind("server", servers.get(slug)).mapToMap().list())
                    .forEach(r -> out.put((String) r.get("kind"), List.of(((Number) r.get("calls")).longValue(),
                            Math.abs(((Number) r.get("credits")).longValue()))));
            return out;
        }

        /**
         * The server's ledger rows once they are all in: a refund is written after its charge, and the
         * client's answer waits for neither (journaled). A refund that will come is on its way before
         * the client has its answer, so a wait of half a second more shows one that should not.
         */
        Map<String, List<Long>> settled(String slug, boolean refundExpected) throws InterruptedException {
            long deadline = System.nanoTime() + 5_000_000_000L;
            Map<String, List<Long>> m = movements(slug);
            while ((m.isEmpty() || refundExpected && !m.containsKey("refund")) && System.nanoTime() < deadline) {
                Thread.sleep(20);
                m = movements(slug);
            }
            if (!refundExpected) {
                Thread.sleep(500);
                m = movements(slug);
            }
            return m;
        }

        @Override
        public void close() {
            released.countDown();
            try {
                node.server.services().billing().credits().flush();
                Ledger.check(node.server.services().db());
            } finally {
                node.close();
                failing.close();
                silent.close();
            }
        }
    }

    static void answered500(Http.Response r) {
        assertThat(r.status()).as(r.text()).isEqualTo(500);
        assertThat(r.text()).as("the upstream's own answer, passed on").isEqualTo(ERROR_BODY);
    }

    static void answered500(Mcp.Answer a) {
        assertThat(a.status()).as(a.body()).isEqualTo(500);
        assertThat(a.body()).isEqualTo(ERROR_BODY);
    }

    static final Map<String, List<Long>> REFUNDED_4 = Map.of("charge", List.of(1L, 4L), "refund", List.of(1L, 4L));
    static final Map<String, List<Long>> CHARGED_4 = Map.of("charge", List.of(1L, 4L));

    @Test
    void byDefaultA500AndATimeoutAreBothRefunded() throws Exception {
        try (Rig rig = new Rig(null)) {
            assertThat(rig.balance()).isEqualTo(100);
            answered500(rig.api("api-500"));
            assertThat(rig.settled("api-500", true)).isEqualTo(REFUNDED_4);
            assertThat(rig.balance()).as("the 500 refunded").isEqualTo(100);

            answered500(rig.tool());
            assertThat(rig.settled("mcp-500", true)).as("a tool's 500, at the tool's price")
                    .isEqualTo(Map.of("charge", List.of(1L, 5L), "refund", List.of(1L, 5L)));
            assertThat(rig.balance()).isEqualTo(100);

            Http.Response slow = rig.api("api-slow");
            assertThat(slow.status()).as(slow.text()).isEqualTo(504);
            assertThat(slow.reason()).isEqualTo("upstream_timeout");
            assertThat(rig.settled("api-slow", true)).isEqualTo(REFUNDED_4);
            assertThat(rig.balance()).as("every failure given back").isEqualTo(100);
        }
    }

    @Test
    void underUnansweredA500IsChargedButNoAnswerAndATimeoutAreRefunded() throws Exception {
        try (Rig rig = new Rig("unanswered")) {
            answered500(rig.api("api-500"));
            assertThat(rig.settled("api-500", false)).as("a 500 is an answer").isEqualTo(CHARGED_4);
            assertThat(rig.balance()).isEqualTo(96);

            answered500(rig.tool());
            assertThat(rig.settled("mcp-500", false)).isEqualTo(Map.of("charge", List.of(1L, 5L)));
            assertThat(rig.balance()).isEqualTo(91);

            assertThat(rig.api("api-down").status()).isEqualTo(502);
            assertThat(rig.settled("api-down", true)).as("no answer").isEqualTo(REFUNDED_4);
            assertThat(rig.balance()).isEqualTo(91);

            Http.Response slow = rig.api("api-slow");
            assertThat(slow.status()).as(slow.text()).isEqualTo(504);
            assertThat(rig.settled("api-slow", true)).as("no answer in time").isEqualTo(REFUNDED_4);
            assertThat(rig.balance()).isEqualTo(91);

            // Usage agrees: the 500 counted as a server error and charged; the unreachable one not charged.
            rig.node.server.services().billing().usage().flush();
            Map<String, JsonNode> byServer = new HashMap<>();
            ok(rig.node.http.get("/v1/orgs/" + rig.org + "/usage/summary?group_by=server", rig.node.adminKey), 200)
                    .path("data").forEach(r -> byServer.put(r.path("server").asText(), r));
            JsonNode api500 = byServer.get(rig.servers.get("api-500"));
            assertThat(api500.path("server_errors").asLong()).as(byServer.toString()).isEqualTo(1);
            assertThat(api500.path("credits").asLong()).isEqualTo(4);
            JsonNode down = byServer.get(rig.servers.get("api-down"));
            assertThat(down.path("server_errors").asLong()).isEqualTo(1);
            assertThat(down.path("credits").asLong()).isZero();
        }
    }

    @Test
    void underNeverA500AndATimeoutAreBothCharged() throws Exception {
        try (Rig rig = new Rig("never")) {
            answered500(rig.api("api-500"));
            assertThat(rig.settled("api-500", false)).isEqualTo(CHARGED_4);
            answered500(rig.tool());
            assertThat(rig.settled("mcp-500", false)).isEqualTo(Map.of("charge", List.of(1L, 5L)));
            Http.Response slow = rig.api("api-slow");
            assertThat(slow.status()).as(slow.text()).isEqualTo(504);
            assertThat(rig.settled("api-slow", false)).isEqualTo(CHARGED_4);
            assertThat(rig.balance()).isEqualTo(100 - 4 - 5 - 4);
        }
    }
}
