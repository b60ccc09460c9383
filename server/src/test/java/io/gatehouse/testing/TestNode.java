package io.gatehouse.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.Bootstrap;
import io.gatehouse.GatehouseServer;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Gatehouse node for integration tests: real HTTP on a free loopback port, on the engine under
 * test, with an instance administrator's key. Fixture helpers create organisations, users and keys
 * through the management API, the same way a user would.
 */
public final class TestNode implements AutoCloseable {
    public final GatehouseServer server;
    public final Http http;
    public final String adminKey;
    public final String adminUserId;
    public final String adminOrgId;
    private final Path dataDir;

    private TestNode(GatehouseServer server, Bootstrap.Result admin, Path dataDir) {
        this.server = server;
        this.http = new Http(server.publicUrl());
        this.adminKey = admin.key().plaintext();
        this.adminUserId = admin.admin().id();
        this.adminOrgId = admin.organization().id();
        this.dataDir = dataDir;
    }

    /** A node on a new, empty database of the engine under test. */
    public static TestNode start(Map<String, String> extraSettings) {
        Path dir = tempDir();
        Map<String, String> settings = new HashMap<>(TestDatabase.settings(dir));
        settings.putAll(extraSettings);
        return startWith(dir, settings, true);
    }

    public static TestNode start() {
        return start(Map.of());
    }

    /** A node on given settings; {@code bootstrap} makes the first administrator. */
    public static TestNode startWith(Path dir, Map<String, String> settings, boolean bootstrap) {
        Map<String, String> all = new HashMap<>();
        all.put("data-dir", dir.toString());
        all.put("http.port", "0");
        all.put("keys.usage-flush-interval", "200ms");
        // Nodes sharing a database must share the node secret (it seals the signing key).
        all.put("secret-key", "integration-tests-node-secret-0123456789");
        all.putAll(settings);
        GatehouseConfig config = GatehouseConfig.from(Settings.of(all));
        GatehouseServer server = GatehouseServer.start(config, Optional.empty());
        Bootstrap.Result admin = Bootstrap.initAdmin(server.services(), "admin@example.test", !bootstrap);
        return new TestNode(server, admin, dir);
    }

    public static Path tempDir() {
        try {
            return Files.createTempDirectory("gatehouse-it-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path dataDir() {
        return dataDir;
    }

    // --- fixtures through the management API -------------------------------------------------

    public String createUser(String email) {
        return ok(http.post("/v1/users", adminKey, Map.of("email", email)), 201).path("id").asText();
    }

    public String createOrg(String name, String plan, String ownerUserId) {
        return ok(http.post("/v1/orgs", adminKey, Map.of("name", name, "plan", plan, "owner_user_id", ownerUserId)),
                201).path("id").asText();
    }

    public void setMember(String orgId, String userId, String role) {
        ok(http.send("PUT", "/v1/orgs/" + orgId + "/members/" + userId, auth(adminKey), Map.of("role", role)), 200);
    }

    public String createWorkspace(String orgId, String name) {
        return ok(http.post("/v1/orgs/" + orgId + "/workspaces", adminKey, Map.of("name", name)), 201)
                .path("id").asText();
    }

    public void addToWorkspace(String workspaceId, String userId) {
        ok(http.send("PUT", "/v1/workspaces/" + workspaceId + "/members/" + userId, auth(adminKey), null), 200);
    }

    /** Creates a key as the administrator; returns the whole answer, plaintext included. */
    public JsonNode createKey(Map<String, Object> body) {
        return ok(http.post("/v1/keys", adminKey, body), 201);
    }

    public JsonNode createKey(String orgId, String userId, String name) {
        return createKey(Map.of("organization_id", orgId, "user_id", userId, "name", name));
    }

    /** A key for {@code userId} in {@code orgId}, with {@code extra} fields (expiry, scope, …). */
    public JsonNode createKey(String orgId, String userId, Map<String, Object> extra) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("organization_id", orgId, "user_id", userId,
                "name", "k"));
        body.putAll(extra);
        return createKey(body);
    }

    /** An organisation's owner, and a key of theirs that may manage it ({@code admin:read}, {@code admin:write}). */
    public record OrgAdmin(String userId, String orgId, String key) {
    }

    /** A new user owning a new organisation on the free plan, with a managing key. */
    public OrgAdmin orgAdmin(String email, String orgName) {
        String user = createUser(email);
        String org = createOrg(orgName, "free", user);
        String key = createKey(Map.of("organization_id", org, "user_id", user, "name", "admin",
                "permissions", List.of("admin:read", "admin:write"))).path("key").asText();
        return new OrgAdmin(user, org, key);
    }

    /** A person who joined an organization by accepting an invitation, and the first key it gave them. */
    public record Person(String userId, String orgId, String email, String key, String keyId) {
    }

    /**
     * A new organization on {@code plan} made by the operator, whose owner {@code email} joins the way a
     * person does: invited by email, accepting with the token, holding the first key that gives them.
     */
    public Person owner(String email, String orgName, String plan) {
        JsonNode org = ok(http.post("/v1/orgs", adminKey, Map.of("name", orgName, "plan", plan, "owner_email", email)), 201);
        return accept(org.path("owner_invitation").path("token").asText(), null);
    }

    /** Invites {@code email} as {@code role} with the inviter's key; returns the token. */
    public String invite(String inviterKey, String orgId, String email, String role) {
        return ok(http.post("/v1/orgs/" + orgId + "/invitations", inviterKey, Map.of("email", email, "role", role)), 201)
                .path("token").asText();
    }

    /** Accepts an invitation, with {@code key} (a credential of the invitee's own) or, when null, with none. */
    public Person accept(String token, String key) {
        JsonNode a = ok(acceptInvitation(token, key), 201);
        return new Person(a.path("member").path("user_id").asText(), a.path("organization").path("id").asText(),
                a.path("member").path("email").asText(), a.path("key").path("key").asText(),
                a.path("key").path("id").asText());
    }

    public Http.Response acceptInvitation(String token, String key) {
        return http.send("POST", "/v1/invitations/accept", key == null ? Map.of() : auth(key), Map.of("token", token));
    }

    /** A person who joined {@code orgId} as {@code role}, invited by the operator. */
    public Person member(String orgId, String email, String role) {
        return accept(invite(adminKey, orgId, email, role), null);
    }

    /** Registers an upstream server as the administrator; returns its view. */
    public JsonNode createServer(Map<String, Object> body) {
        return ok(http.post("/v1/servers", adminKey, body), 201);
    }

    public Http.Response whoami(String key) {
        return http.get("/v1/whoami", key);
    }

    public static Map<String, String> auth(String key) {
        return Map.of("Authorization", "Bearer " + key);
    }

    public static JsonNode ok(Http.Response r, int expected) {
        if (r.status() != expected) {
            throw new AssertionError("expected " + expected + " but got " + r.status() + ": " + r.text());
        }
        return r.text().isEmpty() ? null : r.json();
    }

    public static List<String> texts(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Override
    public void close() {
        server.close();
    }
}
