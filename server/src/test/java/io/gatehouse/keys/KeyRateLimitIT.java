package io.gatehouse.keys;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A key's own {@code rate_limit}: held at the door beside the plan's (policy {@code credential}), and
 * passed on, never loosened, to the keys it makes and the keys that replace it.
 */
class KeyRateLimitIT {
    static GatewayNode gw;
    static Http http;

    @BeforeAll
    static void start() {
        gw = GatewayNode.start(Map.of("plans.default", "free", "plans.free.api-access", "true",
                "plans.limited.key-rate-limit", "5/min"));
        http = new Http(gw.node.server.publicUrl());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static Http.Response poll(String key) {
        return http.send("GET", "/api/v1/nothing-here", TestNode.auth(key), null); // the upstream's 404: a free call
    }

    @Test
    void aKeysOwnLimitHoldsThatKeyBesideItsPlans() {
        String user = gw.node.createUser("own@keylimit.test");
        String org = gw.node.createOrg("Own", "limited", user);
        JsonNode created = gw.node.createKey(org, user, Map.of("rate_limit", "3/min"));
        assertThat(created.path("rate_limit").asText()).isEqualTo("3/min");
        assertThat(ok(gw.node.http.get("/v1/keys/" + created.path("id").asText(), gw.node.adminKey), 200)
                .path("rate_limit").asText()).isEqualTo("3/min");
        String key = created.path("key").asText();
        for (int i = 0; i < 3; i++) {
            Http.Response r = poll(key);
            assertThat(r.status()).as(r.text()).isEqualTo(404);
            assertThat(r.header("RateLimit-Policy")).isEqualTo("\"key\";q=5;w=60, \"credential\";q=3;w=60");
            assertThat(r.header("RateLimit")).startsWith("\"credential\";r=" + (2 - i) + ";t=");
        }
        Http.Response limited = poll(key);
        assertThat(limited.status()).as(limited.text()).isEqualTo(429);
        assertThat(limited.reason()).isEqualTo("rate_limited");
        assertThat(limited.json().path("error").path("message").asText())
                .startsWith("API key, under its own rate limit, has made more than 3 requests in 60 seconds");
        assertThat(limited.header("RateLimit")).startsWith("\"credential\";r=0;t=");

        String sibling = gw.node.createKey(org, user, Map.of()).path("key").asText();
        Http.Response other = poll(sibling);
        assertThat(other.status()).as("another key of the same person is not held by it").isEqualTo(404);
        assertThat(other.header("RateLimit-Policy")).isEqualTo("\"key\";q=5;w=60");
    }

    @Test
    void aKeyMadeByALimitedKeyGetsItsLimitOrANarrowerOneAndKeepsItWhenRolled() {
        String user = gw.node.createUser("child@keylimit.test");
        String org = gw.node.createOrg("Child", "free", user);
        String parent = gw.node.createKey(org, user, Map.of("rate_limit", "2/min",
                "permissions", List.of("api:*", "mcp:*", "keys:self"))).path("key").asText();

        JsonNode inherited = ok(http.post("/v1/me/keys", parent, Map.of("name", "inherits")), 201);
        assertThat(inherited.path("rate_limit").asText()).as("left out: the creating key's own").isEqualTo("2/min");
        String child = inherited.path("key").asText();
        assertThat(poll(child).status()).isEqualTo(404);
        assertThat(poll(child).status()).isEqualTo(404);
        assertThat(poll(child).status()).as("the inherited limit holds at the door").isEqualTo(429);

        JsonNode narrower = ok(http.post("/v1/me/keys", parent, Map.of("name", "narrower", "rate_limit", "1/h")), 201);
        assertThat(narrower.path("rate_limit").asText()).isEqualTo("1/h");

        for (String looser : List.of("\"3/min\"", "\"2/30s\"", "null")) {
            Http.Response refused = http.post("/v1/me/keys", parent, "{\"name\": \"looser\", \"rate_limit\": " + looser + "}");
            assertThat(refused.status()).as(looser + ": " + refused.text()).isEqualTo(403);
            assertThat(refused.reason()).isEqualTo("exceeds_reach");
            assertThat(refused.json().path("error").path("message").asText()).startsWith("rate_limit:");
        }

        JsonNode rolled = ok(http.post("/v1/keys/" + inherited.path("id").asText() + "/roll", parent,
                Map.of("grace_seconds", 60)), 201);
        assertThat(rolled.path("rate_limit").asText()).as("rolling keeps it").isEqualTo("2/min");
        JsonNode renewed = ok(http.post("/v1/keys/" + narrower.path("id").asText() + "/renew", gw.node.adminKey,
                null), 201);
        assertThat(renewed.path("rate_limit").asText()).as("an operator's renewal keeps it").isEqualTo("1/h");
    }

    @Test
    void aBadRateLimitIsA400NamingTheField() {
        String user = gw.node.createUser("bad@keylimit.test");
        String org = gw.node.createOrg("Bad", "free", user);
        Http.Response bad = gw.node.http.post("/v1/keys", gw.node.adminKey, Map.of("organization_id", org,
                "user_id", user, "name", "k", "rate_limit", "lots"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("error").path("message").asText()).startsWith("rate_limit: 'lots' is not a rate");
        Http.Response operator = gw.node.http.post("/v1/keys", gw.node.adminKey, Map.of("name", "ops",
                "kind", "operator", "rate_limit", "10/min"));
        assertThat(operator.status()).as(operator.text()).isEqualTo(400);
        assertThat(operator.json().path("error").path("message").asText()).startsWith("rate_limit:");
    }
}
