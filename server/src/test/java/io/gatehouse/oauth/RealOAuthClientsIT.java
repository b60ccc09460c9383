package io.gatehouse.oauth;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpsServer;
import io.gatehouse.http.Json;
import io.gatehouse.testing.Certificates;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.Https;
import io.gatehouse.testing.NodeClients;
import io.gatehouse.testing.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real OAuth clients from npm against a running Gatehouse, the whole way a person goes with them:
 * discovery, registration (dynamic, or a client ID metadata document), authorization with PKCE
 * while a headless person signs in and consents on Gatehouse's own pages, the code for tokens, a
 * tool call through the gateway, the access token revoked (RFC 7009) so that the gateway refuses it
 * and the client refreshes on its own, and another call. Then the person's connected apps show the
 * grant under the client's name. Also the official conformance suite's authorization-server mode,
 * driven the same way.
 *
 * <p>The person's email and password reach the scripts in environment variables only; nothing a
 * script prints may hold a password, an authorization code or a token.
 */
class RealOAuthClientsIT {
    private static final String PASSWORD = "correct horse battery staple";
    /** A code, access or refresh token Gatehouse issued, more than its kind prefix (which may be printed). */
    private static final Pattern SECRET = Pattern.compile("gh_(?:ac|at|rt)_[A-Za-z0-9]");
    private static final String DOCUMENT_PATH = "/clients/gatehouse-test.json";
    private static final String DOCUMENT_CLIENT_NAME = "Gatehouse test (client ID metadata document)";
    private static final AtomicInteger PEOPLE = new AtomicInteger();
    private static final AtomicInteger DOCUMENT_READS = new AtomicInteger();

    @TempDir
    static Path dir;
    private static NodeClients clients;
    private static HttpsServer documents;
    private static String documentUrl;
    private static GatewayNode gw;
    private static String issuer;
    private static String mcpUrl;

    /** Someone who accepted an invitation with a password: their email, and their first key (to list their apps). */
    private record Person(String email, String key) {
        Map<String, String> env() {
            return NodeClients.person(email, PASSWORD);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        clients = NodeClients.require();
        // The client ID metadata document, served over https on 127.0.0.1 by a certificate Gatehouse
        // is told to trust; its redirect URI is a loopback one, which matches on any port.
        KeyStore identity = Certificates.create(dir, "client-metadata", "ip:127.0.0.1");
        documents = Https.server(identity);
        documentUrl = "https://127.0.0.1:" + documents.getAddress().getPort() + DOCUMENT_PATH;
        byte[] document = Json.bytes(Map.of("client_id", documentUrl, "client_name", DOCUMENT_CLIENT_NAME,
                "redirect_uris", List.of("http://127.0.0.1/callback"),
                "grant_types", List.of("authorization_code", "refresh_token"), "response_types", List.of("code"),
                "token_endpoint_auth_method", "none"));
        documents.createContext(DOCUMENT_PATH, exchange -> {
            DOCUMENT_READS.incrementAndGet();
            Https.answerJson(exchange, document);
        });
        documents.start();
        gw = GatewayNode.start(Map.of("oauth.client-metadata-private-addresses", "true",
                "gateway.upstream-ca-file", Certificates.pem(identity, dir.resolve("ca.pem")).toString()));
        issuer = gw.node.server.publicUrl().toString();
        mcpUrl = gw.url("/mcp/demo").toString();
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (documents != null) {
            documents.stop(0);
        }
    }

    /** A new person in a new organization, signed up through the invitation with a password. */
    private static Person signUp() {
        String email = "person" + PEOPLE.incrementAndGet() + "@real-oauth.test";
        JsonNode org = ok(gw.node.http.post("/v1/orgs", gw.node.adminKey, Map.of("name", "Org of " + email,
                "plan", "free", "owner_email", email)), 201);
        JsonNode accepted = ok(gw.node.http.send("POST", "/v1/invitations/accept", Map.of(), Map.of("token",
                org.path("owner_invitation").path("token").asText(), "password", PASSWORD)), 201);
        return new Person(email, accepted.path("key").path("key").asText());
    }

    @Test
    void sdkV1RegistersSignsInCallsAToolAndRefreshes() {
        Person person = signUp();
        NodeClients.Result r = clients.oauthSdk1(person.env(), "--url", mcpUrl,
                "--client-name", "Gatehouse test (MCP SDK v1)", "--call", "add", "--args", "{\"a\": 2, \"b\": 40}");
        assertSignedInCalledAndRefreshed(r);
        assertThat(r.json().path("registration").asText()).isEqualTo("dynamic");
        assertThat(r.json().path("clientId").asText()).startsWith("gh_client_");
        assertThat(exchanges(r, "POST", "/oauth/register")).containsExactly(201);
        assertRefreshedAfterARefusal(r);
        assertGrant(person, r.json().path("clientId").asText(), "Gatehouse test (MCP SDK v1)");
    }

