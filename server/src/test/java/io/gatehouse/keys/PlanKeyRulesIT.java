package io.gatehouse.keys;

import static io.gatehouse.testing.TestNode.auth;
import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Key rules a plan gives every organization on it (seed 002: "one key per account; renewing
 * invalidates the previous one"), joined to the organization's own: the stricter wins.
 */
class PlanKeyRulesIT {
    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start(Map.of("plans.professional.one-key-per-user", "true",
                "plans.professional.max-key-lifetime-days", "90", "plans.free.api-access", "true",
                "plans.team.max-keys", "2"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static JsonNode key(String org, String user, Map<String, Object> extra) {
        return node.createKey(org, user, extra);
    }

    private static long daysLeft(JsonNode key) {
        return Duration.between(Instant.now(), Instant.parse(key.path("expires_at").asText())).toHours() / 24;
    }

    @Test
    void onAPlanWithOneKeyPerPersonANewKeyRenewsTheLastAndKeysLiveNinetyDaysAtMost() {
        String person = node.createUser("pro@profundis.test");
        String org = node.createOrg("Professional", "professional", person);
        JsonNode first = key(org, person, Map.of());
        assertThat(daysLeft(first)).as("a key with no expiry asked gets the plan's longest").isBetween(89L, 90L);
        JsonNode second = key(org, person, Map.of("expires", "30d"));
        assertThat(node.whoami(first.path("key").asText()).reason()).isEqualTo("revoked");
        assertThat(node.whoami(second.path("key").asText()).status()).isEqualTo(200);

        Http.Response forever = node.http.post("/v1/keys", node.adminKey, Map.of("organization_id", org,
                "user_id", person, "name", "forever", "expires", "never"));
        assertThat(forever.status()).isEqualTo(400);
        assertThat(forever.json().path("error").path("message").asText()).contains("within 90 days");
        assertThat(node.whoami(second.path("key").asText()).status()).as("a refused key renews nothing").isEqualTo(200);
    }

    @Test
    void theOrganizationsOwnShorterLimitWinsAndAPlanWithoutRulesLeavesKeysAlone() {
        String person = node.createUser("short@profundis.test");
        String org = node.createOrg("Shorter", "professional", person);
        ok(node.http.send("PATCH", "/v1/orgs/" + org, auth(node.adminKey), Map.of("max_key_lifetime_days", 30)), 200);
        assertThat(daysLeft(key(org, person, Map.of()))).isBetween(29L, 30L);

        String free = node.createUser("free@profundis.test");
        String freeOrg = node.createOrg("Free", "free", free);
        JsonNode a = key(freeOrg, free, Map.of());
        JsonNode b = key(freeOrg, free, Map.of());
        assertThat(a.path("expires_at").isNull()).isTrue();
        assertThat(node.whoami(a.path("key").asText()).status()).isEqualTo(200);
        assertThat(node.whoami(b.path("key").asText()).status()).isEqualTo(200);
    }

    @Test
    void movingToAPlanWithOneKeyPerPersonAppliesToTheNextKeyMade() {
        String person = node.createUser("upgrade@profundis.test");
        String org = node.createOrg("Upgrading", "free", person);
        JsonNode a = key(org, person, Map.of());
        JsonNode b = key(org, person, Map.of());
        ok(node.http.send("PATCH", "/v1/orgs/" + org, auth(node.adminKey), Map.of("plan", "professional")), 200);
        assertThat(node.whoami(a.path("key").asText()).status()).as("existing keys stay until a new one is made")
                .isEqualTo(200);
        JsonNode c = key(org, person, Map.of());
        assertThat(node.whoami(a.path("key").asText()).reason()).isEqualTo("revoked");
        assertThat(node.whoami(b.path("key").asText()).reason()).isEqualTo("revoked");
        assertThat(node.whoami(c.path("key").asText()).status()).isEqualTo(200);
    }

    @Test
    void aPlanCapsHowManyLiveKeysAnOrganizationHolds() {
        String person = node.createUser("team@capped.test");
        String org = node.createOrg("Team", "team", person);
        JsonNode first = key(org, person, Map.of());
        JsonNode second = key(org, person, Map.of());
        Http.Response third = node.http.post("/v1/keys", node.adminKey, Map.of("organization_id", org,
                "user_id", person, "name", "third"));
        assertThat(third.status()).as(third.text()).isEqualTo(403);
        assertThat(third.json().path("error").path("reason").asText()).isEqualTo("key_limit_reached");
        assertThat(third.json().path("error").path("message").asText()).contains("at most 2");

        ok(node.http.post("/v1/keys/" + first.path("id").asText() + "/revoke", node.adminKey, Map.of()), 200);
        assertThat(key(org, person, Map.of()).path("key").asText()).as("a revoked key frees its place").isNotEmpty();
        Http.Response rolled = node.http.post("/v1/keys/" + second.path("id").asText() + "/roll", node.adminKey,
                Map.of("grace_seconds", 60));
        assertThat(rolled.status()).as("a roll replaces a key, at the cap too: " + rolled.text()).isBetween(200, 201);
    }
}
