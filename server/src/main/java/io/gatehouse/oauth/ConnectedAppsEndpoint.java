package io.gatehouse.oauth;

import io.gatehouse.audit.Actor;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.door.Targets;
import io.gatehouse.door.ToolScope;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.Routes;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Optional;

/**
 * A person's connected apps (their OAuth grants) in the management API: {@code GET /v1/grants} and
 * {@code DELETE /v1/grants/{id}}. A person sees and revokes their own, with a credential that may
 * manage their keys; an operator anyone's. Revoking refuses every token of the grant at once.
 */
public final class ConnectedAppsEndpoint {
    private final Tokens tokens;
    private final Guard guard;

    public ConnectedAppsEndpoint(Tokens tokens, Guard guard) {
        this.tokens = tokens;
        this.guard = guard;
    }

    /** The grant, if the caller's own in the caller's organization (or the caller is an operator); else 404. */
    private Grant mine(Principal caller, String id) {
        Grant grant = tokens.grant(id).orElseThrow(() -> ApiError.notFound("connected app"));
        boolean own = grant.userId().equals(caller.userId()) && grant.orgId().equals(caller.orgId());
        if (!own && !caller.operator()) {
            throw ApiError.notFound("connected app");
        }
        return grant;
    }

    public void register(Routes routes) {
        routes.get("/v1/grants", this::listGrants);
        routes.delete("/v1/grants/{id}", this::revokeGrant);
        routes.patch("/v1/grants/{id}", this::update);
    }

    /** A person's connected apps; an operator may name anyone with {@code user_id}. */
    private void listGrants(ServerRequest req, ServerResponse res) {
        Principal caller = guard.admit(req, Requirement.management());
        caller.requireAny(Permissions.KEYS_SELF, Permissions.ADMIN_READ);
        Optional<String> named = req.query().first("user_id").asOptional();
        if (named.isPresent() && !named.get().equals(caller.userId()) && !caller.operator()) {
            throw ApiError.forbidden("not_yours", "Only an operator may list another person's connected apps");
        }
        boolean all = req.query().first("include_revoked").asOptional().map("true"::equals).orElse(false);
        // A person's credential sees the connected apps of its own organization, as it sees keys.
        Json.ok(res, Map.of("data", tokens.connectedApps(named.orElse(caller.userId()), all).stream()
                .filter(a -> caller.operator() || caller.orgId().equals(a.get("organization_id"))).toList()));
    }

    /** Sets the tools a connected app may use: {@code {"tools": "*" | ["server/tool", …]}}, as for keys. */
    private void update(ServerRequest req, ServerResponse res) {
        Principal caller = guard.admit(req, Requirement.management());
        caller.requireAny(Permissions.KEYS_SELF, Permissions.ADMIN_WRITE);
        String id = req.path().pathParameters().get("id");
        Grant grant = mine(caller, id);
        if (grant.revokedAt().isPresent()) {
            throw ApiError.of(io.gatehouse.errors.ErrorCode.CONFLICT, "revoked", "This connected app was revoked");
        }
        io.gatehouse.http.Body body = guard.body(req).allow("tools");
        Targets tools = io.gatehouse.keys.KeyReach.toolsWithin(caller,
                ToolScope.read(Optional.ofNullable(body.raw("tools")), "tools")
                        .orElseThrow(() -> ApiError.invalid("tools: required")));
        tokens.setTools(Actor.of(caller, req), id, tools);
        Json.ok(res, tokens.connectedApps(grant.userId(), true).stream()
                .filter(a -> id.equals(a.get("id"))).findFirst().orElseThrow());
    }

    /** Revokes one connected app: every token of it is refused at once, on every node. */
    private void revokeGrant(ServerRequest req, ServerResponse res) {
        Principal caller = guard.admit(req, Requirement.management());
        caller.requireAny(Permissions.KEYS_SELF, Permissions.ADMIN_WRITE);
        String id = req.path().pathParameters().get("id");
        Grant grant = mine(caller, id);
        boolean own = grant.userId().equals(caller.userId());
        tokens.revokeGrant(Actor.of(caller, req), id, own ? "revoked_by_user" : "revoked_by_operator");
        res.status(Status.NO_CONTENT_204).send();
    }

}
