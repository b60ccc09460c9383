package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.store.Ids;
import io.gatehouse.testing.TestDatabase;
import io.gatehouse.testing.TestNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ledger and the alerts come out newest first, and page completely, on a PostgreSQL database
 * whose collation is linguistic (ICU en-US: {@code 'Z' > 'a'}), as many installations' default is.
 * Their ids sort by time only byte by byte; on SQLite this holds by default.
 */
class OrderedIdsIT {
    /** Over two full turns of an id's last time character: 0-9, A-Z, a-z and round again. */
    static final int ENTRIES = 130;
    static TestNode node;
    static String org;
    static long base;

    @BeforeAll
    static void start() {
        if (TestDatabase.isPostgres()) {
            String url = TestDatabase.newPostgresDatabase("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
            node = TestNode.startWith(TestNode.tempDir(), TestDatabase.postgresSettings(url), true);
            boolean linguistic = node.server.services().db().withHandle(h ->
                    h.createQuery("SELECT 'Z' > 'a'").mapTo(Boolean.class).one());
            assertThat(linguistic).as("the test database must sort text linguistically, or this proves nothing")
                    .isTrue();
        } else {
            node = TestNode.start();
        }
        org = node.createOrg("Ordered", "free", node.createUser("ordered@ids.test"));
        base = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void theLedgerIsNewestFirstAndPagesCompletely() {
        Billing billing = node.server.services().billing();
        node.server.services().db().inTransaction(h -> {
            for (int i = 0; i < ENTRIES; i++) {
                billing.credits().store().purchase(h, org, "purchase", i + 1, "ordered-" + i, null,
                        Instant.ofEpochMilli(base + i));
            }
            return null;
        });
        List<JsonNode> purchases = pages("/v1/orgs/" + org + "/credits/ledger").stream()
                .filter(e -> e.path("kind").asText().equals("purchase")).toList();
        assertThat(purchases).extracting(e -> e.path("pool_delta").asLong())
                .as("every purchase once, the latest first")
                .containsExactlyElementsOf(descending());
    }

    @Test
    void alertsAreNewestFirstAndPageCompletely() {
        node.server.services().db().inTransaction(h -> {
            for (int i = 0; i < ENTRIES; i++) {
                h.createUpdate("INSERT INTO alerts (id, org_id, credential_id, kind, evidence, created_at) "
                                + "VALUES (:id, :org, 'key_ordered', 'burst', :ev, :at)")
                        .bind("id", Ids.ordered("alert", base + i)).bind("org", org)
                        .bind("ev", "{\"n\":" + (i + 1) + "}").bind("at", base + i).execute();
            }
            return null;
        });
        List<JsonNode> alerts = pages("/v1/orgs/" + org + "/alerts");
        assertThat(alerts).extracting(a -> a.path("evidence").path("n").asLong())
                .as("every alert once, the latest first")
                .containsExactlyElementsOf(descending());
    }

    private static List<Long> descending() {
        List<Long> out = new ArrayList<>();
        for (long n = ENTRIES; n >= 1; n--) {
            out.add(n);
        }
        return out;
    }

    /** Every entry of a listing, in pages of 25 through {@code before}. */
    private static List<JsonNode> pages(String path) {
        List<JsonNode> all = new ArrayList<>();
        String before = null;
        for (int page = 0; page < 100; page++) {
            JsonNode data = TestNode.ok(node.http.get(path + "?limit=25" + (before == null ? "" : "&before=" + before),
                    node.adminKey), 200).path("data");
            if (data.isEmpty()) {
                return all;
            }
            data.forEach(all::add);
            before = data.get(data.size() - 1).path("id").asText();
        }
        throw new AssertionError("the listing did not end: " + Map.of("path", path, "seen", all.size()));
    }
}
