package io.gatehouse.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpsServer;
import io.gatehouse.testing.Certificates;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Https;
import io.gatehouse.testing.Person;
import io.gatehouse.testing.TestNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the authorization server limits so that its store cannot be filled: new clients from one
 * address (100 an hour: registrations, and client metadata documents never read before, which cost
 * a fetch and a row each just the same), and refreshes per grant. A node of its own, so that the
 * budget of 127.0.0.1 is this class's alone.
 */
class OAuthLimitsIT {
    private static GatewayNode gw;
    private static TestNode node;
    /** A client registered at the start: the first of 127.0.0.1's new clients this hour. */
    private static String refresher;
    private static OAuthSteps steps;
    private static HttpsServer documents;
    private static String base;
    private static final AtomicInteger reads = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        Path dir = TestNode.tempDir();
        KeyStore identity = Certificates.create(dir, "documents", "dns:localhost");
        documents = Https.server(identity);
        base = "https://localhost:" + documents.getAddress().getPort() + "/clients/";
        documents.createContext("/clients/", ex -> {
            reads.incrementAndGet();
            String url = "https://localhost:" + documents.getAddress().getPort() + ex.getRequestURI().getPath();
            byte[] body = ("{\"client_id\": \"" + url + "\", \"client_name\": \"Made up\", "
                    + "\"redirect_uris\": [\"http://localhost/callback\"], \"token_endpoint_auth_method\": \"none\"}")
                    .getBytes(StandardCharsets.UTF_8);
            Https.answerJson(ex, body);
        });
        documents.start();
        Path ca = Certificates.pem(identity, dir.resolve("ca.pem"));
        gw = GatewayNode.start(Map.of("gateway.upstream-ca-file", ca.toString(),
                "oauth.client-metadata-private-addresses", "true", "oauth.max-refreshes-per-minute", "5"));
        node = gw.node;
        steps = new OAuthSteps(node);
        refresher = steps.register(Map.of("client_name", "Refresher", "redirect_uris", List.of("http://localhost/refresh")));
    }

    @AfterAll
    static void stop() {
        gw.close();
        documents.stop(0);
    }

    /** A token request naming {@code clientId}: the client is looked up (and its document read) first. */
    private static Http.Response tokenRequestOf(String clientId) {
        return steps.token(Map.of("grant_type", "authorization_code", "code", "not-a-code", "client_id", clientId,
                "redirect_uri", "http://localhost/callback", "code_verifier", "v".repeat(43)));
    }

    @Test
    void registrationsAndNewDocumentsShareOneBudgetPerAddress() {
        for (int i = 0; i < 98; i++) { // and the one registered in start(): 99
            Http.Response r = steps.registration(Map.of("client_name", "Client " + i,
                    "redirect_uris", List.of("http://localhost/cb" + i)));
            assertThat(r.status()).as(i + ": " + r.text()).isEqualTo(201);
        }
        Http.Response again = steps.registration(Map.of("client_name", "Client 0", "redirect_uris",
                List.of("http://localhost/cb0")));
        assertThat(again.status()).as("registering again is answered from the row, not counted: " + again.text())
                .isIn(200, 201);

        Http.Response hundredth = tokenRequestOf(base + "one.json");
        assertThat(hundredth.json().path("error").asText()).as(hundredth.text()).isEqualTo("invalid_grant");
        int readsBefore = reads.get();
        Http.Response past = tokenRequestOf(base + "two.json");
        assertThat(past.status()).as(past.text()).isEqualTo(429);
        assertThat(past.json().path("error").asText()).isEqualTo("slow_down");
        assertThat(past.header("Retry-After")).as("the budget is an hour's").isEqualTo("3600");
        assertThat(reads.get()).as("refused before its fetch").isEqualTo(readsBefore);

        Http.Response known = tokenRequestOf(base + "one.json");
        assertThat(known.json().path("error").asText()).as("a document read before is no new client: " + known.text())
                .isEqualTo("invalid_grant");
        Http.Response registration = steps.registration(Map.of("client_name", "One too many",
                "redirect_uris", List.of("http://localhost/more")));
        assertThat(registration.status()).isEqualTo(429);
        assertThat(registration.json().path("error").asText()).isEqualTo("slow_down");
        assertThat(registration.header("Retry-After")).isEqualTo("3600");
    }

    /** The tokens of a new grant: {@code email} signs up, signs in and approves {@code clientId}. */
    private static JsonNode tokensOf(String email, String clientId) {
        steps.signUp(email, "Org of " + email);
        String verifier = "v".repeat(50);
        URI back = steps.signInAndApprove(new Person(node.server.publicUrl()), steps.authorizeUrl(clientId,
                "http://localhost/refresh", verifier, "s", gw.url("/mcp/demo").toString()), email);
        return TestNode.ok(steps.token(Map.of("grant_type", "authorization_code", "code",
                Person.query(back).get("code").getFirst(), "redirect_uri", "http://localhost/refresh",
                "client_id", clientId, "code_verifier", verifier)), 200);
    }

    private static Http.Response refresh(JsonNode tokens, String clientId) {
        return steps.token(Map.of("grant_type", "refresh_token", "refresh_token", tokens.path("refresh_token").asText(),
                "client_id", clientId));
    }

    /** Each refresh writes two rows kept for weeks: a grant refreshing in a loop is told to slow down, and keeps its token. */
    @Test
    void aGrantRefreshedTooOftenIsToldToSlowDownAndKeepsItsToken() {
        String clientId = refresher;
        JsonNode tokens = tokensOf("refresher@limits.test", clientId);
        for (int i = 0; i < 5; i++) { // this node's oauth.max-refreshes-per-minute
            tokens = TestNode.ok(refresh(tokens, clientId), 200);
        }
        Http.Response tooOften = refresh(tokens, clientId);
        assertThat(tooOften.status()).as(tooOften.text()).isEqualTo(429);
        assertThat(tooOften.json().path("error").asText()).isEqualTo("slow_down");
        assertThat(tooOften.header("Retry-After")).isEqualTo("60");
        assertThat(node.whoami(tokens.path("access_token").asText()).status()).as("the grant stands").isEqualTo(200);
        JsonNode other = tokensOf("other-refresher@limits.test", clientId);
        assertThat(refresh(other, clientId).status()).as("another grant counts on its own").isEqualTo(200);
    }
}
