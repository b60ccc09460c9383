package io.gatehouse.keys;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import io.gatehouse.testing.TestNode.Person;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.auth;
import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeds 000, 001 and 003: a person opens their settings and makes, lists, renews and deletes their
 * own keys, choosing only workspaces they belong to; and the rule under it: a key never makes one
 * that reaches further than itself — workspaces, servers, tools, permissions, expiry — nor one in
 * another organization or owned by another person.
 */
class SelfServiceKeysIT {
    static TestNode node;
    static Person owner;
    static Person dev;
    static String research;
    static String sales;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        owner = node.owner("owner@self.test", "Self Co", "free");
        research = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/workspaces", owner.key(), Map.of("name", "Research")),
                201).path("id").asText();
        sales = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/workspaces", owner.key(), Map.of("name", "Sales")),
                201).path("id").asText();
        JsonNode invited = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/invitations", owner.key(),
                Map.of("email", "dev@self.test", "workspaces", List.of(research, sales))), 201);
        dev = node.accept(invited.path("token").asText(), null);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void aMemberMakesListsRenewsAndDeletesTheirOwnKeys() {
        JsonNode first = ok(node.whoami(dev.key()), 200);
        assertThat(first.path("role").asText()).isEqualTo("member");
        assertThat(TestNode.texts(first.path("permissions"))).contains("keys:self").doesNotContain("admin:read");

        JsonNode made = ok(node.http.post("/v1/me/keys", dev.key(), Map.of("name", "Claude Desktop",
                "workspaces", List.of(research), "expires", "90d")), 201);
        String key = made.path("key").asText();
        assertThat(made.path("user_id").asText()).isEqualTo(dev.userId());
        assertThat(TestNode.texts(made.path("scope").path("permissions"))).containsExactlyInAnyOrder("api:*", "mcp:*");
        assertThat(ok(node.whoami(key), 200).path("workspaces")).hasSize(1);

        JsonNode mine = ok(node.http.get("/v1/me/keys", dev.key()), 200).path("data");
        assertThat(mine).extracting(k -> k.path("user_id").asText()).containsOnly(dev.userId());
        assertThat(mine.toString()).doesNotContain(key).contains(made.path("masked").asText());
        assertThat(ok(node.http.get("/v1/keys", dev.key()), 200).path("data")).hasSameSizeAs(mine);

        JsonNode renewed = ok(node.http.post("/v1/keys/" + made.path("id").asText() + "/renew", dev.key(), null), 201);
        assertThat(node.whoami(key).status()).isEqualTo(401);
        assertThat(node.whoami(renewed.path("key").asText()).status()).isEqualTo(200);
        assertThat(node.http.send("DELETE", "/v1/keys/" + renewed.path("id").asText(), auth(dev.key()), null).status())
                .isEqualTo(204);
        assertThat(node.whoami(renewed.path("key").asText()).status()).isEqualTo(401);
    }

    @Test
    void onlyWorkspacesTheOwnerBelongsTo() {
        String other = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/workspaces", owner.key(), Map.of("name", "Other")),
                201).path("id").asText();
        Http.Response r = node.http.post("/v1/me/keys", dev.key(), Map.of("name", "x", "workspaces", List.of(other)));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("error").path("message").asText()).contains("not a member");
    }

    @Test
    void aKeyNeverMakesOneThatReachesFurther() {
        String scoped = ok(node.http.post("/v1/me/keys", dev.key(), Map.of("name", "scoped", "workspaces", List.of(research),
                "servers", List.of("search"), "tools", List.of("search/query"), "permissions", List.of("mcp:*", "keys:self"),
                "expires", "30d")), 201).path("key").asText();

        for (Map<String, Object> wider : List.<Map<String, Object>>of(
                Map.of("workspaces", List.of(research, sales)), Map.of("workspaces", "*"),
                Map.of("servers", List.of("search", "billing")), Map.of("servers", "*"),
                Map.of("tools", List.of("search/delete")), Map.of("tools", List.of("search/*")), Map.of("tools", "*"),
                Map.of("permissions", List.of("api:*")), Map.of("permissions", List.of("admin:read")),
                Map.of("permissions", List.of("mcp:*", "keys:verify")),
                Map.of("expires", "90d"), Map.of("expires", "never"))) {
            Map<String, Object> body = new java.util.HashMap<>(wider);
            body.put("name", "wider");
            Http.Response r = node.http.post("/v1/me/keys", scoped, body);
            assertThat(r.status()).as(wider.toString()).isEqualTo(403);
            assertThat(r.reason()).as(wider.toString()).isEqualTo("exceeds_reach");
        }

        // Left out, each axis is the making key's own, and so is its expiry.
        JsonNode narrower = ok(node.http.post("/v1/me/keys", scoped, Map.of("name", "narrower")), 201);
        assertThat(TestNode.texts(narrower.path("scope").path("workspaces"))).containsExactly(research);
        assertThat(TestNode.texts(narrower.path("scope").path("servers"))).containsExactly("search");
        assertThat(TestNode.texts(narrower.path("scope").path("tools"))).containsExactly("search/query");
        assertThat(TestNode.texts(narrower.path("scope").path("permissions"))).containsExactly("mcp:*");
        Instant expires = Instant.parse(narrower.path("expires_at").asText());
        assertThat(expires).isBefore(Instant.now().plus(Duration.ofDays(30)).plusSeconds(60));

        // A narrower key may not renew a wider key of the same person: that would hand it a wider secret.
        Http.Response renewWider = node.http.post("/v1/keys/" + dev.keyId() + "/renew", scoped, null);
        assertThat(renewWider.status()).isEqualTo(403);
        assertThat(renewWider.reason()).isEqualTo("exceeds_reach");
        assertThat(node.whoami(dev.key()).status()).as("the wider key still works").isEqualTo(200);
        // Renewing replaces the secret and never the term: the new key ends when the old one would have.
        JsonNode scopedView = ok(node.http.get("/v1/keys?user_id=" + dev.userId(), dev.key()), 200).path("data")
                .findParents("name").stream().filter(k -> k.path("name").asText().equals("scoped")).findFirst().orElseThrow();
        JsonNode self = ok(node.http.post("/v1/keys/" + scopedView.path("id").asText() + "/renew", scoped, null), 201);
        assertThat(Instant.parse(self.path("expires_at").asText()))
                .isEqualTo(Instant.parse(scopedView.path("expires_at").asText()));
    }

    @Test
    void aMemberMakesKeysForNobodyElseAndInNoOtherOrganization() {
        Http.Response forOwner = node.http.post("/v1/keys", dev.key(), Map.of("name", "x", "user_id", owner.userId()));
        assertThat(forOwner.status()).isEqualTo(403);
        assertThat(forOwner.reason()).isEqualTo("missing_permission");
        Person elsewhere = node.owner("else@else.test", "Elsewhere", "free");
        Http.Response otherOrg = node.http.post("/v1/keys", dev.key(), Map.of("name", "x", "organization_id",
                elsewhere.orgId()));
        assertThat(otherOrg.status()).isEqualTo(403);
        assertThat(otherOrg.reason()).isEqualTo("other_organization");
        assertThat(node.http.get("/v1/keys/" + owner.keyId(), dev.key()).status()).isEqualTo(404);
        Http.Response othersKeys = node.http.get("/v1/keys?user_id=" + owner.userId(), dev.key());
        assertThat(othersKeys.status()).isEqualTo(403);
    }

    @Test
    void aKeyWithoutKeysSelfManagesNoKeys() {
        String dataOnly = ok(node.http.post("/v1/me/keys", dev.key(), Map.of("name", "data only",
                "permissions", List.of("api:*", "mcp:*"))), 201).path("key").asText();
        for (Http.Response r : List.of(node.http.post("/v1/me/keys", dataOnly, Map.of("name", "x")),
                node.http.get("/v1/me/keys", dataOnly), node.http.post("/v1/keys/" + dev.keyId() + "/revoke", dataOnly, null))) {
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.json().path("error").path("code").asText()).isEqualTo("insufficient_scope");
            assertThat(r.header("WWW-Authenticate")).contains("scope=\"keys:self\"");
        }
    }

    @Test
    void aRolledKeyIsNotRolledAgainDuringItsGrace() {
        JsonNode k = ok(node.http.post("/v1/me/keys", dev.key(), Map.of("name", "roll me")), 201);
        ok(node.http.post("/v1/keys/" + k.path("id").asText() + "/roll", dev.key(), Map.of("grace_seconds", 600)), 201);
        Http.Response again = node.http.post("/v1/keys/" + k.path("id").asText() + "/roll", dev.key(),
                Map.of("grace_seconds", 600));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.reason()).isEqualTo("already_replaced");
    }

    @Test
    void oneKeyPerUserStillRenewsAsSeed002Says() {
        Person solo = node.owner("solo@one.test", "One Key", "free");
        ok(node.http.send("PATCH", "/v1/orgs/" + solo.orgId(), auth(solo.key()), Map.of("one_key_per_user", true)), 200);
        JsonNode second = ok(node.http.post("/v1/me/keys", solo.key(), Map.of("name", "the one",
                "permissions", List.of("api:*", "mcp:*", "keys:self"))), 201);
        assertThat(node.whoami(solo.key()).status()).as("making a key renews: the first dies").isEqualTo(401);
        String current = second.path("key").asText();
        JsonNode renewed = ok(node.http.post("/v1/keys/" + second.path("id").asText() + "/renew", current, null), 201);
        assertThat(node.whoami(current).status()).isEqualTo(401);
        assertThat(node.whoami(renewed.path("key").asText()).status()).isEqualTo(200);
    }
}
