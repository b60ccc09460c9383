package io.gatehouse.billing;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.oauth.OAuthSteps;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Ledger;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.Person;
import io.gatehouse.testing.TestNode;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An OAuth access token on the data plane is metered as a key is (billing.md: "for API keys and
 * OAuth tokens alike"): its tool calls are charged to its organization's pool, counted in usage
 * under its grant, and held to the plan's {@code key-rate-limit} with the same 429 and fields. The
 * token is a real one: a person signs up, signs in, consents, and the client exchanges the code.
 */
class TokenMeteringIT {
    static final String CALLBACK = "http://127.0.0.1:43118/callback";
    static GatewayNode gw;
    static OAuthSteps steps;

    @BeforeAll
    static void start() {
        // OAuthSteps.signUp puts the person's organization on "free".
        gw = GatewayNode.start(Map.of("plans.free.credits", "100", "plans.free.key-rate-limit", "6/min"));
        steps = new OAuthSteps(gw.node);
        ok(gw.node.http.send("PATCH", "/v1/servers/" + gw.demoServerId, TestNode.auth(gw.node.adminKey),
                Map.of("costs", Map.of("echo", 7))), 200);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static long balance(String org) {
        return ok(gw.node.http.get("/v1/orgs/" + org + "/credits", gw.node.adminKey), 200).path("balance").asLong();
    }

    @Test
    void anAccessTokenIsChargedCountedUnderItsGrantAndRateLimitedLikeAKey() {
        String email = "metered@tokens.test";
        JsonNode joined = steps.signUp(email, "Metered by token");
        String personKey = joined.path("key").path("key").asText();
        String personKeyId = joined.path("key").path("id").asText();
        String clientId = steps.register(Map.of("client_name", "Metered client", "redirect_uris", List.of(CALLBACK),
                "token_endpoint_auth_method", "none", "application_type", "native"));
        String access = steps.tokens(new Person(gw.node.server.publicUrl()), email, clientId, CALLBACK,
                gw.url("/mcp/demo").toString()).path("access_token").asText();
        assertThat(access).startsWith("gh_at_");
        JsonNode introspected = ok(steps.post("/oauth/introspect", TestNode.auth(gw.node.adminKey),
                Map.of("token", access)), 200);
        assertThat(introspected.path("active").asBoolean()).isTrue();
        String org = introspected.path("org").asText();
        String grant = introspected.path("grant_id").asText();
        assertThat(org).startsWith("org_");
        assertThat(grant).startsWith("grant_");
        assertThat(balance(org)).as("the plan's allocation").isEqualTo(100);

        // Six requests a minute: initialize and its notification take two, four tool calls the rest.
        Mcp mcp = Mcp.withKey(gw.url("/mcp/demo"), access);
        Mcp.Answer init = mcp.initialize();
        assertThat(init.status()).as(init.body()).isEqualTo(200);
        assertThat(init.header("RateLimit-Policy")).as("the plan's key limit applies to the token")
                .isEqualTo("\"key\";q=6;w=60");
        assertThat(init.header("RateLimit")).startsWith("\"key\";r=5;t=");
        for (int i = 0; i < 4; i++) {
            Mcp.Answer echo = mcp.callTool("echo", Map.of("text", "n" + i));
            assertThat(echo.last().path("result").isObject()).as(echo.body()).isTrue();
            assertThat(echo.header("RateLimit")).as("after the notification and %d calls", i + 1)
                    .startsWith("\"key\";r=" + (3 - i) + ";t=");
        }
        assertThat(balance(org)).as("four calls of 7 from the pool").isEqualTo(100 - 28);

        Mcp.Answer limited = mcp.callTool("echo", Map.of("text", "one too many"));
        assertThat(limited.status()).as(limited.body()).isEqualTo(429);
        JsonNode error = limited.last().path("error");
        assertThat(error.path("code").asText()).isEqualTo("too_many_requests");
        assertThat(error.path("reason").asText()).isEqualTo("rate_limited");
        assertThat(error.path("message").asText()).as("named as a token, not a key")
                .startsWith("Access token has made more than 6 requests in 60 seconds");
        long retryAfter = Long.parseLong(limited.header("Retry-After"));
        assertThat(retryAfter).as("one request per 10 s comes back").isBetween(1L, 10L);
        assertThat(error.path("retry_after").asLong()).isEqualTo(retryAfter);
        assertThat(limited.header("RateLimit")).isEqualTo("\"key\";r=0;t=" + retryAfter);
        assertThat(limited.header("RateLimit-Policy")).isEqualTo("\"key\";q=6;w=60");
        assertThat(balance(org)).as("a call refused at step 6 spends nothing").isEqualTo(72);

        // The limit is the token's own; the pool is the organization's: the person's key still passes, and pays from it.
        Mcp byKey = Mcp.withKey(gw.url("/mcp/demo"), personKey);
        assertThat(byKey.initialize().status()).isEqualTo(200);
        Mcp.Answer keyed = byKey.callTool("echo", Map.of("text", "by key"));
        assertThat(keyed.last().path("result").isObject()).as(keyed.body()).isTrue();
        assertThat(balance(org)).isEqualTo(72 - 7);

        // The ledger names the grant as the credential of the token's charges.
        JsonNode ledger = ok(gw.node.http.get("/v1/orgs/" + org + "/credits/ledger", gw.node.adminKey), 200);
        Map<String, Long> chargedCalls = new HashMap<>();
        Map<String, Long> chargedCredits = new HashMap<>();
        for (JsonNode m : ledger.path("data")) {
            assertThat(m.path("kind").asText()).as(m.toString()).isNotEqualTo("refund");
            if (m.path("kind").asText().equals("charge")) {
                assertThat(m.path("tool").asText()).isEqualTo("echo");
                chargedCalls.merge(m.path("credential_id").asText(), m.path("calls").asLong(), Long::sum);
                chargedCredits.merge(m.path("credential_id").asText(), -m.path("lease_delta").asLong(), Long::sum);
            }
        }
        assertThat(chargedCalls).as(ledger.toString()).isEqualTo(Map.of(grant, 4L, personKeyId, 1L));
        assertThat(chargedCredits).isEqualTo(Map.of(grant, 28L, personKeyId, 7L));
        gw.node.server.services().billing().credits().flush();
        assertThat(Ledger.charged(gw.node.server.services().db(), org)).isEqualTo(35);

        // Usage, narrowed to the grant: its calls by tool, the 429 among them, its credits.
        gw.node.server.services().billing().usage().flush();
        String from = Instant.now().minusSeconds(600).toString();
        JsonNode byTool = ok(gw.node.http.get("/v1/orgs/" + org + "/usage/summary?from=" + from
                + "&group_by=tool&credential_id=" + grant, gw.node.adminKey), 200);
        Map<String, JsonNode> tools = new HashMap<>();
        byTool.path("data").forEach(r -> tools.put(r.path("tool").asText(), r));
        assertThat(tools.keySet()).as(byTool.toString()).containsExactlyInAnyOrder("echo", "");
        assertThat(tools.get("echo").path("calls").asLong()).isEqualTo(5);
        assertThat(tools.get("echo").path("rate_limited").asLong()).isEqualTo(1);
        assertThat(tools.get("echo").path("credits").asLong()).isEqualTo(28);
        assertThat(tools.get("").path("calls").asLong()).as("initialize and its notification").isEqualTo(2);
        assertThat(tools.get("").path("credits").asLong()).isZero();

        JsonNode byCredential = ok(gw.node.http.get("/v1/orgs/" + org + "/usage/summary?from=" + from
                + "&group_by=credential", gw.node.adminKey), 200);
        Map<String, JsonNode> credentials = new HashMap<>();
        byCredential.path("data").forEach(r -> credentials.put(r.path("credential").asText(), r));
        assertThat(credentials.keySet()).as(byCredential.toString()).containsExactlyInAnyOrder(grant, personKeyId);
        assertThat(credentials.get(grant).path("calls").asLong()).isEqualTo(7);
        assertThat(credentials.get(grant).path("credits").asLong()).isEqualTo(28);
        assertThat(credentials.get(grant).path("rate_limited").asLong()).isEqualTo(1);
        assertThat(credentials.get(personKeyId).path("credits").asLong()).isEqualTo(7);
        assertThat(credentials.get(personKeyId).path("rate_limited").asLong()).isZero();
        Ledger.check(gw.node.server.services().db());
    }
}
