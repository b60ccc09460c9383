package io.gatehouse.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.cli.CliIT;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Person;
import io.gatehouse.testing.TestNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** OAuth clients an operator registers, through the API and the CLI: confidential ones authenticate. */
class OperatorClientsIT {
    static final String CALLBACK = "https://app.example/callback";
    static GatewayNode gw;
    static TestNode node;
    static OAuthSteps steps;
    static JsonNode person;

    @BeforeAll
    static void start() {
        gw = GatewayNode.start();
        node = gw.node;
        steps = new OAuthSteps(node);
        person = steps.signUp("kay@clients.test", "Smalltalk");
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String basic(String id, String secret) {
        return "Basic " + Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aConfidentialClientAuthenticatesWithItsSecretAndMayIntrospectItsOwnTokens() throws Exception {
        CliIT.Run made = CliIT.run("clients", "create", "--url", node.server.publicUrl().toString(),
                "--key", node.adminKey, "--name", "Back office", "--redirect-uri", CALLBACK, "--confidential");
        assertThat(made.exit()).as(made.err()).isZero();
        String clientId = made.json().path("client_id").asText();
        String secret = made.json().path("client_secret").asText();
        assertThat(secret).startsWith("gh_cs_");
        assertThat(made.json().path("token_endpoint_auth_method").asText()).isEqualTo("client_secret_basic");
        JsonNode listed = ok(node.http.get("/v1/oauth-clients", node.adminKey), 200);
        assertThat(listed.toString()).contains(clientId).doesNotContain(secret);

        Person browser = new Person(node.server.publicUrl());
        String verifier = "c".repeat(60);
        URI back = steps.signInAndApprove(browser, steps.authorizeUrl(clientId, CALLBACK, verifier, "s",
                gw.url("/mcp/demo").toString()), "kay@clients.test");
        String code = Person.query(back).get("code").getFirst();
        Map<String, String> exchange = Map.of("grant_type", "authorization_code", "code", code, "redirect_uri", CALLBACK,
                "code_verifier", verifier);
        Http.Response noSecret = steps.post("/oauth/token", Map.of(), Map.of("grant_type", "authorization_code",
                "code", code, "redirect_uri", CALLBACK, "code_verifier", verifier, "client_id", clientId));
        assertThat(noSecret.status()).isEqualTo(401);
        assertThat(noSecret.json().path("error").asText()).isEqualTo("invalid_client");
        Http.Response wrong = steps.post("/oauth/token", Map.of("Authorization", basic(clientId, "gh_cs_wrong")), exchange);
        assertThat(wrong.status()).isEqualTo(401);
        JsonNode tokens = ok(steps.post("/oauth/token", Map.of("Authorization", basic(clientId, secret)), exchange), 200);
        String access = tokens.path("access_token").asText();

        JsonNode mine = ok(steps.post("/oauth/introspect", Map.of("Authorization", basic(clientId, secret)),
                Map.of("token", access)), 200);
        assertThat(mine.path("active").asBoolean()).isTrue();
        assertThat(mine.path("sub").asText()).isEqualTo(person.path("member").path("user_id").asText());

        // Removing the client revokes what people gave it.
        CliIT.Run removed = CliIT.run("clients", "delete", clientId, "--url", node.server.publicUrl().toString(),
                "--key", node.adminKey);
        assertThat(removed.exit()).as(removed.err()).isZero();
        assertThat(gw.mcp(access).initialize().status()).isEqualTo(401);
    }

    @Test
    void aMetadataDocumentOnAnInternalAddressIsNeverFetched() {
        // By default only public addresses are read (SSRF): loopback, private and link-local are refused
        // before any connection, and nobody is redirected anywhere.
        Person browser = new Person(node.server.publicUrl());
        for (String id : List.of("https://127.0.0.1:9/client.json", "https://169.254.169.254/latest/meta-data",
                "https://localhost:9/client.json")) {
            Person.Page page = browser.open(steps.authorizeUrl(id, "https://app.example/cb", "v".repeat(50), "s", null));
            assertThat(page.status()).as(id).isEqualTo(400);
            assertThat(page.location()).as(id).isEmpty();
            assertThat(page.body()).as(id).contains("could not be read");
        }
    }

    @Test
    void onlyAnOperatorRegistersClients() {
        Http.Response r = node.http.post("/v1/oauth-clients", person.path("key").path("key").asText(),
                Map.of("name", "Mine", "redirect_uris", List.of(CALLBACK)));
        assertThat(r.status()).isEqualTo(403);
        Http.Response bad = node.http.post("/v1/oauth-clients", node.adminKey,
                Map.of("name", "Bad", "redirect_uris", List.of("http://public.example/cb")));
        assertThat(bad.status()).isEqualTo(400);
    }
}
