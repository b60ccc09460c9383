package io.gatehouse.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Person;
import io.gatehouse.testing.TestNode;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Signing in at a real OpenID provider running here ({@code mock-oauth2-server}: discovery, signed ID
 * tokens, its own keys), then an MCP client's authorization with that session.
 */
class FederatedSignInIT {
    static final String CALLBACK = "http://127.0.0.1:43119/callback";
    static MockOAuth2Server idp;
    static GatewayNode gw;
    static TestNode node;
    static OAuthSteps steps;

    @BeforeAll
    static void start() throws Exception {
        idp = new MockOAuth2Server();
        idp.start(InetAddress.getByName("127.0.0.1"), 0);
        gw = GatewayNode.start(Map.of("signin.providers.corp.issuer", idp.issuerUrl("corp").toString(),
                "signin.providers.corp.client-id", "gatehouse-test", "signin.providers.corp.client-secret", "s3cret-for-tests",
                "signin.providers.corp.label", "Corp ID",
                "signin.providers.entra.issuer", idp.issuerUrl("entra").toString(),
                "signin.providers.entra.client-id", "gatehouse-test", "signin.providers.entra.client-secret", "s3cret-2",
                "signin.providers.entra.trust-email", "true"));
        node = gw.node;
        steps = new OAuthSteps(node);
    }

    @AfterAll
    static void stop() {
        gw.close();
        idp.shutdown();
    }

    /** Opens the provider's link on the sign-in page and comes back through the provider. */
    static Person.Page signInAtProvider(Person person, String returnTo) {
        Person.Page login = person.open(node.server.publicUrl().resolve("/login?return_to=" + returnTo));
        assertThat(login.body()).contains("Continue with Corp ID");
        Person.Page toProvider = person.open(node.server.publicUrl().resolve("/login/corp?return_to=" + returnTo));
        assertThat(toProvider.status()).isEqualTo(302);
        URI authorize = URI.create(toProvider.location().orElseThrow());
        assertThat(authorize.toString()).startsWith(idp.issuerUrl("corp").toString())
                .contains("code_challenge_method=S256", "nonce=", "state=");
        // The provider signs the person in (no login form in this mock) and sends them back.
        Person outside = new Person(authorize);
        Person.Page back = outside.open(authorize);
        assertThat(back.status()).isEqualTo(302);
        return person.open(URI.create(back.location().orElseThrow()));
    }

    @Test
    void theFirstSignInCreatesThePersonAndAPersonalOrganizationThenAnMcpClientIsAuthorized() {
        idp.enqueueCallback(new DefaultOAuth2TokenCallback("corp", "alan-1", "JWT", List.of("gatehouse-test"),
                Map.of("email", "alan@corp.test", "email_verified", true, "name", "Alan Turing"), 3600));
        Person person = new Person(node.server.publicUrl());
        Person.Page signedIn = signInAtProvider(person, "/login");
        assertThat(signedIn.status()).as(signedIn.body()).isEqualTo(200);
        assertThat(signedIn.body()).contains("signed in as alan@corp.test");

        JsonNode users = ok(node.http.get("/v1/users", node.adminKey), 200).path("data");
        String userId = null;
        for (JsonNode u : users) {
            if (u.path("email").asText().equals("alan@corp.test")) {
                userId = u.path("id").asText();
            }
        }
        assertThat(userId).isNotNull();
        JsonNode orgs = ok(node.http.get("/v1/orgs", node.adminKey), 200).path("data");
        assertThat(orgs.toString()).contains("Alan Turing's organization");

        // The session authorizes an MCP client: no password anywhere.
        String clientId = steps.register(Map.of("client_name", "Federated", "redirect_uris", List.of(CALLBACK)));
        String verifier = "f".repeat(64);
        Person.Page consent = person.open(steps.authorizeUrl(clientId, CALLBACK, verifier, "s",
                gw.url("/mcp/demo").toString()));
        assertThat(consent.body()).contains("Alan Turing's organization", "Federated");
        Person.Page answer = person.submit(consent, "/oauth/authorize", Map.of("decision", List.of("approve")));
        String code = Person.query(URI.create(answer.location().orElseThrow())).get("code").getFirst();
        JsonNode tokens = ok(steps.token(Map.of("grant_type", "authorization_code", "code", code, "redirect_uri",
                CALLBACK, "client_id", clientId, "code_verifier", verifier)), 200);
        assertThat(gw.mcp(tokens.path("access_token").asText()).initialize().status()).isEqualTo(200);

        // The second sign-in finds the same person by the provider's subject.
        idp.enqueueCallback(new DefaultOAuth2TokenCallback("corp", "alan-1", "JWT", List.of("gatehouse-test"),
                Map.of("email", "alan@corp.test", "email_verified", true), 3600));
        Person again = new Person(node.server.publicUrl());
        assertThat(signInAtProvider(again, "/login").body()).contains("signed in as alan@corp.test");
        assertThat(ok(node.http.get("/v1/orgs", node.adminKey), 200).path("data").size()).isEqualTo(orgs.size());
    }

