package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.TestNode;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Usage as an operator reads it, over real HTTP: each error in its kind (a 429 of a rate limit, a
 * 402 of either shape, a 4xx, a 5xx), totals over a time range with each credential's last use and
 * address, a member reading only their own credentials', and minutes past {@code usage.retention}
 * deleted while newer ones stay.
 */
class UsageIT {
    static GatewayNode gw;
    static Http http;

    @BeforeAll
    static void start() {
        Map<String, String> settings = new HashMap<>();
        settings.put("http.trust-forwarded-for", "true");
        settings.put("plans.free.credits", "1000");
        settings.put("plans.unpaid.credits", "0");
        settings.put("plans.limited.key-rate-limit", "2/h");
        settings.put("usage.retention", "1d");
        settings.put("usage.prune-interval", "1s");
        gw = GatewayNode.start(settings);
        http = new Http(gw.node.server.publicUrl());
        TestNode.ok(gw.node.http.send("PATCH", "/v1/servers/" + gw.demoServerId, TestNode.auth(gw.node.adminKey),
                Map.of("costs", Map.of("echo", 5))), 200);
        TestNode.ok(gw.node.http.send("PATCH", "/v1/servers/" + gw.jobsServerId, TestNode.auth(gw.node.adminKey),
                Map.of("costs", Map.of("/generate", 10))), 200);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    record Keyed(String org, String user, String keyId, String key) {
    }

    static Keyed keyed(String email, String plan) {
        String user = gw.node.createUser(email);
        String org = gw.node.createOrg("Org of " + email, plan, user);
        JsonNode key = gw.node.createKey(org, user, Map.of());
        return new Keyed(org, user, key.path("id").asText(), key.path("key").asText());
    }

    static Http.Response call(String key, String method, String path, String from) {
        return http.send(method, path, Map.of("Authorization", "Bearer " + key, "X-Forwarded-For", from,
                "Content-Type", "application/json"), method.equals("POST") ? Map.of("prompt", "a lighthouse") : null);
    }

    static Http.Response summary(String org, String query, String key) {
        String from = Instant.now().minusSeconds(600).toString();
        return gw.node.http.get("/v1/orgs/" + org + "/usage/summary?from=" + from + query, key);
    }

    static Map<String, JsonNode> byCredential(JsonNode summary) {
        Map<String, JsonNode> rows = new HashMap<>();
        summary.path("data").forEach(r -> rows.put(r.path("credential").asText(), r));
        return rows;
    }

    /**
     * Refusals of the MCP body itself: a tool the key may not use is a client error under its name,
     * charged nothing; a tools/call sent as a notification, or with a body not declared JSON, is
     * refused before the door's last steps and charged nothing.
     */
    @Test
    void aRefusedToolIsCountedAndNothingIsChargedForANotification() {
        String user = gw.node.createUser("scoped@usage.test");
        String org = gw.node.createOrg("Org of scoped", "free", user);
        JsonNode key = gw.node.createKey(org, user, Map.of("tools", List.of("demo/add")));
        Mcp mcp = gw.mcp(key.path("key").asText());
        assertThat(mcp.initialize().status()).isEqualTo(200);
        Mcp.Answer echo = mcp.callTool("echo", Map.of("text", "not mine"));
        assertThat(echo.last().path("error").path("data").path("reason").asText()).as(echo.body())
                .isEqualTo("tool_not_allowed");
        Mcp.Answer notification = mcp.post(Map.of("jsonrpc", "2.0", "method", "tools/call", "params",
                Map.of("name", "add", "arguments", Map.of("a", 1, "b", 2))));
        assertThat(notification.status()).as(notification.body()).isEqualTo(400);
        assertThat(notification.body()).contains("invalid_tool_call");
        Http.Response plain = http.send("POST", "/mcp/demo", Map.of("Authorization", "Bearer " + key.path("key").asText(),
                "Content-Type", "text/plain", "Accept", "application/json, text/event-stream"),
                "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"add\"}}");
        assertThat(plain.status()).as(plain.text()).isEqualTo(415);

        JsonNode byTool = TestNode.ok(summary(org, "&group_by=tool", gw.node.adminKey), 200);
        Map<String, JsonNode> rows = new HashMap<>();
        byTool.path("data").forEach(r -> rows.put(r.path("tool").asText(), r));
        assertThat(rows.get("echo")).as(byTool.toString()).isNotNull();
        assertThat(rows.get("echo").path("client_errors").asLong()).isEqualTo(1);
        assertThat(rows.get("echo").path("credits").asLong()).isZero();
        assertThat(TestNode.ok(gw.node.http.get("/v1/orgs/" + org + "/credits", gw.node.adminKey), 200)
                .path("balance").asLong()).as("nothing charged").isEqualTo(1000);
    }

    @Test
    void eachErrorIsCountedInItsKind() {
        Keyed limited = keyed("limited@usage.test", "limited");
        for (int i = 0; i < 2; i++) {
            assertThat(call(limited.key(), "GET", "/api/v1/headers", "192.0.2.1").status()).isEqualTo(200);
        }
        for (int i = 0; i < 2; i++) {
            assertThat(call(limited.key(), "GET", "/api/v1/headers", "192.0.2.1").status()).isEqualTo(429);
        }
        JsonNode rate = byCredential(TestNode.ok(summary(limited.org(), "&group_by=credential", gw.node.adminKey),
                200)).get(limited.keyId());
        assertThat(rate.path("calls").asLong()).as(rate.toString()).isEqualTo(4);
        assertThat(rate.path("rate_limited").asLong()).isEqualTo(2);
        assertThat(rate.path("client_errors").asLong()).as("a 429 is not also a client error").isZero();

        Keyed unpaid = keyed("unpaid@usage.test", "unpaid");
        JsonNode down = gw.unreachableServer("down-usage", Map.of());
        try {
            assertThat(call(unpaid.key(), "GET", "/api/v1/headers", "192.0.2.2").status()).isEqualTo(200);
            assertThat(call(unpaid.key(), "GET", "/api/v1/nothing", "192.0.2.2").status()).isEqualTo(404);
            assertThat(call(unpaid.key(), "POST", "/api/v1/generate", "192.0.2.2").status()).isEqualTo(402);
            assertThat(call(unpaid.key(), "GET", "/api/down-usage/x", "192.0.2.2").status()).isEqualTo(502);
        } finally {
            gw.node.http.send("DELETE", "/v1/servers/" + down.path("id").asText(), TestNode.auth(gw.node.adminKey),
                    null);
        }
        Mcp mcp = gw.mcp(unpaid.key());
        assertThat(mcp.initialize().status()).isEqualTo(200);
        Mcp.Answer refused = mcp.callTool("echo", Map.of("text", "unpaid"));
        assertThat(refused.last().path("error").path("code").asInt()).as(refused.body()).isEqualTo(-32402);

        JsonNode kinds = byCredential(TestNode.ok(summary(unpaid.org(), "&group_by=credential", gw.node.adminKey),
                200)).get(unpaid.keyId());
        assertThat(kinds.path("unpaid").asLong()).as("the API's 402 and the tool call's: " + kinds).isEqualTo(2);
        assertThat(kinds.path("client_errors").asLong()).as("the upstream's 404 only").isEqualTo(1);
        assertThat(kinds.path("server_errors").asLong()).as("the unreachable upstream").isEqualTo(1);
        assertThat(kinds.path("rate_limited").asLong()).isZero();

        JsonNode buckets = TestNode.ok(gw.node.http.get("/v1/orgs/" + limited.org() + "/usage?granularity=day&from="
                + Instant.now().minusSeconds(600), gw.node.adminKey), 200);
        assertThat(buckets.path("data").get(0).path("rate_limited").asLong()).as(buckets.toString()).isEqualTo(2);
    }

    @Test
    void madeUpToolNamesAreCountedUnderAHundredNamesAMinuteAtMost() throws InterruptedException {
        Keyed k = keyed("inventive@usage.test", "free");
        Mcp mcp = gw.mcp(k.key());
        assertThat(mcp.initialize().status()).isEqualTo(200);
        long intoMinute = System.currentTimeMillis() % 60_000;
        if (intoMinute > 40_000) {
            Thread.sleep(60_000 - intoMinute + 200); // the bound is a minute's: all of this in one
        }
        long minute = System.currentTimeMillis() / 60_000;
        for (int i = 0; i < 105; i++) {
            assertThat(mcp.callTool("made_up_" + i, Map.of()).status()).isEqualTo(200);
        }
        assertThat(mcp.callTool("echo", Map.of("text", "priced")).status()).isEqualTo(200);
        assertThat(System.currentTimeMillis() / 60_000).as("105 calls took over 20 s").isEqualTo(minute);

        Map<String, Long> byTool = new HashMap<>();
        TestNode.ok(summary(k.org(), "&group_by=tool", gw.node.adminKey), 200).path("data")
                .forEach(r -> byTool.put(r.path("tool").asText(), r.path("calls").asLong()));
        assertThat(byTool.keySet().stream().filter(t -> t.startsWith("made_up_"))).as(byTool.toString())
                .hasSize(100).allMatch(t -> byTool.get(t) == 1);
        assertThat(byTool.get("(other)")).as("the five names past the hundred").isEqualTo(5);
        assertThat(byTool.get("echo")).as("a priced tool is always its own name").isEqualTo(1);
    }

    @Test
    void theSummaryGivesEachGroupsTotalsAndLastUse() throws InterruptedException {
        Keyed first = keyed("first@usage.test", "free");
        String second = gw.node.createKey(first.org(), first.user(), Map.of()).path("key").asText();
        String idle = gw.node.createKey(first.org(), first.user(), Map.of()).path("id").asText();
        Instant before = Instant.now();
        call(first.key(), "GET", "/api/v1/headers", "203.0.113.5");
        Thread.sleep(5);
        call(first.key(), "GET", "/api/v1/headers", "203.0.113.9");
        Thread.sleep(5);
        call(second, "GET", "/api/v1/headers", "2001:db8::7");
        Instant after = Instant.now();

        Map<String, JsonNode> rows = byCredential(TestNode.ok(summary(first.org(), "&group_by=credential",
                gw.node.adminKey), 200));
        assertThat(rows).as("a key without calls is not a group").hasSize(2).doesNotContainKey(idle);
        JsonNode one = rows.get(first.keyId());
        assertThat(one.path("calls").asLong()).isEqualTo(2);
        assertThat(one.path("last_used_ip").asText()).as("the later of its two addresses").isEqualTo("203.0.113.9");
        Instant at = Instant.parse(one.path("last_used_at").asText());
        assertThat(at).isBetween(before.minusMillis(1), after);

        JsonNode whole = TestNode.ok(summary(first.org(), "", gw.node.adminKey), 200);
        assertThat(whole.path("group_by").isNull()).isTrue();
        assertThat(whole.path("data")).hasSize(1);
        assertThat(whole.path("data").get(0).path("calls").asLong()).isEqualTo(3);
        assertThat(whole.path("data").get(0).path("last_used_ip").asText()).as("the organization's last call")
                .isEqualTo("2001:db8::7");

        JsonNode servers = TestNode.ok(summary(first.org(), "&group_by=server", gw.node.adminKey), 200);
        assertThat(servers.path("data")).hasSize(1);
        assertThat(servers.path("data").get(0).path("server").asText()).isEqualTo(gw.jobsServerId);

        JsonNode nothing = TestNode.ok(gw.node.http.get("/v1/orgs/" + first.org() + "/usage/summary?from="
                + Instant.now().minusSeconds(7200) + "&to=" + Instant.now().minusSeconds(3600), gw.node.adminKey), 200);
        assertThat(nothing.path("data")).as("an hour without calls").isEmpty();

        for (String bad : List.of("&group_by=week", "&to=2020-01-01T00:00:00Z", "&to=yesterday")) {
            Http.Response r = summary(first.org(), bad, gw.node.adminKey);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.json().path("error").path("code").asText()).as(bad).isEqualTo("invalid_request");
            assertThat(r.json().path("error").path("message").asText()).as(bad).isNotBlank();
        }
    }

