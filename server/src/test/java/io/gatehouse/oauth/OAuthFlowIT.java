package io.gatehouse.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.Person;
import io.gatehouse.testing.TestNode;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole OAuth path a person takes through an MCP client, over real HTTP: registration, the
 * sign-in and consent pages filled in as a person would, the code for tokens, a tool call with the
 * access token through the gateway, refresh and rotation, and every way it must refuse.
 */
class OAuthFlowIT {
    static final String CALLBACK = "http://127.0.0.1:43117/callback";
    static GatewayNode gw;
    static TestNode node;
    static String email = "ada@oauth.test";
    static String mcpUrl;
    static OAuthSteps steps;

    @BeforeAll
    static void start() {
        gw = GatewayNode.start(Map.of("oauth.refresh-reuse-grace", "2s"));
        node = gw.node;
        mcpUrl = gw.url("/mcp/demo").toString();
        steps = new OAuthSteps(node);
        steps.signUp(email, "Analytical Engines");
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void discoveryDocumentsNameTheAuthorizationServerAndAgree() {
        JsonNode as = ok(node.http.send("GET", "/.well-known/oauth-authorization-server", Map.of(), null), 200);
        JsonNode oidc = ok(node.http.send("GET", "/.well-known/openid-configuration", Map.of(), null), 200);
        assertThat(oidc).isEqualTo(as);
        String issuer = node.server.publicUrl().toString();
        assertThat(as.path("issuer").asText()).isEqualTo(issuer).doesNotEndWith("/");
        assertThat(TestNode.texts(as.path("code_challenge_methods_supported"))).containsExactly("S256");
        assertThat(as.path("client_id_metadata_document_supported").asBoolean()).isTrue();
        assertThat(as.path("authorization_response_iss_parameter_supported").asBoolean()).isTrue();
        assertThat(TestNode.texts(as.path("token_endpoint_auth_methods_supported"))).contains("none");
        assertThat(as.path("registration_endpoint").asText()).isEqualTo(issuer + "/oauth/register");
        assertThat(TestNode.texts(as.path("scopes_supported"))).contains("mcp:use").doesNotContain("offline_access");

        JsonNode prm = ok(node.http.send("GET", "/.well-known/oauth-protected-resource/mcp/demo", Map.of(), null), 200);
        assertThat(prm.path("resource").asText()).isEqualTo(mcpUrl);
        assertThat(TestNode.texts(prm.path("authorization_servers"))).containsExactly(issuer);
        assertThat(TestNode.texts(prm.path("scopes_supported"))).containsExactly("mcp:use");

        Http.Response challenged = node.http.send("POST", "/mcp/demo", Map.of(), Map.of("jsonrpc", "2.0", "id", 1,
                "method", "tools/list"));
        assertThat(challenged.status()).isEqualTo(401);
        assertThat(challenged.header("WWW-Authenticate"))
                .contains("resource_metadata=\"" + issuer + "/.well-known/oauth-protected-resource/mcp/demo\"")
                .contains("scope=\"mcp:use\"");
    }

    @Test
    void aPersonSignsInConsentsAndTheClientCallsAToolThenRefreshes() throws Exception {
        String clientId = steps.register(Map.of("client_name", "Flow Test", "redirect_uris", List.of(CALLBACK),
                "token_endpoint_auth_method", "none", "application_type", "native"));
        Person person = new Person(node.server.publicUrl());
        String verifier = "v".repeat(20) + "erifier-0123456789-abcdefghij";
        URI back = steps.signInAndApprove(person, steps.authorizeUrl(clientId, CALLBACK, verifier, "st-1", mcpUrl), email);

        assertThat(back.toString()).startsWith(CALLBACK + "?");
        Map<String, List<String>> q = Person.query(back);
        assertThat(q.get("state")).containsExactly("st-1");
        assertThat(q.get("iss")).containsExactly(node.server.publicUrl().toString());
        String code = q.get("code").getFirst();
        assertThat(code).startsWith("gh_ac_");

        Http.Response token = steps.token(Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", CALLBACK, "client_id", clientId, "code_verifier", verifier, "resource", mcpUrl));
        assertThat(token.status()).as(token.text()).isEqualTo(200);
        assertThat(token.header("Cache-Control")).contains("no-store");
        JsonNode t = token.json();
        String access = t.path("access_token").asText();
        String refresh = t.path("refresh_token").asText();
        assertThat(access).startsWith("gh_at_");
        assertThat(refresh).startsWith("gh_rt_");
        assertThat(t.path("token_type").asText()).isEqualTo("Bearer");
        assertThat(t.path("scope").asText()).isEqualTo("mcp:use");

        Mcp mcp = Mcp.withKey(gw.url("/mcp/demo"), access);
        mcp.initialize();
        assertThat(mcp.callTool("add", Map.of("a", 2, "b", 40)).last().toString()).contains("42");
        // Audience-bound: not for another server, not for the management API's protected calls.
        Http.Response elsewhere = node.http.send("GET", "/v1/keys", TestNode.auth(access), null);
        assertThat(elsewhere.status()).isEqualTo(403);
        assertThat(elsewhere.json().path("error").path("message").asText()).contains("Access token").doesNotContain("API key");

        // The code is single use: presented again, it revokes what it issued.
        Http.Response replay = steps.token(Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", CALLBACK, "client_id", clientId, "code_verifier", verifier));
        assertThat(replay.status()).isEqualTo(400);
        assertThat(replay.json().path("error").asText()).isEqualTo("invalid_grant");
        Http.Response revoked = node.http.send("POST", "/mcp/demo", TestNode.auth(access), Map.of("jsonrpc", "2.0",
                "id", 9, "method", "tools/list"));
        assertThat(revoked.status()).isEqualTo(401);
        assertThat(revoked.header("WWW-Authenticate")).contains("invalid_token");
        assertThat(steps.token(Map.of("grant_type", "refresh_token", "refresh_token", refresh, "client_id", clientId))
                .json().path("error").asText()).isEqualTo("invalid_grant");

        // A second authorization: consent is remembered, the answer comes at once.
        String verifier2 = "second-verifier-".repeat(3);
        Person.Page again = person.open(steps.authorizeUrl(clientId, CALLBACK, verifier2, "st-2", mcpUrl));
        assertThat(again.status()).isEqualTo(303);
        String code2 = Person.query(URI.create(again.location().orElseThrow())).get("code").getFirst();
        JsonNode t2 = ok(steps.token(Map.of("grant_type", "authorization_code", "code", code2,
                "redirect_uri", CALLBACK, "client_id", clientId, "code_verifier", verifier2)), 200);

        // Refresh rotates; the old refresh token still works inside the grace window (a lost answer).
        JsonNode r1 = ok(steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", t2.path("refresh_token").asText(), "client_id", clientId)), 200);
        assertThat(r1.path("refresh_token").asText()).isNotEqualTo(t2.path("refresh_token").asText());
        JsonNode retried = ok(steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", t2.path("refresh_token").asText(), "client_id", clientId)), 200);
        Mcp refreshed = Mcp.withKey(gw.url("/mcp/demo"), retried.path("access_token").asText());
        refreshed.initialize();
        assertThat(refreshed.callTool("add", Map.of("a", 1, "b", 1)).last().toString()).contains("2");

        // After the grace window, reuse is theft: the whole grant goes.
        Thread.sleep(2_300);
        Http.Response reuse = steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", t2.path("refresh_token").asText(), "client_id", clientId));
        assertThat(reuse.json().path("error").asText()).isEqualTo("invalid_grant");
        Http.Response afterTheft = node.http.send("POST", "/mcp/demo",
                TestNode.auth(r1.path("access_token").asText()), Map.of("jsonrpc", "2.0", "id", 3, "method", "tools/list"));
        assertThat(afterTheft.status()).isEqualTo(401);
    }
}
