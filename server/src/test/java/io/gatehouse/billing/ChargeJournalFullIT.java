package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.errors.ApiError;
import io.gatehouse.store.Database;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Ledger;
import io.gatehouse.testing.TestNode;
import io.gatehouse.testing.WritesHeld;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node whose charge journal is full (the database has not taken its charges for the journal's
 * whole size) refuses a metered call with {@code 503 credits_unavailable} before the call goes
 * upstream, and charges nothing for it; once the database takes writes again, every charge the
 * journal kept reaches the ledger and calls go through again. The smallest journal (1 MiB) and a
 * transaction held open on the journal's table stand in for a database that is down.
 */
class ChargeJournalFullIT {
    static GatewayNode gw;
    static Http http;

    @BeforeAll
    static void start() {
        gw = GatewayNode.start(Map.of("plans.default", "huge", "plans.huge.credits", "1000000000",
                "credits.min-lease", "100000", "credits.journal-bytes", "1048576"));
        http = new Http(gw.node.server.publicUrl());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    /**
     * A file in the journal directory that cannot be replayed (not a journal; or one of another
     * database) is named in the log and kept, and stops nothing else the tick does: here, closing
     * a lease whose node stopped renewing it. It used to end the tick, every tick.
     */
    @Test
    void aJournalThatCannotBeReplayedStopsNothingElse() throws Exception {
        java.nio.file.Path junk = gw.node.server.config().credits().journalDir().resolve("node_junk.journal");
        java.nio.file.Files.write(junk, new byte[100]);
        try {
            String user = gw.node.createUser("stuck@journal.test");
            String org = gw.node.createOrg("Stuck journal", "huge", user);
            CreditPool pool = gw.node.server.services().billing().credits();
            Database db = gw.node.server.services().db();
            java.time.Instant longAgo = java.time.Instant.now().minus(java.time.Duration.ofHours(2));
            String lease = db.inTransaction(h -> pool.store().lease(h, org, 50, 50, "node_gone", longAgo,
                    java.time.Duration.ofSeconds(30))).orElseThrow().id();
            pool.tick();
            Long closedAt = db.withHandle(h -> h.createQuery("SELECT closed_at FROM credit_leases WHERE id = :id")
                    .bind("id", lease).mapTo(Long.class).one());
            assertThat(closedAt).as("the dead node's lease, closed despite the junk beside it").isNotNull();
            assertThat(java.nio.file.Files.exists(junk)).as("kept for the operator").isTrue();
            Ledger.check(db);
        } finally {
            java.nio.file.Files.deleteIfExists(junk);
        }
    }

    @Test
    void aFullJournalRefusesTheCallBeforeItGoesUpstream() throws Exception {
        String user = gw.node.createUser("full@journal.test");
        String org = gw.node.createOrg("Full journal", "huge", user);
        String key = gw.node.createKey(org, user, Map.of()).path("key").asText();
        String server = gw.unreachableServer("nowhere", Map.of("credit_cost", 1)).path("id").asText();
        // The upstream is unreachable: a call that reaches it is a 502. This one also takes the node a lease.
        assertThat(http.send("GET", "/api/nowhere/x", TestNode.auth(key), null).status()).isEqualTo(502);

        CreditPool pool = gw.node.server.services().billing().credits();
        Database db = gw.node.server.services().db();
        pool.flush();
        long before = Ledger.charged(db, org);
        long kept = 0;
        try (WritesHeld held = WritesHeld.on(db, "credit_journals")) { // the flusher's upsert waits
            ApiError full = null;
            for (int i = 0; i < 50_000 && full == null; i++) { // a 1 MiB journal holds about 6,500 charges
                try {
                    if (pool.takeFromMemory(org, 1, System.nanoTime(), null, server, null).isPresent()) {
                        kept++;
                    }
                } catch (ApiError e) {
                    full = e;
                }
            }
            assertThat(full).as("the journal filled up").isNotNull();
            assertThat(full.reason()).contains("credits_unavailable");
            assertThat(kept).isGreaterThan(1000);

            Http.Response refused = http.send("GET", "/api/nowhere/x", TestNode.auth(key), null);
            assertThat(refused.status()).as("refused before the upstream: not its 502. " + refused.text())
                    .isEqualTo(503);
            assertThat(refused.json().path("error").path("reason").asText()).isEqualTo("credits_unavailable");
        }
        pool.flush();
        assertThat(Ledger.charged(db, org) - before).as("every charge the journal kept, and none for the 503")
                .isEqualTo(kept);
        Ledger.check(db);
        assertThat(http.send("GET", "/api/nowhere/x", TestNode.auth(key), null).status())
                .as("calls go through again").isEqualTo(502);
    }
}