    @Test
    void sdkV1WithAClientIdMetadataDocumentSignsInWithoutRegistering() {
        Person person = signUp();
        int readsBefore = DOCUMENT_READS.get();
        NodeClients.Result r = clients.oauthSdk1(person.env(), "--url", mcpUrl, "--cimd", documentUrl,
                "--call", "add", "--args", "{\"a\": 2, \"b\": 40}");
        assertSignedInCalledAndRefreshed(r);
        assertThat(r.json().path("registration").asText()).isEqualTo("metadata-document");
        assertThat(r.json().path("clientId").asText()).isEqualTo(documentUrl);
        assertThat(exchanges(r, "POST", "/oauth/register")).isEmpty();
        assertThat(DOCUMENT_READS.get()).as("Gatehouse read the document").isGreaterThan(readsBefore);
        assertRefreshedAfterARefusal(r);
        assertGrant(person, documentUrl, DOCUMENT_CLIENT_NAME);
    }

    @Test
    void sdkV2ChecksTheIssuerOfTheAnswerThenCallsAToolAndRefreshes() {
        Person person = signUp();
        NodeClients.Result r = clients.oauthSdk2(person.env(), "--url", mcpUrl,
                "--client-name", "Gatehouse test (MCP SDK v2)", "--call", "add", "--args", "{\"a\": 2, \"b\": 40}");
        assertSignedInCalledAndRefreshed(r);
        assertThat(r.json().path("registration").asText()).isEqualTo("dynamic");
        // RFC 9207: the answer names Gatehouse as issuer; the same answer naming another is refused.
        assertThat(r.json().path("iss").asBoolean()).isTrue();
        assertThat(r.json().path("forgedIssRefused").asBoolean()).isTrue();
        assertRefreshedAfterARefusal(r);
        assertGrant(person, r.json().path("clientId").asText(), "Gatehouse test (MCP SDK v2)");
    }

    @Test
    void oauth4webapiFollowsTheSpecStepByStepStrictly() {
        Person person = signUp();
        NodeClients.Result r = clients.oauth4webapi(person.env(), "--url", mcpUrl,
                "--client-name", "Gatehouse test (oauth4webapi)", "--call", "add", "--args", "{\"a\": 2, \"b\": 40}");
        assertSignedInCalledAndRefreshed(r);
        JsonNode json = r.json();
        assertThat(json.path("issuer").asText()).isEqualTo(issuer);
        assertThat(json.path("resource").asText()).isEqualTo(mcpUrl);
        assertThat(json.path("scope").asText()).isEqualTo("mcp:use");
        assertThat(json.path("iss").asBoolean()).isTrue();
        assertThat(json.path("forgedIssRefused").asBoolean()).isTrue();
        assertThat(json.path("challenge").path("status").asInt()).isEqualTo(401);
        assertThat(json.path("challenge").path("error").asText()).isEqualTo("invalid_token");
        assertThat(json.path("challenge").path("resourceMetadata").asBoolean()).isTrue();
        assertRefreshedAfterARefusal(r);
        assertGrant(person, json.path("clientId").asText(), "Gatehouse test (oauth4webapi)");
    }

    @Test
    void mcpRemoteSignsInThroughThePrintedUrlCallsAToolAndRefreshes() {
        Person person = signUp();
        NodeClients.Result r = clients.oauthMcpRemote(person.env(), "--url", mcpUrl,
                "--call", "add", "--args", "{\"a\": 2, \"b\": 40}");
        // The person took the printed URL, as the message asks. Whether mcp-remote believed a browser
        // opened is not asserted: it says so whenever xdg-open could be started, which depends on the
        // machine's packages (Chromium brings xdg-utils), not on Gatehouse.
        assertSignedInCalledAndRefreshed(r);
        String name = r.json().path("clientName").asText();
        assertThat(name).isNotBlank();
        assertGrant(person, r.json().path("clientId").asText(), name);
    }

    @Test
    void conformanceSuiteAuthorizationServerModePasses() {
        Person person = signUp();
        NodeClients.Result r = clients.oauthConformance(person.env(), "--issuer", issuer, "--resource", mcpUrl);
        assertThat(r.json().path("failed")).as(r.json() + "\n" + r.stderr()).isEmpty();
        assertThat(r.ok()).as(r.json() + "\n" + r.stderr()).isTrue();
        assertThat(r.json().path("exitCode").asInt()).isZero();
        assertThat(texts(r.json().path("passed")))
                .contains("authorization-server-metadata-endpoint", "authorization-code-grant");
        assertThat(texts(r.json().path("pages"))).containsExactly("login", "consent");
        assertNothingSecret(r);
        // The suite redeems the code and checks the answer; it never calls the MCP server with the token.
        grant(person, r.json().path("clientId").asText(), "Gatehouse test (conformance suite)");
    }

