package io.gatehouse.keys;

import io.gatehouse.accounts.AccountsEndpoint;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.edge.Call;
import io.gatehouse.edge.Edge;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.http.Body;
import io.gatehouse.http.Errors;
import io.gatehouse.http.Json;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * The door's own endpoints, served on the edge's event loop like the data plane they stand for:
 * {@code GET /v1/whoami} (the data-plane check as an authenticated no-op) and
 * {@code POST /v1/keys/verify} (the check for services that hold keys themselves). Both are the hot
 * path of a service in front of its own API; a hop to the control plane would double their cost.
 */
public final class DoorRoutes implements Edge.DataPlane {
    /** The documented operations served here, as {@code METHOD path}. */
    public static final List<String> DOCUMENTED = List.of("GET /v1/whoami", "POST /v1/keys/verify");

    private final LoopDoor door;
    private final long maxBodyBytes;
    private final UnaryOperator<Optional<String>> serverAlias;

    /** @param serverAlias a registered server's other name: its slug for its id, its id for its slug */
    public DoorRoutes(LoopDoor door, long maxBodyBytes, UnaryOperator<Optional<String>> serverAlias) {
        this.door = door;
        this.maxBodyBytes = maxBodyBytes;
        this.serverAlias = serverAlias;
    }

    /**
     * {@code /v1/whoami} whatever the method (only GET is served), {@code POST /v1/keys/verify}, and
     * the methods {@code /v1/keys/verify} takes as no one's: GET and DELETE there are the control
     * plane's, where {@code verify} reads as a key id.
     */
    @Override
    public boolean claims(HttpMethod method, String path) {
        return path.equals("/v1/whoami") || path.equals("/v1/keys/verify")
                && !method.equals(HttpMethod.GET) && !method.equals(HttpMethod.DELETE);
    }

    @Override
    public void serve(Call call) {
        if (call.path().equals("/v1/whoami")) {
            allow(call, HttpMethod.GET);
            door.admit(call, LoopDoor.credential(call), Requirement.dataPlane(),
                    p -> call.respondJson(HttpResponseStatus.OK, Json.bytes(AccountsEndpoint.whoami(p))));
        } else {
            if (!call.method().equals(HttpMethod.POST)) {
                call.answerHeaders().set(HttpHeaderNames.ALLOW, "DELETE, GET, POST");
                throw ApiError.of(ErrorCode.METHOD_NOT_ALLOWED, "method_not_allowed", "Use POST");
            }
            door.admit(call, LoopDoor.credential(call), Requirement.management(Permissions.KEYS_VERIFY), caller -> {
                Json.requireJson(call.headers().get(HttpHeaderNames.CONTENT_TYPE));
                call.readBody(maxBodyBytes, content -> {
                    byte[] bytes = ByteBufUtil.getBytes(content);
                    content.release();
                    verify(call, caller, Json.parse(bytes));
                });
            });
        }
    }

    private static void allow(Call call, HttpMethod method) {
        if (!call.method().equals(method)) {
            call.answerHeaders().set(HttpHeaderNames.ALLOW, method.name());
            throw ApiError.of(ErrorCode.METHOD_NOT_ALLOWED, "method_not_allowed", "Use " + method.name());
        }
    }

    /** The verify API: the body's key, checked as the door would check it on a call with the body's requirement. */
    private void verify(Call call, Principal caller, Body body) {
        body.allow("key", "workspace", "server", "permission", "plan_gated", "client_address");
        String key = body.string("key", 512);
        Optional<String> server = body.optString("server", 64);
        Requirement requirement = new Requirement(body.optString("permission", 100), body.optString("workspace", 64),
                server, serverAlias.apply(server), body.optBoolean("plan_gated").orElse(true));
        String address = body.optString("client_address", 64).orElse(call.clientAddress());
        door.check(call, key.strip(), requirement, address, verdict -> {
            Map<String, Object> out = new LinkedHashMap<>();
            Principal p = verdict.principal();
            if (p != null) {
                out.put("valid", true);
                out.put("key_id", p.credentialId());
                out.put("kind", p.identity().kind().wire());
                out.put("organization_id", p.orgId());
                out.put("user_id", p.userId());
                out.put("plan", p.identity().plan());
                out.put("role", p.identity().role().map(r -> r.wire()).orElse(null));
                out.put("workspaces", new TreeSet<>(p.workspaces()));
                out.put("servers", KeysEndpoint.targets(p.identity().servers()));
                out.put("tools", KeysEndpoint.targets(p.identity().tools()));
                out.put("permissions", new TreeSet<>(p.permissions()));
                out.put("expires_at", p.identity().expiresAt().map(Instant::toString).orElse(null));
            } else {
                ApiError denied = verdict.denial();
                out.put("valid", false);
                out.put("error", Errors.body(denied, call.requestId()).get("error"));
            }
            out.put("verified_by", caller.credentialId());
            call.respondJson(HttpResponseStatus.OK, Json.bytes(out));
        });
    }
}
