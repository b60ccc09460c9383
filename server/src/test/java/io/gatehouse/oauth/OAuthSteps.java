package io.gatehouse.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.Person;
import io.gatehouse.testing.TestNode;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** The steps of an OAuth client and of the person at the browser, against one test node, over real HTTP. */
public final class OAuthSteps {
    public static final String PASSWORD = "correct horse battery staple";
    private final TestNode node;

    public OAuthSteps(TestNode node) {
        this.node = node;
    }

    /** A person whose account comes from an invitation accepted with {@link #PASSWORD}; the acceptance. */
    public JsonNode signUp(String email, String orgName) {
        JsonNode org = ok(node.http.post("/v1/orgs", node.adminKey, Map.of("name", orgName, "plan", "free",
                "owner_email", email)), 201);
        return ok(node.http.send("POST", "/v1/invitations/accept", Map.of(), Map.of("token",
                org.path("owner_invitation").path("token").asText(), "password", PASSWORD)), 201);
    }

    Http.Response registration(Map<String, Object> metadata) {
        return node.http.send("POST", "/oauth/register", Map.of(), metadata);
    }

    public String register(Map<String, Object> metadata) {
        Http.Response r = registration(metadata);
        assertThat(r.status()).as(r.text()).isIn(200, 201);
        return r.json().path("client_id").asText();
    }

    /** RFC 7636 S256, computed here independently of the server. */
    static String challenge(String verifier) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public URI authorizeUrl(String clientId, String redirect, String verifier, String state, String resource) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("response_type", "code");
        q.put("client_id", clientId);
        q.put("redirect_uri", redirect);
        q.put("code_challenge", challenge(verifier));
        q.put("code_challenge_method", "S256");
        q.put("state", state);
        q.put("scope", "mcp:use");
        if (resource != null) {
            q.put("resource", resource);
        }
        return node.server.publicUrl().resolve("/oauth/authorize?" + form(q));
    }

    public Http.Response token(Map<String, String> params) {
        return node.http.send("POST", "/oauth/token", Map.of("Content-Type", "application/x-www-form-urlencoded"),
                form(params));
    }

    public Http.Response post(String path, Map<String, String> headers, Map<String, String> params) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put("Content-Type", "application/x-www-form-urlencoded");
        return node.http.send("POST", path, h, form(params));
    }

    /** A browser with {@code email} signed in, at the sign-in page. */
    public Person signedIn(String email) {
        Person person = new Person(node.server.publicUrl());
        Person.Page login = person.open(node.server.publicUrl().resolve("/login"));
        Person.Page done = person.submit(login, "/login", Map.of("email", List.of(email), "password", List.of(PASSWORD)));
        assertThat(done.body()).contains("signed in as " + email);
        return person;
    }

    /** Signs {@code email} in (if the page asks) and approves; returns the redirect to the client. */
    public URI signInAndApprove(Person person, URI authorize, String email) {
        Person.Page page = person.open(authorize);
        if (page.status() == 303) {
            return URI.create(page.location().orElseThrow()); // consented before: answered at once
        }
        if (page.body() != null && page.body().contains("action=\"/login\"")) {
            page = person.submit(page, "/login", Map.of("email", List.of(email), "password", List.of(PASSWORD)));
            if (page.status() == 303) {
                return URI.create(page.location().orElseThrow()); // signed in, and consented before
            }
        }
        assertThat(page.status()).as(page.body()).isEqualTo(200);
        assertThat(page.body()).contains("Allow", "mcp:use");
        Person.Page answer = person.submit(page, "/oauth/authorize", Map.of("decision", List.of("approve")));
        assertThat(answer.status()).as(answer.body()).isEqualTo(303);
        return URI.create(answer.location().orElseThrow());
    }

    /** The whole way to a token pair for {@code clientId}: sign-in, consent, code exchange. */
    public JsonNode tokens(Person person, String email, String clientId, String redirect, String resource) {
        String verifier = "verifier-" + "x".repeat(40) + System.nanoTime();
        URI back = signInAndApprove(person, authorizeUrl(clientId, redirect, verifier, "s", resource), email);
        String code = Person.query(back).get("code").getFirst();
        Map<String, String> params = new LinkedHashMap<>(Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", redirect, "client_id", clientId, "code_verifier", verifier));
        if (resource != null) {
            params.put("resource", resource);
        }
        return ok(token(params), 200);
    }

    static String form(Map<String, String> params) {
        StringBuilder s = new StringBuilder();
        params.forEach((k, v) -> s.append(s.isEmpty() ? "" : "&").append(URLEncoder.encode(k, StandardCharsets.UTF_8))
                .append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return s.toString();
    }
}
