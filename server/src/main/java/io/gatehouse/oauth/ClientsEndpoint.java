package io.gatehouse.oauth;

import io.gatehouse.audit.Actor;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Body;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.Routes;
import io.gatehouse.keys.KeyFormat;
import io.gatehouse.keys.KeyHasher;
import io.gatehouse.store.Database;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Tx;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * OAuth clients an operator registers ({@code /v1/oauth-clients}): public ones, or confidential ones
 * whose secret ({@code gh_cs_…}, shown once, stored as its hash) authenticates them at the token,
 * revocation and introspection endpoints. Operators only, every act audited; removing a client
 * revokes every grant people gave it.
 */
public final class ClientsEndpoint {
    static final KeyFormat SECRET = new KeyFormat("gh_cs_");
    private final Clients clients;
    private final Tokens tokens;
    private final Guard guard;
    private final Database db;
    private final Invalidations invalidations;
    private final AuditLog audit;
    private final KeyHasher hasher;

    public ClientsEndpoint(Clients clients, Tokens tokens, Guard guard, Database db, Invalidations invalidations,
                           AuditLog audit, KeyHasher hasher) {
        this.clients = clients;
        this.tokens = tokens;
        this.guard = guard;
        this.db = db;
        this.invalidations = invalidations;
        this.audit = audit;
        this.hasher = hasher;
    }

    public void register(Routes routes) {
        routes.post("/v1/oauth-clients", this::create);
        routes.get("/v1/oauth-clients", this::list);
        routes.get("/v1/oauth-clients/{id}", this::get);
        routes.delete("/v1/oauth-clients/{id}", this::delete);
    }

    private Principal operator(ServerRequest req) {
        Principal caller = guard.admit(req, Requirement.management());
        if (!caller.operator()) {
            throw ApiError.forbidden("not_operator", "Only an operator credential can manage OAuth clients");
        }
        return caller;
    }

    private void create(ServerRequest req, ServerResponse res) {
        Principal caller = operator(req);
        Body body = guard.body(req).allow("name", "redirect_uris", "confidential");
        String name = body.string("name", 200).strip();
        if (name.isEmpty()) {
            throw ApiError.invalid("name: required");
        }
        List<String> uris = new ArrayList<>();
        if (body.raw("redirect_uris") == null || !body.raw("redirect_uris").isArray() || body.raw("redirect_uris").isEmpty()) {
            throw ApiError.invalid("redirect_uris: a list of at least one URI");
        }
        body.raw("redirect_uris").forEach(n -> uris.add(n.asText()));
        boolean confidential = Optional.ofNullable(body.raw("confidential")).map(n -> n.asBoolean(false)).orElse(false);
        String secret = confidential ? SECRET.generate() : null;
        Actor actor = Actor.of(caller, req);
        OAuthClient client;
        try {
            client = Tx.run(db, invalidations, tx -> {
                OAuthClient c = clients.registerByOperator(tx.handle(), name, uris,
                        Optional.ofNullable(secret).map(hasher::hash),
                        confidential ? "client_secret_basic" : "none", caller.userId());
                audit.record(tx.handle(), actor, null, "oauth_client.created", "oauth_client", c.id(),
                        Map.of("name", name, "confidential", confidential));
                return c;
            });
        } catch (OAuthError e) {
            throw ApiError.invalid("redirect_uris: " + e.description());
        }
        Map<String, Object> out = view(client);
        if (secret != null) {
            out.put("client_secret", secret); // shown this once
        }
        Json.send(res, Status.CREATED_201, out);
    }

    private void list(ServerRequest req, ServerResponse res) {
        operator(req);
        Json.ok(res, Map.of("data", clients.all().stream().map(ClientsEndpoint::view).toList()));
    }

    private void get(ServerRequest req, ServerResponse res) {
        operator(req);
        Json.ok(res, view(clients.stored(req.path().pathParameters().get("id"))
                .orElseThrow(() -> ApiError.notFound("OAuth client"))));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        Principal caller = operator(req);
        String id = req.path().pathParameters().get("id");
        OAuthClient client = clients.stored(id).orElseThrow(() -> ApiError.notFound("OAuth client"));
        Actor actor = Actor.of(caller, req);
        for (String grantId : clients.remove(client.id())) {
            tokens.revokeGrant(actor, grantId, "client_removed");
        }
        db.withHandle(h -> {
            audit.record(h, actor, null, "oauth_client.removed", "oauth_client", client.id(), Map.of());
            return null;
        });
        res.status(Status.NO_CONTENT_204).send();
    }

    static Map<String, Object> view(OAuthClient c) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("client_id", c.id());
        out.put("kind", c.kind().wire());
        out.put("name", c.name());
        out.put("redirect_uris", c.redirectUris());
        out.put("application_type", c.applicationType());
        out.put("token_endpoint_auth_method", c.authMethod());
        out.put("created_at", c.createdAt().toString());
        return out;
    }
}