    /**
     * Hour buckets are sums of minute rows: seeded directly (a past two hours cannot be waited for),
     * each bucket starts on the hour, a range's {@code from} and {@code to} (exclusive) cut at the minute
     * inside an hour, and the minute buckets over the same range add up to the hour's.
     */
    @Test
    void hourBucketsSumTheMinutesOfEachHourWithinTheRange() {
        Keyed k = keyed("hourly@usage.test", "free");
        long now = System.currentTimeMillis();
        long first = now - now % 3_600_000L - 5 * 3_600_000L; // on the hour, five hours ago
        long second = first + 3_600_000L;
        long minute = 60_000L;
        // minute offset in its hour, calls, client errors, server errors, credits
        long[][] rows = {
                {first - minute, 100_000, 0, 0, 0}, // the minute before the range
                {first, 1, 1, 0, 10},
                {first + 17 * minute, 2, 0, 1, 20},
                {first + 59 * minute, 4, 0, 0, 40},
                {second, 8, 2, 0, 80},
                {second + 30 * minute, 16, 0, 4, 160},
                {second + 60 * minute, 200_000, 0, 0, 0}, // the range's end, excluded
        };
        gw.node.server.services().db().inTransaction(h -> {
            var batch = h.prepareBatch("INSERT INTO usage_minutes (minute, org_id, credential_id, server_id, tool, "
                    + "calls, client_errors, server_errors, credits) VALUES (:m, :org, :cred, '', '', :calls, :ce, :se, "
                    + ":credits)");
            for (long[] r : rows) {
                batch.bind("m", r[0]).bind("org", k.org()).bind("cred", k.keyId()).bind("calls", r[1])
                        .bind("ce", r[2]).bind("se", r[3]).bind("credits", r[4]).add();
            }
            batch.execute();
            return null;
        });
        String range = "&from=" + Instant.ofEpochMilli(first) + "&to=" + Instant.ofEpochMilli(second + 3_600_000L);

        JsonNode hours = TestNode.ok(gw.node.http.get("/v1/orgs/" + k.org() + "/usage?granularity=hour" + range,
                gw.node.adminKey), 200);
        assertThat(hours.path("granularity").asText()).isEqualTo("hour");
        assertThat(hours.path("data")).as(hours.toString()).hasSize(2);
        JsonNode one = hours.path("data").get(0);
        JsonNode two = hours.path("data").get(1);
        assertThat(one.path("start").asText()).isEqualTo(Instant.ofEpochMilli(first).toString());
        assertThat(two.path("start").asText()).isEqualTo(Instant.ofEpochMilli(second).toString());
        assertThat(List.of(one.path("calls").asLong(), one.path("client_errors").asLong(),
                one.path("server_errors").asLong(), one.path("credits").asLong()))
                .as("minutes :00, :17 and :59 of the first hour, none before it").containsExactly(7L, 1L, 1L, 70L);
        assertThat(List.of(two.path("calls").asLong(), two.path("client_errors").asLong(),
                two.path("server_errors").asLong(), two.path("credits").asLong()))
                .as("minutes :00 and :30 of the second, not the range's end").containsExactly(24L, 2L, 4L, 240L);

        JsonNode minutes = TestNode.ok(gw.node.http.get("/v1/orgs/" + k.org() + "/usage?granularity=minute" + range,
                gw.node.adminKey), 200);
        assertThat(minutes.path("data")).as("a bucket per minute row in the range").hasSize(5);
        Map<Long, Long> byHour = new HashMap<>();
        minutes.path("data").forEach(m -> byHour.merge(Instant.parse(m.path("start").asText()).toEpochMilli()
                / 3_600_000L * 3_600_000L, m.path("calls").asLong(), Long::sum));
        assertThat(byHour).as("the minutes add up to the hours").isEqualTo(Map.of(first, 7L, second, 24L));

        JsonNode inside = TestNode.ok(gw.node.http.get("/v1/orgs/" + k.org() + "/usage?granularity=hour&from="
                + Instant.ofEpochMilli(first + 17 * minute) + "&to=" + Instant.ofEpochMilli(second + 30 * minute),
                gw.node.adminKey), 200);
        assertThat(inside.path("data")).as(inside.toString()).hasSize(2);
        assertThat(inside.path("data").get(0).path("start").asText()).as("still the hour's start")
                .isEqualTo(Instant.ofEpochMilli(first).toString());
        assertThat(inside.path("data").get(0).path("calls").asLong()).as("from :17 on: not :00").isEqualTo(6);
        assertThat(inside.path("data").get(1).path("calls").asLong()).as("to :30, exclusive").isEqualTo(8);
    }

