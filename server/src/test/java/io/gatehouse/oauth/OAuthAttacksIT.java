package io.gatehouse.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.http.Json;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Mcp;
import io.gatehouse.testing.Person;
import io.gatehouse.testing.TestNode;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One test per attack of RFC 9700 (OAuth 2.0 Security Best Current Practice) that applies to
 * Gatehouse, each trying it and showing it refused: the section is named on each. (CIMD fetches
 * from internal addresses, §4.x SSRF by metadata URL: {@code OperatorClientsIT}.)
 */
class OAuthAttacksIT {
    static final String CALLBACK = "https://app.example/oauth/callback";
    static final String LOOPBACK = "http://127.0.0.1/callback";
    static final String EMAIL = "victim@attacks.test";
    static GatewayNode gw;
    static TestNode node;
    static OAuthSteps steps;
    static String clientId;
    static String mcpUrl;

    @BeforeAll
    static void start() {
        gw = GatewayNode.start(Map.of("oauth.refresh-reuse-grace", "1s"));
        node = gw.node;
        steps = new OAuthSteps(node);
        steps.signUp(EMAIL, "Attacked");
        clientId = steps.register(Map.of("client_name", "Honest app", "redirect_uris", List.of(CALLBACK, LOOPBACK)));
        mcpUrl = gw.url("/mcp/demo").toString();
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String code(Person person, String redirect, String verifier) {
        URI back = steps.signInAndApprove(person, steps.authorizeUrl(clientId, redirect, verifier, "s", mcpUrl), EMAIL);
        return Person.query(back).get("code").getFirst();
    }

    static Map<String, String> exchange(String code, String redirect, String verifier) {
        return Map.of("grant_type", "authorization_code", "code", code, "redirect_uri", redirect, "client_id", clientId,
                "code_verifier", verifier);
    }

    /** §4.5 (authorization code injection) and OAuth 2.1 §4.1.3: a code works once; a replay revokes what it gave. */
    @Test
    void codeReplayIsRefusedAndRevokesWhatTheCodeIssued() {
        String verifier = "r".repeat(50);
        String code = code(new Person(node.server.publicUrl()), CALLBACK, verifier);
        String access = ok(steps.token(exchange(code, CALLBACK, verifier)), 200).path("access_token").asText();
        Http.Response replay = steps.token(exchange(code, CALLBACK, verifier));
        assertThat(replay.json().path("error").asText()).isEqualTo("invalid_grant");
        assertThat(node.whoami(access).status()).isEqualTo(401);
    }

    /** §2.1.1 and §4.8 (PKCE downgrade): no challenge, or the plain method, is refused before any page. */
    @Test
    void pkceMissingOrDowngradedIsRefused() {
        Person person = steps.signedIn(EMAIL);
        String base = steps.authorizeUrl(clientId, CALLBACK, "p".repeat(50), "s", mcpUrl).toString();
        String missing = base.replaceAll("&code_challenge=[^&]*", "").replace("&code_challenge_method=S256", "");
        String plain = base.replace("code_challenge_method=S256", "code_challenge_method=plain");
        String notS256 = base.replaceAll("code_challenge=[^&]*", "code_challenge=" + "a".repeat(200));
        for (String url : List.of(missing, plain, notS256)) {
            Person.Page page = person.open(URI.create(url));
            assertThat(page.status()).as(url).isEqualTo(303);
            assertThat(Person.query(URI.create(page.location().orElseThrow())).get("error")).containsExactly("invalid_request");
        }
        // A stolen code without its verifier buys nothing either.
        String verifier = "q".repeat(50);
        String code = code(person, CALLBACK, verifier);
        Http.Response noVerifier = steps.token(Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", CALLBACK, "client_id", clientId));
        assertThat(noVerifier.status()).isEqualTo(400);
        assertThat(steps.token(exchange(code, CALLBACK, "x".repeat(50))).json().path("error").asText())
                .isEqualTo("invalid_grant");
    }

    /** §4.1 (insufficient redirect URI validation): anything but a registered URI is a page, never a redirect. */
    @Test
    void aTamperedRedirectUriIsNeverRedirectedTo() {
        Person person = new Person(node.server.publicUrl());
        for (String tampered : List.of(CALLBACK + "/../steal", CALLBACK + "?next=https://evil.example",
                "https://app.example.evil.example/oauth/callback", "https://APP.example/oauth/callback",
                "http://localhost/callback", "http://127.0.0.1/callback/other")) {
            Person.Page page = person.open(steps.authorizeUrl(clientId, tampered, "t".repeat(50), "s", mcpUrl));
            assertThat(page.status()).as(tampered).isEqualTo(400);
            assertThat(page.location()).as(tampered).isEmpty();
        }
        // At the token endpoint, the code is bound to the URI it was issued for.
        String verifier = "u".repeat(50);
        String code = code(person, CALLBACK, verifier);
        assertThat(steps.token(exchange(code, CALLBACK + "x", verifier)).json().path("error").asText())
                .isEqualTo("invalid_grant");
    }

    /** §4.11 (open redirection): the page to return to after signing in is always on Gatehouse. */
    @Test
    void signInNeverRedirectsOffSite() {
        for (String returnTo : List.of("//evil.example/x", "/\\evil.example", "https://evil.example/",
                "/%0d%0aLocation:%20https://evil.example")) {
            Person person = new Person(node.server.publicUrl());
            Person.Page login = person.open(node.server.publicUrl().resolve("/login?return_to="
                    + URLEncoder.encode(returnTo, StandardCharsets.UTF_8)));
            Http.Response raw = node.http.send("POST", "/login", Map.of("Content-Type", "application/x-www-form-urlencoded",
                    "Cookie", "gh_browser=" + person.cookies().get("gh_browser")), OAuthSteps.form(Map.of(
                    "csrf", Person.formFields(login.body(), "/login").get("csrf").getFirst(),
                    "return_to", returnTo, "email", EMAIL, "password", OAuthSteps.PASSWORD)));
            assertThat(raw.status()).as(returnTo).isEqualTo(303);
            String location = raw.header("Location");
            assertThat(location).as(returnTo).startsWith("/").doesNotStartWith("//").doesNotContain("\\")
                    .doesNotContain("\r").doesNotContain("\n");
            assertThat(node.server.publicUrl().resolve(location).getHost()).as(returnTo)
                    .isEqualTo(node.server.publicUrl().getHost());
        }
    }

    /** §4.14.2 (refresh token replay): used again after the grace window, it revokes the whole grant. */
    @Test
    void aRefreshTokenReusedAfterTheGraceWindowRevokesTheGrant() throws InterruptedException {
        String verifier = "g".repeat(50);
        JsonNode first = ok(steps.token(exchange(code(new Person(node.server.publicUrl()), CALLBACK, verifier), CALLBACK,
                verifier)), 200);
        JsonNode second = ok(steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", first.path("refresh_token").asText(), "client_id", clientId)), 200);
        Thread.sleep(1_300);
        Http.Response stolen = steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", first.path("refresh_token").asText(), "client_id", clientId));
        assertThat(stolen.json().path("error").asText()).isEqualTo("invalid_grant");
        assertThat(node.whoami(second.path("access_token").asText()).status()).isEqualTo(401);
        assertThat(steps.token(Map.of("grant_type", "refresh_token", "refresh_token",
                second.path("refresh_token").asText(), "client_id", clientId)).json().path("error").asText())
                .isEqualTo("invalid_grant");
    }

    /** §4.14.2 too: once what a refresh issued has been used, the old token is spent even inside the grace window. */
    @Test
    void aRefreshTokenReusedAfterItsSuccessorWasUsedRevokesTheGrant() {
        String verifier = "k".repeat(50);
        JsonNode first = ok(steps.token(exchange(code(new Person(node.server.publicUrl()), CALLBACK, verifier), CALLBACK,
                verifier)), 200);
        JsonNode second = ok(steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", first.path("refresh_token").asText(), "client_id", clientId)), 200);
        JsonNode third = ok(steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", second.path("refresh_token").asText(), "client_id", clientId)), 200);
        Http.Response stolen = steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", first.path("refresh_token").asText(), "client_id", clientId));
        assertThat(stolen.json().path("error").asText()).isEqualTo("invalid_grant");
        assertThat(node.whoami(third.path("access_token").asText()).status()).isEqualTo(401);
    }

    /**
     * Parallel refreshes of one token (CLIENTS.md: Claude.ai refreshes from two places at once), most
     * of them committed in one group: each gets a pair of its own, the token rotates once, and once
     * one of its successors is used the old token is spent.
     */
    @Test
    void parallelRefreshesOfOneTokenEachGetAPairAndTheTokenIsSpentOnceASuccessorIsUsed() throws Exception {
        String verifier = "p".repeat(50);
        JsonNode first = ok(steps.token(exchange(code(new Person(node.server.publicUrl()), CALLBACK, verifier), CALLBACK,
                verifier)), 200);
        Map<String, String> again = Map.of("grant_type", "refresh_token",
                "refresh_token", first.path("refresh_token").asText(), "client_id", clientId);
        List<java.util.concurrent.Future<Http.Response>> answers = new java.util.ArrayList<>();
        try (var callers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 12; i++) {
                answers.add(callers.submit(() -> steps.token(again)));
            }
        }
        java.util.Set<String> successors = new java.util.HashSet<>();
        for (var answer : answers) {
            successors.add(ok(answer.get(), 200).path("refresh_token").asText());
        }
        assertThat(successors).hasSize(12);

        String next = successors.iterator().next();
        ok(steps.token(Map.of("grant_type", "refresh_token", "refresh_token", next, "client_id", clientId)), 200);
        assertThat(steps.token(again).json().path("error").asText()).isEqualTo("invalid_grant");
    }

    /**
     * A refresh token this node has just issued is remembered so its use needs no read, but nothing
     * about it is taken on trust that could have changed: a person disabled since cannot refresh.
     */
    @Test
    void aDisabledPersonCannotRefreshEvenATokenJustIssued() {
        String email = "disabled@oauth.test";
        JsonNode person = steps.signUp(email, "Soon disabled");
        String userId = node.whoami(person.path("key").path("key").asText()).json().path("user_id").asText();
        assertThat(userId).startsWith("usr_");
        JsonNode t = steps.tokens(new Person(node.server.publicUrl()), email, clientId, CALLBACK, mcpUrl);

        ok(node.http.send("POST", "/v1/users/" + userId + "/disable", TestNode.auth(node.adminKey), Map.of()), 200);
        Http.Response refused = steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", t.path("refresh_token").asText(), "client_id", clientId));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("error_description").asText()).contains("disabled");

        ok(node.http.send("POST", "/v1/users/" + userId + "/enable", TestNode.auth(node.adminKey), Map.of()), 200);
        ok(steps.token(Map.of("grant_type", "refresh_token", "refresh_token", t.path("refresh_token").asText(),
                "client_id", clientId)), 200);
    }

    /** §4.7 (CSRF): a consent posted without this browser's token, or from another site, issues nothing. */
    @Test
    void aForgedConsentIssuesNoCode() {
        Person victim = new Person(node.server.publicUrl());
        Person.Page consent = victim.open(URI.create(steps.authorizeUrl(clientId, CALLBACK, "c".repeat(50), "s", mcpUrl)
                + "&prompt=consent"));
        consent = victim.submit(consent, "/login", Map.of("email", List.of(EMAIL),
                "password", List.of(OAuthSteps.PASSWORD)));
        Map<String, List<String>> fields = Person.formFields(consent.body(), "/oauth/authorize");
        fields.put("decision", List.of("approve"));
        String cookies = "gh_session=" + victim.cookies().get("gh_session") + "; gh_browser="
                + victim.cookies().get("gh_browser");
        StringBuilder noToken = new StringBuilder();
        fields.forEach((k, v) -> {
            if (!k.equals("csrf")) {
                noToken.append(noToken.isEmpty() ? "" : "&").append(k).append('=')
                        .append(URLEncoder.encode(v.getFirst(), StandardCharsets.UTF_8));
            }
        });
        Http.Response forged = node.http.send("POST", "/oauth/authorize", Map.of("Content-Type",
                "application/x-www-form-urlencoded", "Cookie", cookies), noToken.toString());
        assertThat(forged.status()).isEqualTo(403);
        assertThat(forged.header("Location")).isNull();
        Http.Response crossSite = node.http.send("POST", "/oauth/authorize", Map.of("Content-Type",
                "application/x-www-form-urlencoded", "Cookie", cookies, "Origin", "https://evil.example"),
                noToken + "&csrf=" + URLEncoder.encode(fields.get("csrf").getFirst(), StandardCharsets.UTF_8));
        assertThat(crossSite.status()).isEqualTo(403);
        assertThat(crossSite.header("Location")).isNull();
    }

    /** §4.4 (mix-up): every authorization answer, errors included, names the issuer (RFC 9207). */
    @Test
    void everyAuthorizationAnswerNamesTheIssuer() {
        JsonNode metadata = ok(node.http.send("GET", "/.well-known/oauth-authorization-server", Map.of(), null), 200);
        assertThat(metadata.path("authorization_response_iss_parameter_supported").asBoolean()).isTrue();
        String issuer = metadata.path("issuer").asText();
        Person person = new Person(node.server.publicUrl());
        URI success = steps.signInAndApprove(person, steps.authorizeUrl(clientId, CALLBACK, "m".repeat(50), "s", mcpUrl),
                EMAIL);
        assertThat(Person.query(success).get("iss")).containsExactly(issuer);
        Person.Page error = person.open(URI.create(steps.authorizeUrl(clientId, CALLBACK, "m".repeat(50), "s", mcpUrl)
                .toString().replace("scope=mcp%3Ause", "scope=admin%3Awrite")));
        Map<String, List<String>> q = Person.query(URI.create(error.location().orElseThrow()));
        assertThat(q.get("error")).containsExactly("invalid_scope");
        assertThat(q.get("iss")).containsExactly(issuer);
    }

    /** §4.9 / MCP "token passthrough": the upstream sees Gatehouse's signed assertion, never the client's token. */
    @Test
    void theUpstreamNeverSeesTheClientsToken() {
        String verifier = "w".repeat(50);
        String access = ok(steps.token(exchange(code(new Person(node.server.publicUrl()), CALLBACK, verifier), CALLBACK,
                verifier)), 200).path("access_token").asText();
        Mcp mcp = Mcp.withKey(gw.url("/mcp/demo"), access);
        mcp.initialize();
        String seen = mcp.callTool("whoami", Map.of()).last().toString();
        assertThat(seen).doesNotContain(access).doesNotContain("gh_at_");
        Matcher jwt = Pattern.compile("Bearer ([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]+)").matcher(seen);
        assertThat(jwt.find()).as(seen).isTrue();
        JsonNode claims = readClaims(jwt.group(2));
        assertThat(claims.path("cred_kind").asText()).isEqualTo("oauth_token");
        assertThat(claims.path("cred").asText()).startsWith("grant_");
    }

    private static JsonNode readClaims(String payload) {
        try {
            return Json.MAPPER.readTree(Base64.getUrlDecoder().decode(payload));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
