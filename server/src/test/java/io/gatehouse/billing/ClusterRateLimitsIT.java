package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.examples.DemoUpstream;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.RedisServer;
import io.gatehouse.testing.TestDatabase;
import io.gatehouse.testing.TestNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;

/**
 * Rate limits across two nodes on one database: one key hammered through both nodes at once is held
 * to its plan's rate within ±10 %, shared through the database (the default store), and exactly
 * through Redis (the optional store), which a node outlives: with Redis gone, it decides from its own
 * memory rather than failing calls.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterRateLimitsIT {
    static final int RATE = 40; // per second
    static DemoUpstream upstream;
    static RedisServer redis;
    static List<TestNode> shared;
    static List<TestNode> exact;

    @BeforeAll
    static void start() {
        upstream = DemoUpstream.start("127.0.0.1", 0);
        redis = RedisServer.start();
        shared = pair(Map.of());
        exact = pair(Map.of("rate-limits.store", "redis", "rate-limits.redis-url", redis.url()));
    }

    /** Two nodes on one new database, with a plan limited to {@link #RATE} per second and one server. */
    private static List<TestNode> pair(Map<String, String> extra) {
        Path dir = TestNode.tempDir();
        Map<String, String> settings = new HashMap<>(TestDatabase.settings(dir));
        settings.putAll(Map.of("plans.default", "fast", "plans.fast.api-access", "true",
                "plans.fast.key-rate-limit", RATE + "/s", "plans.slow.api-access", "true",
                "plans.slow.key-rate-limit", "3/min", "rate-limits.redis-timeout", "50ms"));
        settings.putAll(extra);
        TestNode a = TestNode.startWith(dir, settings, true);
        TestNode b = TestNode.startWith(TestNode.tempDir(), settings, false);
        a.createServer(Map.of("name", "Up", "slug", "up", "kind", "http", "upstream_url", upstream.baseUrl() + "/api/v1"));
        return List.of(a, b);
    }

    @AfterAll
    static void stop() {
        for (List<TestNode> pair : new ArrayList<>(java.util.Arrays.asList(shared, exact))) {
            if (pair != null) {
                pair.reversed().forEach(TestNode::close);
            }
        }
        if (redis != null) {
            redis.close();
        }
        upstream.close();
    }

    /** A key of a new user's, once both nodes serve the server (the other node learns of it from the database). */
    private static String key(List<TestNode> pair, String email, String plan) {
        TestNode a = pair.getFirst();
        String user = a.createUser(email);
        String org = a.createOrg("Org of " + email, plan, user);
        String warmUp = a.createKey(org, user, Map.of()).path("key").asText();
        for (TestNode node : pair) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (poll(node, warmUp).header("RateLimit-Policy") == null) {
                assertThat(System.nanoTime()).as("node serves the server within 10 s").isLessThan(deadline);
                sleep(50);
            }
            for (int i = 0; i < 50; i++) { // warm: the measured seconds start at full speed
                poll(node, warmUp);
            }
        }
        return a.createKey(org, user, Map.of()).path("key").asText();
    }

    private static Http.Response poll(TestNode node, String key) {
        return node.http.send("GET", "/api/up/nothing-here", TestNode.auth(key), null); // the upstream's 404
    }

    /** What {@code key} got through both nodes, four clients each, for about three seconds. */
    private static double[] hammer(List<TestNode> pair, String key) throws InterruptedException {
        AtomicInteger allowed = new AtomicInteger();
        AtomicInteger limited = new AtomicInteger();
        long start = System.nanoTime();
        long deadline = start + 3_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (TestNode node : pair) {
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 3_000 && System.nanoTime() < deadline; i++) {
                        int status = poll(node, key).status();
                        assertThat(status).isIn(404, 429);
                        (status == 429 ? limited : allowed).incrementAndGet();
                    }
                }));
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(limited.get()).as("the load went past the limit").isPositive();
        return new double[]{allowed.get(), seconds};
    }

    @Test
    void twoNodesHoldOneKeyToItsRateThroughTheDatabase() throws Exception {
        String key = key(shared, "shared@rate.test", "fast");
        double[] got = hammer(shared, key);
        double expected = RATE + RATE * got[1]; // a full bucket, then the rate, whichever node answers
        assertThat(got[0]).as("allowed through two nodes in %.2f s (expected %.0f; one node alone would allow"
                + " about twice that)", got[1], expected).isBetween(expected * 0.9, expected * 1.1);
    }

    @Test
    @Order(1)
    void twoNodesHoldOneKeyToItsRateExactlyThroughRedis() throws Exception {
        String key = key(exact, "exact@rate.test", "fast");
        double[] got = hammer(exact, key);
        double expected = RATE + RATE * got[1];
        assertThat(got[0]).as("allowed through two nodes in %.2f s (expected %.0f)", got[1], expected)
                .isBetween(expected * 0.9, expected * 1.1);
        Http.Response r = poll(exact.getLast(), key);
        assertThat(r.header("RateLimit-Policy")).isEqualTo("\"key\";q=" + RATE + ";w=1");
    }

    @Test
    @Order(2) // after the other Redis test: this one stops Redis
    void withRedisGoneANodeDecidesFromItsOwnMemory() {
        String key = key(exact, "outage@rate.test", "slow");
        redis.close();
        try {
            for (int i = 0; i < 3; i++) {
                Http.Response r = poll(exact.getFirst(), key);
                assertThat(r.status()).as(r.text()).isEqualTo(404); // answered by the upstream, not a 5xx
                assertThat(r.header("RateLimit")).startsWith("\"key\";r=" + (2 - i) + ";");
            }
            Http.Response limited = poll(exact.getFirst(), key);
            assertThat(limited.status()).as("the node's own memory still holds the key to 3/min").isEqualTo(429);
        } finally {
            redis = null; // stopped: stop() must not stop it again
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