    @Test
    void anEmailThatHasAnAccountIsNotTakenOverAndAnUnverifiedOneMakesNone() {
        new OAuthSteps(node).signUp("owner@corp.test", "Existing");
        idp.enqueueCallback(new DefaultOAuth2TokenCallback("corp", "someone-else", "JWT", List.of("gatehouse-test"),
                Map.of("email", "owner@corp.test", "email_verified", true), 3600));
        Person.Page taken = signInAtProvider(new Person(node.server.publicUrl()), "/login");
        assertThat(taken.status()).isEqualTo(409);
        assertThat(taken.header("Set-Cookie") == null || !taken.header("Set-Cookie").contains("gh_session=")).isTrue();

        idp.enqueueCallback(new DefaultOAuth2TokenCallback("corp", "unverified-1", "JWT", List.of("gatehouse-test"),
                Map.of("email", "nobody@corp.test", "email_verified", false), 3600));
        Person.Page unverified = signInAtProvider(new Person(node.server.publicUrl()), "/login");
        assertThat(unverified.status()).isEqualTo(403);
        assertThat(ok(node.http.get("/v1/users", node.adminKey), 200).toString()).doesNotContain("nobody@corp.test");
    }

    @Test
    void aProviderTheOperatorVouchesForNeedNotSayEmailVerified() {
        idp.enqueueCallback(new DefaultOAuth2TokenCallback("entra", "grace-1", "JWT", List.of("gatehouse-test"),
                Map.of("email", "grace@entra.test", "name", "Grace Hopper"), 3600));
        Person person = new Person(node.server.publicUrl());
        Person.Page toProvider = person.open(node.server.publicUrl().resolve("/login/entra"));
        URI authorize = URI.create(toProvider.location().orElseThrow());
        Person.Page back = new Person(authorize).open(authorize);
        Person.Page signedIn = person.open(URI.create(back.location().orElseThrow()));
        assertThat(signedIn.body()).contains("signed in as grace@entra.test");
        // The same claims from a provider nobody vouched for make no account (the corp test above).
    }

    @Test
    void aCallbackWithoutThisBrowsersFlightIsRefused() {
        Person person = new Person(node.server.publicUrl());
        Person.Page toProvider = person.open(node.server.publicUrl().resolve("/login/corp"));
        URI authorize = URI.create(toProvider.location().orElseThrow());
        // Gatehouse refuses before it asks the provider for a token: no token callback is queued here.
        Person.Page back = new Person(authorize).open(authorize);
        // Another browser (no flight cookie) follows the callback: login CSRF is refused.
        Person.Page elsewhere = new Person(node.server.publicUrl()).open(URI.create(back.location().orElseThrow()));
        assertThat(elsewhere.status()).isEqualTo(400);
        assertThat(elsewhere.body()).contains("started elsewhere");
    }
}