    @Test
    void aMemberReadsTheUsageOfTheirOwnCredentialsOnly() {
        TestNode.Person owner = gw.node.owner("owner@usage.test", "Members' org", "free");
        TestNode.Person member = gw.node.member(owner.orgId(), "member@usage.test", "member");
        assertThat(call(owner.key(), "GET", "/api/v1/headers", "192.0.2.30").status()).isEqualTo(200);
        assertThat(call(member.key(), "GET", "/api/v1/headers", "192.0.2.31").status()).isEqualTo(200);
        assertThat(call(member.key(), "GET", "/api/v1/headers", "192.0.2.31").status()).isEqualTo(200);

        JsonNode own = TestNode.ok(summary(owner.orgId(), "&credential_id=" + member.keyId(), member.key()), 200);
        assertThat(own.path("data").get(0).path("calls").asLong()).as(own.toString()).isEqualTo(2);
        assertThat(own.path("data").get(0).path("last_used_ip").asText()).isEqualTo("192.0.2.31");
        Map<String, JsonNode> seen = byCredential(TestNode.ok(summary(owner.orgId(), "&group_by=credential",
                member.key()), 200));
        assertThat(seen.keySet()).as("without credential_id: their own only").containsExactly(member.keyId());
        JsonNode buckets = TestNode.ok(gw.node.http.get("/v1/orgs/" + owner.orgId() + "/usage?group_by=credential",
                member.key()), 200);
        assertThat(buckets.path("data")).allSatisfy(r -> assertThat(r.path("credential").asText())
                .isEqualTo(member.keyId()));

        Http.Response others = summary(owner.orgId(), "&credential_id=" + owner.keyId(), member.key());
        assertThat(others.status()).as("another's credential, as another's key: not found").isEqualTo(404);
        Http.Response othersBuckets = gw.node.http.get("/v1/orgs/" + owner.orgId() + "/usage?credential_id="
                + owner.keyId(), member.key());
        assertThat(othersBuckets.status()).isEqualTo(404);
        Keyed elsewhere = keyed("elsewhere@usage.test", "free");
        assertThat(summary(elsewhere.org(), "", member.key()).status()).as("another organization").isEqualTo(404);

        String dataOnly = gw.node.createKey(owner.orgId(), member.userId(), Map.of("permissions", List.of("api:*")))
                .path("key").asText();
        Http.Response noScope = summary(owner.orgId(), "&credential_id=" + member.keyId(), dataOnly);
        assertThat(noScope.status()).as("a key without keys:self").isEqualTo(403);
        assertThat(noScope.json().path("error").path("code").asText()).isEqualTo("insufficient_scope");

        Map<String, JsonNode> all = byCredential(TestNode.ok(summary(owner.orgId(), "&group_by=credential",
                owner.key()), 200));
        assertThat(all.keySet()).as("an owner reads every credential's").contains(owner.keyId(), member.keyId());
    }