    /** Signed in and consented, called add (42), refreshed after the access token was refused, called again (42). */
    private static void assertSignedInCalledAndRefreshed(NodeClients.Result r) {
        assertThat(r.ok()).as(r.json() + "\n" + r.stderr()).isTrue();
        JsonNode json = r.json();
        assertThat(texts(json.path("pages"))).containsExactly("login", "consent");
        assertThat(texts(json.path("tools"))).contains("echo", "add");
        assertThat(json.path("result").path("content").get(0).path("text").asText()).isEqualTo("42");
        assertThat(json.path("refreshed").asBoolean()).as(json.toString()).isTrue();
        assertThat(json.path("refreshTokenRotated").asBoolean()).as(json.toString()).isTrue();
        assertThat(json.path("afterRefresh").path("content").get(0).path("text").asText()).isEqualTo("42");
        assertThat(json.path("tokens").path("access").asText()).isEqualTo("gh_at_");
        assertThat(json.path("tokens").path("refresh").asText()).isEqualTo("gh_rt_");
        assertNothingSecret(r);
    }

    /**
     * The HTTP log shows the access token revoked (RFC 7009), the next call refused at once (401,
     * invalid_token), then a refresh grant, then the call answered.
     */
    private static void assertRefreshedAfterARefusal(NodeClients.Result r) {
        List<JsonNode> http = new ArrayList<>();
        r.json().path("http").forEach(http::add);
        int revoked = -1;
        for (int i = 0; i < http.size() && revoked < 0; i++) {
            if (http.get(i).path("path").asText().equals("/oauth/revoke")) {
                revoked = i;
            }
        }
        assertThat(revoked).as("the access token revoked: " + http).isPositive();
        assertThat(http.get(revoked).path("status").asInt()).isEqualTo(200);
        int refused = -1;
        for (int i = revoked + 1; i < http.size() && refused < 0; i++) {
            JsonNode e = http.get(i);
            if (e.path("path").asText().equals("/mcp/demo") && e.path("status").asInt() == 401) {
                refused = i;
            }
        }
        assertThat(refused).as("then a call refused: " + http).isPositive();
        assertThat(http.get(refused).path("wwwAuthenticate").asText())
                .startsWith("Bearer ").contains("error=\"invalid_token\"", "resource_metadata=\"" + issuer);
        int refreshed = -1;
        for (int i = refused + 1; i < http.size() && refreshed < 0; i++) {
            if (http.get(i).path("grant").asText().equals("refresh_token")) {
                refreshed = i;
            }
        }
        assertThat(refreshed).as("then a refresh: " + http).isPositive();
        assertThat(http.get(refreshed).path("status").asInt()).isEqualTo(200);
        assertThat(http.subList(refreshed + 1, http.size())).as("then the call again: " + http).anySatisfy(e -> {
            assertThat(e.path("method").asText()).isEqualTo("POST");
            assertThat(e.path("path").asText()).isEqualTo("/mcp/demo");
            assertThat(e.path("status").asInt()).isEqualTo(200);
        });
        assertThat(exchanges(r, "POST", "/oauth/token")).as("no token request failed").containsOnly(200);
    }

    /** The person's connected apps list the grant for {@code clientId}, under {@code name}, used at the gateway. */
    private static void assertGrant(Person person, String clientId, String name) {
        // Uses are counted in batches (keys.usage-flush-interval, 200 ms in tests).
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode grant = grant(person, clientId, name);
        while (grant.path("use_count").asInt() == 0 && System.nanoTime() < deadline) {
            sleep(50);
            grant = grant(person, clientId, name);
        }
        assertThat(grant.path("use_count").asInt()).as(grant.toString()).isPositive();
        assertThat(grant.path("last_used_ip").asText()).isEqualTo("127.0.0.1");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The person's one connected app: the grant for {@code clientId}, under {@code name}. */
    private static JsonNode grant(Person person, String clientId, String name) {
        JsonNode grants = ok(gw.node.http.send("GET", "/v1/grants", TestNode.auth(person.key()), null), 200)
                .path("data");
        assertThat(grants.size()).as(grants.toString()).isEqualTo(1);
        JsonNode grant = grants.get(0);
        assertThat(grant.path("client_id").asText()).isEqualTo(clientId);
        assertThat(grant.path("client_name").asText()).isEqualTo(name);
        assertThat(texts(grant.path("scopes"))).containsExactly("mcp:use");
        assertThat(grant.path("redirect_host").asText()).isIn("127.0.0.1", "localhost");
        assertThat(grant.path("revoked_at").isNull()).as(grant.toString()).isTrue();
        return grant;
    }

    private static void assertNothingSecret(NodeClients.Result r) {
        String printed = r.json() + "\n" + r.stderr();
        assertThat(printed).doesNotContain(PASSWORD);
        assertThat(SECRET.matcher(printed).find()).as("a code or token in the output:\n" + printed).isFalse();
    }

    /** The statuses of the script's recorded exchanges with {@code method} and {@code path}. */
    private static List<Integer> exchanges(NodeClients.Result r, String method, String path) {
        List<Integer> out = new ArrayList<>();
        r.json().path("http").forEach(e -> {
            if (e.path("method").asText().equals(method) && e.path("path").asText().equals(path)) {
                out.add(e.path("status").asInt());
            }
        });
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
