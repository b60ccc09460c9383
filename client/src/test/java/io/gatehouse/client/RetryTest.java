package io.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@link RetryPolicy}'s rules against a real local HTTP server: a GET is repeated after a dropped
 * connection and after 429/503 (waiting its Retry-After, a bounded number of times); a POST that
 * reached the server is never repeated; a POST whose connection was refused is.
 */
class RetryTest {
    private static final String USER = "{\"id\":\"usr_1\",\"object\":\"user\",\"email\":\"a@b.c\",\"name\":null,"
            + "\"created_at\":\"2026-01-01T00:00:00Z\",\"disabled_at\":null,\"kind\":\"person\","
            + "\"organization_id\":null,\"operator\":false}";
    private static final String UNAVAILABLE = StubServer.error("unavailable", "busy", "Try again");

    private final List<Duration> waits = new CopyOnWriteArrayList<>();

    private Gatehouse client(URI url) {
        return Gatehouse.builder().baseUrl(url).key("gk_test_0123456789abcdefghijklmnop").sleeper(waits::add)
                .timeout(Duration.ofSeconds(2)).build();
    }

    @Test
    void getAfter503WithRetryAfterIsRetriedAfterTheWaitAsked() {
        try (StubServer s = new StubServer((x, n) -> {
            if (n == 1) {
                StubServer.answer(x, 503, UNAVAILABLE, "1");
            } else {
                StubServer.answer(x, 200, USER, null);
            }
        })) {
            assertThat(client(s.url()).users().get("usr_1").email()).isEqualTo("a@b.c");
            assertThat(s.hits()).hasSize(2);
            assertThat(waits).containsExactly(Duration.ofSeconds(1));
        }
    }

    @Test
    void getAfter429IsRetriedAtMostMaxAttemptsTimes() {
        try (StubServer s = new StubServer((x, n) -> StubServer.answer(x, 429,
                StubServer.error("rate_limited", "rate_limited", "Slow down"), "2"))) {
            assertThatThrownBy(() -> client(s.url()).users().list())
                    .isInstanceOfSatisfying(GatehouseException.class, e -> {
                        assertThat(e.status()).isEqualTo(429);
                        assertThat(e.retryAfter()).contains(Duration.ofSeconds(2));
                    });
            assertThat(s.hits()).hasSize(RetryPolicy.DEFAULT.maxAttempts());
            assertThat(waits).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(2));
        }
    }

    @Test
    void retryAfterLongerThanTheBoundIsNotWaitedFor() {
        try (StubServer s = new StubServer((x, n) -> StubServer.answer(x, 503, UNAVAILABLE, "3600"))) {
            assertThatThrownBy(() -> client(s.url()).users().list())
                    .isInstanceOfSatisfying(GatehouseException.class,
                            e -> assertThat(e.retryAfter()).contains(Duration.ofHours(1)));
            assertThat(s.hits()).hasSize(1);
            assertThat(waits).isEmpty();
        }
    }

    @Test
    void postAnswered503IsNeverRetried() {
        try (StubServer s = new StubServer((x, n) -> StubServer.answer(x, 503, UNAVAILABLE, "1"))) {
            assertThatThrownBy(() -> client(s.url()).users().create(CreateUserRequest.of("a@b.c")))
                    .isInstanceOfSatisfying(GatehouseException.class, e -> {
                        assertThat(e.status()).isEqualTo(503);
                        assertThat(e.reason()).contains("busy");
                        assertThat(e.retryAfter()).contains(Duration.ofSeconds(1));
                    });
            assertThat(s.hits()).hasSize(1);
            assertThat(waits).isEmpty();
        }
    }

    @Test
    void postWhoseConnectionDroppedAfterItArrivedIsNeverRetried() {
        try (StubServer s = new StubServer((x, n) -> StubServer.drop(x))) {
            assertThatThrownBy(() -> client(s.url()).users().create(CreateUserRequest.of("a@b.c")))
                    .isInstanceOfSatisfying(GatehouseConnectionException.class,
                            e -> assertThat(e.mayHaveReachedServer()).isTrue());
            assertThat(s.hits()).hasSize(1);
            assertThat(s.hits().get(0).body()).contains("a@b.c");
            assertThat(waits).isEmpty();
        }
    }

    @Test
    void getWhoseConnectionDroppedIsRetried() {
        // The JDK itself repeats a dropped idempotent request once: drop that repeat too.
        try (StubServer s = new StubServer((x, n) -> {
            if (n <= 2) {
                StubServer.drop(x);
            } else {
                StubServer.answer(x, 200, USER, null);
            }
        })) {
            assertThat(client(s.url()).users().get("usr_1").id()).isEqualTo("usr_1");
            assertThat(s.hits()).hasSizeGreaterThanOrEqualTo(2);
            // the SDK's own retry, not only the JDK's single silent repeat of an idempotent request
            assertThat(waits).isNotEmpty();
        }
    }

    @Test
    void postThatTimedOutWaitingForTheAnswerIsNeverRetriedButAGetIs() {
        try (StubServer s = new StubServer((x, n) -> {
            try {
                Thread.sleep(1_500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            StubServer.answer(x, 200, USER, null);
        })) {
            Gatehouse impatient = Gatehouse.builder().baseUrl(s.url()).key("gk_test_0123456789abcdefghijklmnop")
                    .sleeper(waits::add).timeout(Duration.ofMillis(300)).build();
            assertThatThrownBy(() -> impatient.users().disable("usr_1"))
                    .isInstanceOfSatisfying(GatehouseConnectionException.class,
                            e -> assertThat(e.mayHaveReachedServer()).isTrue());
            assertThat(s.hits()).hasSize(1);
            assertThatThrownBy(() -> impatient.users().get("usr_1")).isInstanceOf(GatehouseConnectionException.class);
            assertThat(s.hits()).hasSize(1 + RetryPolicy.DEFAULT.maxAttempts());
        }
    }

    @Test
    void postWhoseConnectionWasRefusedIsRetriedBecauseItWasNeverSent() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Gatehouse c = client(URI.create("http://127.0.0.1:" + closedPort));
        assertThatThrownBy(() -> c.users().create(CreateUserRequest.of("a@b.c")))
                .isInstanceOfSatisfying(GatehouseConnectionException.class,
                        e -> assertThat(e.mayHaveReachedServer()).isFalse());
        assertThat(waits).containsExactly(Duration.ofMillis(200), Duration.ofMillis(400));
    }

    @Test
    void aPolicyOfOneAttemptRetriesNothing() {
        try (StubServer s = new StubServer((x, n) -> StubServer.answer(x, 503, UNAVAILABLE, "1"))) {
            Gatehouse once = Gatehouse.builder().baseUrl(s.url()).retries(RetryPolicy.NONE).sleeper(waits::add).build();
            assertThatThrownBy(() -> once.users().list()).isInstanceOf(GatehouseException.class);
            assertThat(s.hits()).hasSize(1);
        }
    }

    @Test
    void retryAfterIsReadAsSecondsOrAsAnHttpDate() {
        assertThat(Transport.parseRetryAfter("7")).contains(Duration.ofSeconds(7));
        assertThat(Transport.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).contains(Duration.ZERO);
        assertThat(Transport.parseRetryAfter("soon")).isEmpty();
        assertThat(Transport.parseRetryAfter("-1")).isEmpty();
    }
}
