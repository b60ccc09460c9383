package io.gatehouse.cli;

import static io.gatehouse.cli.CliIT.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.cli.CliIT.Run;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code gatehouse credits|usage|alerts} against a running server (--url) after real metered calls,
 * and {@code credits add} on the local store, where the command line is the operator.
 */
class BillingCliIT {
    private static final Map<String, String> PLANS = Map.of("plans.default", "pro", "plans.pro.credits", "100",
            "http.trust-forwarded-for", "true");

    @Test
    void anOperatorAddsCreditsAndAnOwnerReadsThePoolLedgerUsageAndAlerts() throws Exception {
        try (GatewayNode gw = GatewayNode.start(PLANS)) {
            TestNode node = gw.node;
            TestNode.ok(node.http.send("PATCH", "/v1/servers/" + gw.jobsServerId, TestNode.auth(node.adminKey),
                    Map.of("costs", Map.of("/generate", 10))), 200);
            TestNode.Person owner = node.owner("owner@credits-cli.test", "Credits CLI", "pro");
            String org = owner.orgId();
            List<String> admin = List.of("--url", node.server.publicUrl().toString(), "--key", node.adminKey);
            List<String> asOwner = List.of("--url", node.server.publicUrl().toString(), "--key", owner.key());

            Run bought = run(at(admin, "credits", "add", org, "--credits", "500", "--idempotency-key", "pi_3N0001",
                    "--note", "invoice 1"));
            assertThat(bought.exit()).as(bought.err()).isZero();
            assertThat(bought.json().path("added").asBoolean()).isTrue();
            assertThat(bought.json().path("balance").asLong()).isEqualTo(600);
            Run again = run(at(admin, "credits", "add", org, "--credits", "500", "--idempotency-key", "pi_3N0001"));
            assertThat(again.exit()).as(again.err()).isZero();
            assertThat(again.json().path("added").asBoolean()).as("the same key changes nothing").isFalse();
            Run adjusted = run(at(admin, "credits", "add", org, "--kind", "adjustment", "--credits", "-100",
                    "--idempotency-key", "adj-1"));
            assertThat(adjusted.json().path("purchased").asLong()).as(adjusted.err()).isEqualTo(400);

            Run refused = run(at(asOwner, "credits", "add", org, "--credits", "5", "--idempotency-key", "mine"));
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("HTTP 403", "not_operator");
            Run negative = run(at(admin, "credits", "add", org, "--credits", "-5", "--idempotency-key", "neg"));
            assertThat(negative.exit()).isEqualTo(1);
            assertThat(negative.err()).contains("HTTP 400", "a purchase adds a positive number");

            JsonNode key = node.createKey(org, owner.userId(), "metered");
            assertThat(generate(gw, key.path("key").asText(), "203.0.113.5").status()).isEqualTo(202);
            assertThat(generate(gw, key.path("key").asText(), "198.51.100.7").status()).isEqualTo(202);

            Run pool = run(at(asOwner, "credits", "show", org));
            assertThat(pool.exit()).as(pool.err()).isZero();
            assertThat(pool.json().path("object").asText()).isEqualTo("credit_pool");
            assertThat(pool.json().path("balance").asLong()).isEqualTo(600 - 100 - 20);

            Run all = run(at(asOwner, "credits", "ledger", org));
            assertThat(all.exit()).as(all.err()).isZero();
            assertThat(all.json().path("data").findValuesAsText("kind")).contains("grant", "purchase", "adjust",
                    "lease", "charge");
            Run page = run(at(asOwner, "credits", "ledger", org, "--limit", "2"));
            assertThat(page.json().path("data")).hasSize(2);
            Run rest = run(at(asOwner, "credits", "ledger", org, "--before",
                    page.json().path("data").get(1).path("id").asText()));
            List<String> paged = new ArrayList<>(page.json().path("data").findValuesAsText("id"));
            paged.addAll(rest.json().path("data").findValuesAsText("id"));
            assertThat(paged).as("two pages are the whole ledger").isEqualTo(all.json().path("data").findValuesAsText("id"));

            Run usage = run(at(asOwner, "usage", org, "--granularity", "minute", "--group-by", "credential",
                    "--credential", key.path("id").asText(), "--from", java.time.Instant.now().minusSeconds(600).toString()));
            assertThat(usage.exit()).as(usage.err()).isZero();
            assertThat(usage.json().path("granularity").asText()).isEqualTo("minute");
            JsonNode buckets = usage.json().path("data");
            assertThat(buckets.findValuesAsText("credential")).containsOnly(key.path("id").asText());
            assertThat(buckets.findValues("calls").stream().mapToLong(JsonNode::asLong).sum()).isEqualTo(2);
            assertThat(buckets.findValues("credits").stream().mapToLong(JsonNode::asLong).sum()).isEqualTo(20);
            Run badUsage = run(at(asOwner, "usage", org, "--granularity", "fortnight"));
            assertThat(badUsage.exit()).isEqualTo(1);
            assertThat(badUsage.err()).contains("HTTP 400", "granularity: must be minute, hour or day");
            Run badTime = run(at(asOwner, "usage", org, "--from", "yesterday"));
            assertThat(badTime.err()).contains("HTTP 400", "from: an ISO-8601 time");

            JsonNode alert = awaitAlert(asOwner, org);
            assertThat(alert.path("kind").asText()).isEqualTo("new_network");
            assertThat(alert.path("credential_id").asText()).isEqualTo(key.path("id").asText());
            assertThat(alert.path("evidence").path("network").asText()).isEqualTo("198.51.100.0/24");
            assertThat(run(at(asOwner, "alerts", org, "--limit", "0")).err()).contains("HTTP 400", "limit");
        }
    }

