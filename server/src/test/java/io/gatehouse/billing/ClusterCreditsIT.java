package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.examples.DemoUpstream;
import io.gatehouse.testing.Ledger;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.TestDatabase;
import io.gatehouse.testing.TestNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one PostgreSQL hammering one organization's pool from several clients each: every
 * answered tool call is a recorded charge, not one credit is spent twice or overspent, and the
 * ledger's invariants hold. PostgreSQL only: SQLite is the single-node engine.
 */
class ClusterCreditsIT {
    static final int POOL = 1_500;
    static DemoUpstream upstream;
    static TestNode a;
    static TestNode b;

    @BeforeAll
    static void start() {
        assertThat(TestDatabase.isPostgres()).as("this test runs in the PostgreSQL execution").isTrue();
        Map<String, String> shared = new HashMap<>(TestDatabase.postgresSettings(TestDatabase.newPostgresDatabase()));
        shared.put("plans.free.credits", Integer.toString(POOL));
        shared.put("credits.min-lease", "5");
        a = TestNode.startWith(TestNode.tempDir(), shared, true);
        b = TestNode.startWith(TestNode.tempDir(), shared, false);
        upstream = DemoUpstream.start("127.0.0.1", 0);
        a.createServer(Map.of("name", "Demo", "slug", "demo", "kind", "mcp",
                "upstream_url", upstream.mcpUrl().toString(), "credit_cost", 1));
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
        upstream.close();
    }

    @Test
    void twoNodesSpendOnePoolExactlyWithNoOverspend() throws Exception {
        String user = a.createUser("hammer@cluster.test");
        String org = a.createOrg("Hammered", "free", user);
        String key = a.createKey(org, user, Map.of()).path("key").asText();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        long deadline = System.nanoTime() + 90_000_000_000L;
        for (TestNode node : List.of(a, b)) {
            for (int c = 0; c < 4; c++) {
                URI url = node.server.publicUrl().resolve("/mcp/demo");
                clients.add(Thread.ofVirtual().start(() -> {
                    Mcp mcp = Mcp.withKey(url, key);
                    mcp.initialize();
                    for (int i = 0; i < 5_000 && System.nanoTime() < deadline; i++) {
                        JsonNode last = mcp.callTool("echo", Map.of("text", "x")).last();
                        if (last.has("result")) {
                            answered.incrementAndGet();
                        } else if (last.path("error").path("data").path("reason").asText().equals("insufficient_credits")) {
                            refused.incrementAndGet();
                            return; // this node has nothing left, and the pool neither
                        } else {
                            throw new AssertionError(last.toString());
                        }
                    }
                }));
            }
        }
        for (Thread t : clients) {
            t.join();
        }
        a.server.services().billing().credits().flush();
        b.server.services().billing().credits().flush();
        long charged = Ledger.charged(a.server.services().db(), org);
        long balance = TestNode.ok(a.http.get("/v1/orgs/" + org + "/credits", a.adminKey), 200).path("balance").asLong();
        assertThat(refused.get()).as("every client ran the pool dry").isEqualTo(8);
        assertThat(charged).as("every answered call is a recorded charge").isEqualTo(answered.get());
        assertThat(balance).as("not one credit overspent, none lost").isEqualTo(POOL - answered.get())
                .isGreaterThanOrEqualTo(0);
        assertThat(answered.get()).as("the pool was spent, not stranded in leases").isGreaterThan(POOL * 95 / 100);
        Ledger.check(a.server.services().db());
    }
}
