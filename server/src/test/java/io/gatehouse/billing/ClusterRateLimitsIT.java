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

    /**
     * What {@code key} got through both nodes, four clients each, for about three seconds. Every
     * answer is checked as it comes (a failure in a client thread is kept and thrown here): a 404
     * from the upstream or a 429, each with the documented fields (docs/billing.md, RateLimitHeaders).
     * A 429 carries {@code Retry-After}, whole seconds of at least 1, the same seconds as its
     * {@code RateLimit}'s {@code t} and {@code r=0}. An allowed answer's {@code r} is below the quota
     * and, between one client's two calls, never rises by more than the bucket refilled meanwhile
     * ({@code RATE} × the seconds from the first call's sending to the second's answer, plus one for
     * rounding): the other node's admissions, learnt through the store, only ever lower it.
     */
    private static double[] hammer(List<TestNode> pair, String key) throws InterruptedException {
        AtomicInteger allowed = new AtomicInteger();
        AtomicInteger limited = new AtomicInteger();
        List<AtomicInteger> limitedBy = List.of(new AtomicInteger(), new AtomicInteger());
        java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long deadline = start + 3_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (TestNode node : pair) {
            AtomicInteger nodeLimited = limitedBy.get(pair.indexOf(node));
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        long lastSent = 0;
                        long lastRemaining = -1;
                        for (int i = 0; i < 3_000 && System.nanoTime() < deadline; i++) {
                            long sent = System.nanoTime();
                            Http.Response r = poll(node, key);
                            long answered = System.nanoTime();
                            assertThat(r.status()).isIn(404, 429);
                            assertThat(r.header("RateLimit-Policy")).isEqualTo(POLICY);
                            String field = r.header("RateLimit");
                            assertThat(field).as("RateLimit").isNotNull().matches(LIMIT);
                            java.util.regex.Matcher m = LIMIT.matcher(field);
                            assertThat(m.matches()).isTrue();
                            long remaining = Long.parseLong(m.group(1));
                            long seconds = Long.parseLong(m.group(2));
                            if (r.status() == 429) {
                                String retryAfter = r.header("Retry-After");
                                assertThat(retryAfter).as("Retry-After").isNotNull().matches("[0-9]+");
                                assertThat(Long.parseLong(retryAfter)).as("Retry-After").isGreaterThanOrEqualTo(1);
                                assertThat(remaining).as("a 429's r").isZero();
                                assertThat(seconds).as("a 429's t, as Retry-After says").isEqualTo(Long.parseLong(retryAfter));
                                limited.incrementAndGet();
                                nodeLimited.incrementAndGet();
                            } else {
                                assertThat(r.header("Retry-After")).as("an allowed answer's Retry-After").isNull();
                                assertThat(remaining).as("r of an allowed answer").isBetween(0L, RATE - 1L);
                                if (lastRemaining >= 0) {
                                    long refilled = (long) Math.ceil(RATE * (answered - lastSent) / 1e9) + 1;
                                    assertThat(remaining).as("r after r=%d, %d ms before", lastRemaining,
                                            (answered - lastSent) / 1_000_000).isLessThanOrEqualTo(lastRemaining + refilled);
                                }
                                lastRemaining = remaining;
                                lastSent = sent;
                                allowed.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError(failures.size() + " client(s) failed: " + failures.peek(), failures.peek());
            failures.forEach(error::addSuppressed);
            throw error;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(limited.get()).as("the load went past the limit").isPositive();
        assertThat(limitedBy.get(0).get()).as("node A answered 429s").isPositive();
        assertThat(limitedBy.get(1).get()).as("node B answered 429s").isPositive();
        return new double[]{allowed.get(), seconds};
    }

    static final String POLICY = "\"key\";q=" + RATE + ";w=1";
    static final java.util.regex.Pattern LIMIT = java.util.regex.Pattern.compile("\"key\";r=([0-9]+);t=([0-9]+)");

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