    @Test
    void theNetworksOfCredentialsThatCannotBeUsedAreForgottenAfterRetention() throws InterruptedException {
        Keyed live = keyed("networks-live@usage.test", "free");
        Keyed revoked = keyed("networks-revoked@usage.test", "free");
        TestNode.ok(gw.node.http.send("POST", "/v1/keys/" + revoked.keyId() + "/revoke", TestNode.auth(gw.node.adminKey),
                Map.of()), 200);
        var db = gw.node.server.services().db();
        long old = System.currentTimeMillis() - 3 * 86_400_000L; // past usage.retention (1d)
        long recent = System.currentTimeMillis() - 3_600_000L;
        db.inTransaction(h -> {
            var insert = h.prepareBatch("INSERT INTO credential_networks (credential_id, network, first_seen_at) "
                    + "VALUES (:cred, :net, :at)");
            insert.bind("cred", live.keyId()).bind("net", "192.0.2.0/24").bind("at", old).add();
            insert.bind("cred", revoked.keyId()).bind("net", "192.0.2.0/24").bind("at", old).add();
            insert.bind("cred", "key_networksgonewithitsorg").bind("net", "192.0.2.0/24").bind("at", old).add();
            insert.bind("cred", revoked.keyId()).bind("net", "198.51.100.0/24").bind("at", recent).add();
            insert.execute();
            return null;
        });
        long deadline = System.nanoTime() + 20_000_000_000L;
        List<String> left;
        do {
            Thread.sleep(200);
            left = db.withHandle(h -> h.createQuery("SELECT credential_id || ' ' || network FROM credential_networks "
                    + "WHERE credential_id IN (:a, :b, 'key_networksgonewithitsorg')").bind("a", live.keyId())
                    .bind("b", revoked.keyId()).mapTo(String.class).list());
        } while (left.size() != 2 && System.nanoTime() < deadline);
        assertThat(left).as("a live key's networks, and one known for less than the retention")
                .containsExactlyInAnyOrder(live.keyId() + " 192.0.2.0/24", revoked.keyId() + " 198.51.100.0/24");
    }