    @Test
    void onTheLocalStoreTheCommandLineAddsCreditsAsTheOperator() throws Exception {
        List<String> base = List.of("--data-dir", TestNode.tempDir().toString());
        assertThat(run(args(base, "admin", "init", "--email", "ops@example.test")).exit()).isZero();
        String org = run(args(base, "orgs", "create", "--name", "Local")).json().path("id").asText();
        Run added = run(args(base, "credits", "add", org, "--credits", "250", "--idempotency-key", "wire-2027-001"));
        assertThat(added.exit()).as(added.err()).isZero();
        assertThat(added.json().path("added").asBoolean()).isTrue();
        assertThat(run(args(base, "credits", "show", org)).json().path("purchased").asLong()).isEqualTo(250);
        assertThat(run(args(base, "credits", "ledger", org)).json().path("data").findValuesAsText("kind"))
                .contains("purchase");
        assertThat(run(args(base, "usage", org)).json().path("data")).isEmpty();
        assertThat(run(args(base, "alerts", org)).json().path("data")).isEmpty();
        Run unknown = run(args(base, "credits", "show", "org_nothere"));
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("HTTP 404");
    }

    private static Http.Response generate(GatewayNode gw, String key, String from) {
        return new Http(gw.node.server.publicUrl()).send("POST", "/api/v1/generate", Map.of("Authorization",
                "Bearer " + key, "Content-Type", "application/json", "X-Forwarded-For", from), Map.of("prompt", "x"));
    }

    /** An alert is written apart from the call that raised it. */
    private static JsonNode awaitAlert(List<String> credential, String org) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Run alerts = run(at(credential, "alerts", org));
            assertThat(alerts.exit()).as(alerts.err()).isZero();
            JsonNode data = alerts.json().path("data");
            if (!data.isEmpty() || System.nanoTime() > deadline) {
                assertThat(data).as("an alert within 10 s").hasSize(1);
                return data.get(0);
            }
            Thread.sleep(100);
        }
    }

    /** A command, then how it reaches the server: --url and --key are the command's options, not the root's. */
    private static String[] at(List<String> connection, String... command) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(connection);
        return all.toArray(String[]::new);
    }

    private static String[] args(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
