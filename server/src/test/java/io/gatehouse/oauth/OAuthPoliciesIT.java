package io.gatehouse.oauth;

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

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the authorization server accepts and refuses: registration policy (what real clients send,
 * CLIENTS.md), client metadata documents, the pages' defences, and the endpoints around tokens.
 */
class OAuthPoliciesIT {
    static final String CALLBACK = "http://127.0.0.1:43118/callback";
    static GatewayNode gw;
    static TestNode node;
    static OAuthSteps steps;
    static HttpsServer documents;
    static String documentUrl;
    static final AtomicInteger documentReads = new AtomicInteger();
    static String mcpUrl;

    @BeforeAll
    static void start() throws Exception {
        Path dir = TestNode.tempDir();
        KeyStore identity = Certificates.create(dir, "documents", "dns:localhost");
        documents = Https.server(identity);
        documentUrl = "https://localhost:" + documents.getAddress().getPort() + "/oauth/client.json";
        documents.createContext("/oauth/client.json", ex -> {
            documentReads.incrementAndGet();
            byte[] body = ("{\"client_id\": \"" + documentUrl + "\", \"client_name\": \"Document Client\", "
                    + "\"redirect_uris\": [\"http://localhost/callback\"], \"token_endpoint_auth_method\": \"none\"}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Cache-Control", "max-age=3600");
            Https.answerJson(ex, body);
        });
        documents.createContext("/oauth/liar.json", ex -> {
            byte[] body = "{\"client_id\": \"https://claude.ai/oauth/mcp-oauth-client-metadata\", \"client_name\": \"x\", \"redirect_uris\": [\"https://evil.example/cb\"]}"
                    .getBytes(StandardCharsets.UTF_8);
            Https.answerJson(ex, body);
        });
        documents.start();
        Path ca = Certificates.pem(identity, dir.resolve("ca.pem"));
        gw = GatewayNode.start(Map.of("gateway.upstream-ca-file", ca.toString(),
                "oauth.client-metadata-private-addresses", "true", "signin.max-failures", "3"));
        node = gw.node;
        steps = new OAuthSteps(node);
        mcpUrl = gw.url("/mcp/demo").toString();
        steps.signUp("grace@oauth.test", "Compilers");
    }

    @AfterAll
    static void stop() {
        gw.close();
        documents.stop(0);
    }

    @Test
    void cursorsThreeRedirectUrisRegisterAsOneClient() {
        Http.Response r = steps.registration(Map.of("client_name", "Cursor", "redirect_uris", List.of(
                "cursor://anysphere.cursor-mcp/oauth/callback", "https://www.cursor.com/agents/mcp/oauth/callback",
                "http://localhost:8787/callback"), "token_endpoint_auth_method", "none"));
        assertThat(r.status()).isEqualTo(201);
        assertThat(TestNode.texts(r.json().path("redirect_uris"))).hasSize(3);
        assertThat(r.json().path("application_type").asText()).isEqualTo("web"); // one https redirect among them
        assertThat(r.json().path("client_id").asText()).startsWith("gh_client_");
    }