    @Test
    void minutesAndAlertsPastRetentionAreDeletedAndNewerOnesStay() throws InterruptedException {
        Keyed k = keyed("retention@usage.test", "free");
        var db = gw.node.server.services().db();
        long now = System.currentTimeMillis();
        long old = now - 3 * 86_400_000L; // past usage.retention (1d)
        long recent = now - 12 * 3_600_000L;
        int oldRows = UsageRetention.BATCH + 500; // more than one batch
        db.inTransaction(h -> {
            var batch = h.prepareBatch("INSERT INTO usage_minutes (minute, org_id, credential_id, server_id, tool, "
                    + "calls, client_errors, server_errors, credits) VALUES (:m, :org, :cred, '', :tool, 1, 0, 0, 0)");
            for (int i = 0; i < oldRows; i++) {
                batch.bind("m", old - old % 60_000).bind("org", k.org()).bind("cred", k.keyId()).bind("tool", "t" + i)
                        .add();
            }
            batch.bind("m", recent - recent % 60_000).bind("org", k.org()).bind("cred", k.keyId()).bind("tool", "kept")
                    .add();
            batch.execute();
            for (long at : new long[]{old, recent}) {
                h.createUpdate("INSERT INTO alerts (id, org_id, credential_id, kind, evidence, created_at) "
                                + "VALUES (:id, :org, :cred, 'burst', '{}', :at)")
                        .bind("id", "alert_retention" + at).bind("org", k.org()).bind("cred", k.keyId())
                        .bind("at", at).execute();
            }
            return null;
        });

        long deadline = System.nanoTime() + 20_000_000_000L;
        long left;
        do {
            Thread.sleep(200);
            left = db.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM usage_minutes WHERE org_id = :org")
                    .bind("org", k.org()).mapTo(Long.class).one());
        } while (left != 1 && System.nanoTime() < deadline);
        assertThat(left).as("only the minute within retention is left").isEqualTo(1);
        List<String> tools = db.withHandle(h -> h.createQuery("SELECT tool FROM usage_minutes WHERE org_id = :org")
                .bind("org", k.org()).mapTo(String.class).list());
        assertThat(tools).containsExactly("kept");
        List<Long> alerts = db.withHandle(h -> h.createQuery("SELECT created_at FROM alerts WHERE org_id = :org")
                .bind("org", k.org()).mapTo(Long.class).list());
        assertThat(alerts).containsExactly(recent);
    }
}