    @Test
    void aClientAskingForASecretIsRegisteredPublicAndGetsNone() {
        Http.Response r = steps.registration(Map.of("client_name", "Claude", "redirect_uris",
                List.of("https://claude.ai/api/mcp/auth_callback"), "token_endpoint_auth_method", "client_secret_post",
                "grant_types", List.of("authorization_code", "refresh_token")));
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.json().path("token_endpoint_auth_method").asText()).isEqualTo("none");
        assertThat(r.json().has("client_secret")).isFalse();
        assertThat(r.json().path("application_type").asText()).isEqualTo("web");
    }

    @Test
    void identicalRegistrationsGetTheSameClientBack() {
        Map<String, Object> claude = Map.of("client_name", "Claude again", "redirect_uris",
                List.of("https://claude.ai/api/mcp/auth_callback"));
        Http.Response first = steps.registration(claude);
        Http.Response second = steps.registration(claude);
        assertThat(first.status()).isEqualTo(201);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.json().path("client_id").asText()).isEqualTo(first.json().path("client_id").asText());
        // No scope asked (Claude Code, ChatGPT): registered, and the default scopes apply at authorization.
        assertThat(first.json().has("scope")).isFalse();
    }

    @Test
    void redirectUrisGatehouseCannotTrustAreLeftOutOrRefused() {
        Http.Response mixed = steps.registration(Map.of("client_name", "Mixed", "redirect_uris",
                List.of("http://evil.example/cb", "http://127.0.0.1/cb")));
        assertThat(mixed.status()).isEqualTo(201);
        assertThat(TestNode.texts(mixed.json().path("redirect_uris"))).containsExactly("http://127.0.0.1/cb");
        assertThat(mixed.json().path("application_type").asText()).isEqualTo("native");

        for (List<String> bad : List.<List<String>>of(List.of("http://evil.example/cb"), List.of("javascript://x/%0aalert(1)"),
                List.of("https://ok.example/cb#frag"), List.of())) {
            Http.Response r = steps.registration(Map.of("client_name", "Bad", "redirect_uris", bad));
            assertThat(r.status()).as(bad.toString()).isEqualTo(400);
            assertThat(r.json().path("error").asText()).isEqualTo("invalid_redirect_uri");
        }
        Http.Response notJson = node.http.send("POST", "/oauth/register", Map.of("Content-Type", "application/json"),
                "{not json");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().path("error").asText()).isEqualTo("invalid_client_metadata");
    }

    @Test
    void aMetadataDocumentClientIsReadThroughTheEdgeAndKeptPerItsCacheHeaders() {
        Person person = new Person(node.server.publicUrl());
        // Claude Code's pattern: a port-less loopback redirect in the document, a random port at run time.
        JsonNode tokens = steps.tokens(person, "grace@oauth.test", documentUrl, "http://localhost:51234/callback", mcpUrl);
        assertThat(tokens.path("access_token").asText()).startsWith("gh_at_");
        int reads = documentReads.get();
        assertThat(reads).isGreaterThanOrEqualTo(1);
        steps.tokens(person, "grace@oauth.test", documentUrl, "http://localhost:40000/callback", mcpUrl);
        assertThat(documentReads.get()).as("max-age=3600: read once").isEqualTo(reads);

        // A document whose client_id is not its own URL is refused, and nobody is redirected.
        String liar = "https://localhost:" + documents.getAddress().getPort() + "/oauth/liar.json";
        Person.Page page = person.open(steps.authorizeUrl(liar, "https://evil.example/cb", "v".repeat(50), "s", null));
        assertThat(page.status()).isEqualTo(400);
        assertThat(page.location()).isEmpty();
        assertThat(page.body()).contains("client_id is not its URL");
    }

    @Test
    void theBuiltInCopyOfAWellKnownDocumentIsUsedWhenItCannotBeRead() {
        // claude.ai does not resolve here: the copy shipped with Gatehouse stands in.
        Person person = new Person(node.server.publicUrl());
        Person.Page page = person.open(steps.authorizeUrl("https://claude.ai/oauth/claude-code-client-metadata",
                "http://localhost:61000/callback", "w".repeat(50), "s", mcpUrl));
        page = person.submit(page, "/login", Map.of("email", List.of("grace@oauth.test"),
                "password", List.of(OAuthSteps.PASSWORD)));
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("Claude Code", "localhost", "runs on your own computer");
    }

    @Test
    void anUnregisteredRedirectIsAPageNeverARedirect() {
        String clientId = steps.register(Map.of("client_name", "Strict", "redirect_uris", List.of(CALLBACK)));
        Person person = new Person(node.server.publicUrl());
        Person.Page page = person.open(steps.authorizeUrl(clientId, "https://evil.example/steal", "v".repeat(50), "s",
                mcpUrl));
        assertThat(page.status()).isEqualTo(400);
        assertThat(page.location()).isEmpty();
        assertThat(page.header("Content-Security-Policy")).contains("frame-ancestors 'none'");

        Person.Page unknown = person.open(steps.authorizeUrl("gh_client_gone", CALLBACK, "v".repeat(50), "s", mcpUrl));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body()).contains("add it again");
    }

    @Test
    void theConsentFormCarriesOnlyTheAuthorizationRequestSoDenyMeansDeny() {
        String clientId = steps.register(Map.of("client_name", "Sneaky", "redirect_uris", List.of(CALLBACK)));
        Person browser = new Person(node.server.publicUrl());
        URI crafted = URI.create(steps.authorizeUrl(clientId, CALLBACK, "d".repeat(50), "s", mcpUrl)
                + "&decision=approve&org=org_other&workspace=ws_other&csrf=x");
        Person.Page page = browser.open(crafted);
        page = browser.submit(page, "/login", Map.of("email", List.of("grace@oauth.test"),
                "password", List.of(OAuthSteps.PASSWORD)));
        Map<String, List<String>> fields = Person.formFields(page.body(), "/oauth/authorize");
        assertThat(fields).doesNotContainKeys("decision", "workspace");
        assertThat(fields.get("org")).doesNotContain("org_other");
        Person.Page denied = browser.submit(page, "/oauth/authorize", Map.of("decision", List.of("deny")));
        assertThat(Person.query(URI.create(denied.location().orElseThrow())).get("error")).containsExactly("access_denied");
    }

    @Test
    void errorsAfterTheRedirectIsKnownGoBackWithStateAndIssToASignedInPersonOnly() {
        String clientId = steps.register(Map.of("client_name", "Errors", "redirect_uris", List.of(CALLBACK)));
        URI wrongResource = URI.create(steps.authorizeUrl(clientId, CALLBACK, "v".repeat(50), "st", null) + "&resource="
                + java.net.URLEncoder.encode("https://elsewhere.example/mcp", StandardCharsets.UTF_8));
        // A stranger following a link to a refused request is not bounced to a URI anyone may register.
        Person.Page stranger = new Person(node.server.publicUrl()).open(wrongResource);
        assertThat(stranger.status()).isEqualTo(400);
        assertThat(stranger.location()).isEmpty();
        assertThat(stranger.body()).contains("invalid_target");

        Person person = steps.signedIn("grace@oauth.test");
        Person.Page page = person.open(wrongResource);
        assertThat(page.status()).isEqualTo(303);
        Map<String, List<String>> q = Person.query(URI.create(page.location().orElseThrow()));
        assertThat(q.get("error")).containsExactly("invalid_target");
        assertThat(q.get("state")).containsExactly("st");
        assertThat(q.get("iss")).containsExactly(node.server.publicUrl().toString());

        String plain = steps.authorizeUrl(clientId, CALLBACK, "v".repeat(50), "st", mcpUrl).toString()
                .replace("code_challenge_method=S256", "code_challenge_method=plain");
        Map<String, List<String>> p = Person.query(URI.create(person.open(URI.create(plain)).location().orElseThrow()));
        assertThat(p.get("error")).containsExactly("invalid_request");
    }

    @Test
    void theTokenEndpointRefusesWhatDoesNotMatchTheCode() {
        String clientId = steps.register(Map.of("client_name", "Mismatch", "redirect_uris", List.of(CALLBACK)));
        Person person = new Person(node.server.publicUrl());
        String verifier = "m".repeat(60);
        URI back = steps.signInAndApprove(person, steps.authorizeUrl(clientId, CALLBACK, verifier, "s", mcpUrl),
                "grace@oauth.test");
        String code = Person.query(back).get("code").getFirst();
        Http.Response wrongVerifier = steps.token(Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", CALLBACK, "client_id", clientId, "code_verifier", "n".repeat(60)));
        assertThat(wrongVerifier.status()).isEqualTo(400);
        assertThat(wrongVerifier.json().path("error").asText()).isEqualTo("invalid_grant");
        assertThat(wrongVerifier.header("Cache-Control")).contains("no-store");

        Http.Response unknownClient = steps.token(Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", CALLBACK, "client_id", "gh_client_nobody", "code_verifier", verifier));
        assertThat(unknownClient.status()).isEqualTo(401);
        assertThat(unknownClient.json().path("error").asText()).isEqualTo("invalid_client");

        Http.Response grantType = steps.token(Map.of("grant_type", "password", "client_id", clientId,
                "username", "a", "password", "b"));
        assertThat(grantType.status()).isEqualTo(400);
        assertThat(grantType.json().path("error").asText()).isIn("unsupported_grant_type", "invalid_request");

        Http.Response notForm = node.http.send("POST", "/oauth/token", Map.of(), Map.of("grant_type", "x"));
        assertThat(notForm.status()).isEqualTo(400);
        assertThat(notForm.json().path("error").asText()).isEqualTo("invalid_request");
    }

    @Test
    void signInTellsNobodyWhichEmailsExistAndLocksAfterFailures() {
        Person person = new Person(node.server.publicUrl());
        Person.Page login = person.open(node.server.publicUrl().resolve("/login"));
        assertThat(login.header("Content-Security-Policy")).contains("default-src 'none'", "frame-ancestors 'none'");
        assertThat(login.header("Referrer-Policy")).isEqualTo("same-origin");
        Person.Page wrong = person.submit(login, "/login", Map.of("email", List.of("grace@oauth.test"),
                "password", List.of("not the password")));
        Person.Page nobody = person.submit(login, "/login", Map.of("email", List.of("nobody@oauth.test"),
                "password", List.of("not the password")));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(nobody.status()).isEqualTo(401);
        assertThat(wrong.body()).contains("The email or the password is not right.");
        assertThat(nobody.body()).contains("The email or the password is not right.");

        Person other = new Person(node.server.publicUrl());
        Person.Page otherLogin = other.open(node.server.publicUrl().resolve("/login"));
        for (int i = 0; i < 3; i++) {
            other.submit(otherLogin, "/login", Map.of("email", List.of("locked@oauth.test"),
                    "password", List.of("guess " + i)));
        }
        Person.Page locked = other.submit(otherLogin, "/login", Map.of("email", List.of("locked@oauth.test"),
                "password", List.of("guess again")));
        assertThat(locked.status()).isEqualTo(429);

        // A form without this browser's token (another site posting it) signs nobody in.
        Person forger = new Person(node.server.publicUrl());
        Person.Page forged = forger.submit(login, "/login", Map.of("email", List.of("grace@oauth.test"),
                "password", List.of(OAuthSteps.PASSWORD)));
        assertThat(forged.status()).isEqualTo(403);
        assertThat(forger.cookies()).doesNotContainKey("gh_session");
    }

    @Test
    void anAccountThatSignsInTooOftenWaitsAndAnImpossibleEmailCostsNothing() {
        steps.signUp("often@oauth.test", "Often");
        Person person = new Person(node.server.publicUrl());
        Person.Page login = person.open(node.server.publicUrl().resolve("/login"));
        Map<String, List<String>> right = Map.of("email", List.of("often@oauth.test"), "password", List.of(OAuthSteps.PASSWORD));
        for (int i = 0; i < 20; i++) { // max(20, 2 × signin.max-failures of 3)
            Person.Page in = person.submit(login, "/login", right);
            assertThat(in.status()).as("sign-in " + (i + 1) + ": " + in.body()).isEqualTo(200);
        }
        Person.Page tooOften = person.submit(login, "/login", right);
        assertThat(tooOften.status()).isEqualTo(429);
        assertThat(tooOften.body()).contains("signed in too often");
        Person other = new Person(node.server.publicUrl());
        Person.Page stranger = other.submit(other.open(node.server.publicUrl().resolve("/login")), "/login",
                Map.of("email", List.of("often@oauth.test"), "password", List.of("a guess")));
        assertThat(stranger.status()).as("only the password's holder learns of the limit").isEqualTo(401);
        assertThat(stranger.body()).doesNotContain("signed in too often");

        // 100 KB of email: the same wrong-password page, its email not kept or echoed, and no lockout of a real one.
        Person.Page huge = person.submit(login, "/login", Map.of("email", List.of("x".repeat(100_000) + "@oauth.test"),
                "password", List.of("guess")));
        assertThat(huge.status()).isEqualTo(401);
        assertThat(huge.body()).contains("The email or the password is not right.").doesNotContain("xxxxxxxxxx");
    }

    @Test
    void aPersonSeesAndRevokesAConnectedAppAndItsTokensStopAtOnce() {
        JsonNode person = steps.signUp("linus@oauth.test", "Kernels");
        String key = person.path("key").path("key").asText();
        String clientId = steps.register(Map.of("client_name", "Connected", "redirect_uris", List.of(CALLBACK)));
        JsonNode t = steps.tokens(new Person(node.server.publicUrl()), "linus@oauth.test", clientId, CALLBACK, mcpUrl);
        String access = t.path("access_token").asText();
        assertThat(gw.mcp(access).initialize().status()).isEqualTo(200);

        JsonNode apps = ok(node.http.get("/v1/grants", key), 200).path("data");
        assertThat(apps.size()).isEqualTo(1);
        JsonNode app = apps.get(0);
        assertThat(app.path("client_name").asText()).isEqualTo("Connected");
        assertThat(app.path("redirect_host").asText()).isEqualTo("127.0.0.1");
        assertThat(TestNode.texts(app.path("scopes"))).containsExactly("mcp:use");
        assertThat(app.toString()).doesNotContain(access);

        // Its tools narrowed, as a key's can be: the list shows, and calls reach, only those.
        JsonNode narrowed = ok(node.http.send("PATCH", "/v1/grants/" + app.path("id").asText(), TestNode.auth(key),
                Map.of("tools", List.of("demo/echo"))), 200);
        assertThat(TestNode.texts(narrowed.path("tools"))).containsExactly("demo/echo");
        io.gatehouse.testing.Mcp narrow = gw.mcp(access);
        narrow.initialize();
        assertThat(narrow.toolNames()).containsExactly("echo");
        assertThat(narrow.callTool("add", Map.of("a", 1, "b", 2)).last().toString()).contains("tool_not_allowed");
        // Not beyond the changing key's own tools: a key for echo alone cannot give the app everything.
        String echoOnly = ok(node.http.post("/v1/keys", key, Map.of("name", "echo only", "tools", List.of("demo/echo"))),
                201).path("key").asText();
        Http.Response wider = node.http.send("PATCH", "/v1/grants/" + app.path("id").asText(), TestNode.auth(echoOnly),
                Map.of("tools", "*"));
        assertThat(wider.status()).isEqualTo(403);
        // Nobody else's grant to change.
        assertThat(node.http.send("PATCH", "/v1/grants/" + app.path("id").asText(),
                TestNode.auth(node.owner("other@oauth.test", "Other", "free").key()),
                Map.of("tools", "*")).status()).isEqualTo(404);

        // Introspection: an operator key may ask; the token itself may not.
        Http.Response asToken = steps.post("/oauth/introspect", TestNode.auth(access), Map.of("token", access));
        assertThat(asToken.status()).isEqualTo(401);
        JsonNode active = ok(steps.post("/oauth/introspect", TestNode.auth(node.adminKey), Map.of("token", access)), 200);
        assertThat(active.path("active").asBoolean()).isTrue();
        assertThat(active.path("client_id").asText()).isEqualTo(clientId);
        assertThat(active.path("aud").asText()).isEqualTo(mcpUrl);

        assertThat(node.http.send("DELETE", "/v1/grants/" + app.path("id").asText(), TestNode.auth(key), null).status())
                .isEqualTo(204);
        Http.Response refused = node.http.send("POST", "/mcp/demo", TestNode.auth(access),
                Map.of("jsonrpc", "2.0", "id", 1, "method", "tools/list"));
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.json().path("error").path("message").asText()).contains("access token");
        JsonNode inactive = ok(steps.post("/oauth/introspect", TestNode.auth(node.adminKey), Map.of("token", access)), 200);
        assertThat(inactive.path("active").asBoolean()).isFalse();
        Http.Response refresh = steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", t.path("refresh_token").asText(), "client_id", clientId));
        assertThat(refresh.json().path("error").asText()).isEqualTo("invalid_grant");
    }

    @Test
    void revokingARefreshTokenTakesItsAccessTokensWithIt() {
        steps.signUp("barbara@oauth.test", "Languages");
        String clientId = steps.register(Map.of("client_name", "Revoker", "redirect_uris", List.of(CALLBACK)));
        JsonNode t = steps.tokens(new Person(node.server.publicUrl()), "barbara@oauth.test", clientId, CALLBACK, mcpUrl);
        String access = t.path("access_token").asText();
        assertThat(gw.mcp(access).initialize().status()).isEqualTo(200);
        // A client that is not the token's cannot revoke it: an unknown client is refused (RFC 7009 §2.1).
        assertThat(steps.post("/oauth/revoke", Map.of(), Map.of("token", t.path("refresh_token").asText(),
                "client_id", "gh_client_other")).status()).isEqualTo(401);
        assertThat(gw.mcp(access).initialize().status()).isEqualTo(200);
        assertThat(steps.post("/oauth/revoke", Map.of(), Map.of("token", t.path("refresh_token").asText(),
                "client_id", clientId)).status()).isEqualTo(200);
        assertThat(gw.mcp(access).initialize().status()).isEqualTo(401);
    }

    @Test
    void aTokenForMcpUseIsToldWhichScopeAnApiCallNeeds() {
        steps.signUp("edsger@oauth.test", "Structured");
        String clientId = steps.register(Map.of("client_name", "Scoped", "redirect_uris", List.of(CALLBACK)));
        JsonNode t = steps.tokens(new Person(node.server.publicUrl()), "edsger@oauth.test", clientId, CALLBACK, null);
        Http.Response api = node.http.send("GET", "/api/jobs/v1/jobs/x",
                TestNode.auth(t.path("access_token").asText()), null);
        assertThat(api.status()).isEqualTo(403);
        assertThat(api.header("WWW-Authenticate")).contains("error=\"insufficient_scope\"", "scope=\"api:read\"");
    }

    @Test
    void browserClientsMayCallDiscoveryRegistrationAndTokenFromAnyOrigin() {
        for (String path : List.of("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration",
                "/.well-known/oauth-protected-resource/mcp/demo", "/oauth/register", "/oauth/token", "/oauth/revoke")) {
            Http.Response pre = node.http.send("OPTIONS", path, Map.of("Origin", "https://claude.ai",
                    "Access-Control-Request-Method", path.startsWith("/oauth") ? "POST" : "GET",
                    "Access-Control-Request-Headers", "content-type, mcp-protocol-version"), null);
            assertThat(pre.status()).as(path).isEqualTo(204);
            assertThat(pre.header("Access-Control-Allow-Origin")).as(path).isEqualTo("*");
            assertThat(pre.header("Access-Control-Allow-Headers")).as(path).containsIgnoringCase("content-type");
        }
        Http.Response token = steps.token(Map.of("grant_type", "refresh_token", "refresh_token", "x", "client_id", "y"));
        assertThat(token.header("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(token.header("Access-Control-Expose-Headers")).contains("WWW-Authenticate");
    }

    @Test
    void consentIsAskedAgainWhenTheScopeGrowsAndWorkspacesCanBeNarrowed() {
        JsonNode person = steps.signUp("ken@oauth.test", "Unix");
        String orgId = person.path("organization").path("id").asText();
        String key = person.path("key").path("key").asText();
        String wsA = ok(node.http.post("/v1/orgs/" + orgId + "/workspaces", key, Map.of("name", "Alpha")), 201)
                .path("id").asText();
        String wsB = ok(node.http.post("/v1/orgs/" + orgId + "/workspaces", key, Map.of("name", "Beta")), 201)
                .path("id").asText();
        String userId = person.path("member").path("user_id").asText();
        for (String ws : List.of(wsA, wsB)) {
            Http.Response added = node.http.send("PUT", "/v1/workspaces/" + ws + "/members/" + userId,
                    TestNode.auth(key), Map.of());
            assertThat(added.status()).as(added.text()).isIn(200, 201);
        }
        String clientId = steps.register(Map.of("client_name", "Grower", "redirect_uris", List.of(CALLBACK)));
        Person browser = new Person(node.server.publicUrl());
        Person.Page page = browser.open(steps.authorizeUrl(clientId, CALLBACK, "g".repeat(50), "s", mcpUrl));
        page = browser.submit(page, "/login", Map.of("email", List.of("ken@oauth.test"),
                "password", List.of(OAuthSteps.PASSWORD)));
        assertThat(page.body()).contains("Alpha", "Beta");
        // Only Alpha ticked.
        Person.Page answer = browser.submit(page, "/oauth/authorize", Map.of("decision", List.of("approve"),
                "workspace", List.of(wsA)));
        assertThat(answer.status()).isEqualTo(303);
        JsonNode app = ok(node.http.get("/v1/grants", key), 200).path("data").get(0);
        assertThat(TestNode.texts(app.path("workspaces"))).containsExactly(wsA);

        // The same scope again: answered at once. A wider one: asked again.
        assertThat(browser.open(steps.authorizeUrl(clientId, CALLBACK, "g".repeat(50), "s", mcpUrl)).status())
                .isEqualTo(303);
        URI wider = URI.create(steps.authorizeUrl(clientId, CALLBACK, "g".repeat(50), "s", null).toString()
                .replace("scope=mcp%3Ause", "scope=mcp%3Ause+api%3Aread"));
        Person.Page asked = browser.open(wider);
        assertThat(asked.status()).isEqualTo(200);
        assertThat(asked.body()).contains("api:read", "mcp:use");
    }

    @Test
    void unusedRegistrationsAreSweptAndAnUnknownClientIsToldToRegisterAgain() {
        String clientId = steps.register(Map.of("client_name", "Forgotten", "redirect_uris",
                List.of("http://127.0.0.1:49999/cb")));
        node.server.services().db().withHandle(h -> h.createUpdate(
                "UPDATE oauth_clients SET created_at = created_at - :old WHERE id = :id")
                .bind("old", java.time.Duration.ofDays(31).toMillis()).bind("id", clientId).execute());
        assertThat(node.server.services().oauth().clients().sweep()).isGreaterThanOrEqualTo(1);
        Http.Response token = steps.token(Map.of("grant_type", "authorization_code", "code", "gh_ac_x",
                "redirect_uri", "http://127.0.0.1:49999/cb", "client_id", clientId, "code_verifier", "v".repeat(50)));
        assertThat(token.status()).isEqualTo(401);
        assertThat(token.json().path("error").asText()).isEqualTo("invalid_client");
    }

    @Test
    void signingOutEndsTheSession() {
        Person browser = new Person(node.server.publicUrl());
        Person.Page login = browser.open(node.server.publicUrl().resolve("/login"));
        browser.submit(login, "/login", Map.of("email", List.of("grace@oauth.test"),
                "password", List.of(OAuthSteps.PASSWORD)));
        Person.Page signedIn = browser.open(node.server.publicUrl().resolve("/login"));
        assertThat(signedIn.body()).contains("signed in as grace@oauth.test");
        String session = browser.cookies().get("gh_session");
        assertThat(session).isNotNull();
        Person.Page out = browser.submit(signedIn, "/logout", Map.of());
        assertThat(out.body()).contains("action=\"/login\"");
        // The old cookie, replayed, is no session any more.
        Person replay = new Person(node.server.publicUrl());
        replay.cookies().put("gh_session", session);
        assertThat(replay.open(node.server.publicUrl().resolve("/login")).body()).doesNotContain("signed in as");
    }
}
