package io.gatehouse.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.ToolScope;
import io.gatehouse.http.ApiError;
import io.gatehouse.http.ErrorCode;
import io.gatehouse.http.Json;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * {@code /mcp/{server}} and {@code /mcp} (the default server): MCP's Streamable HTTP transport,
 * proxied. Serves both protocol eras: 2025-11-25 and earlier (sessions, GET streams, DELETE,
 * {@code Last-Event-ID}, batches from 2025-03-26) and 2026-07-28 (stateless, {@code Mcp-Method},
 * {@code Mcp-Name}, {@code Mcp-Param-*}), forwarding what it does not need to understand.
 *
 * <p>It reads just enough JSON-RPC to enforce per-tool authorization: a {@code tools/call} of a
 * tool the caller may not use is answered here with a JSON-RPC error and never reaches the
 * upstream, and a {@code tools/list} answer is filtered to the tools the caller may use.
 *
 * @see <a href="https://modelcontextprotocol.io/specification/2025-11-25/basic/transports">MCP 2025-11-25 Transports</a>
 */
public final class McpEndpoint {
    private static final HeaderName MCP_METHOD = HeaderNames.create("Mcp-Method");
    private static final HeaderName MCP_NAME = HeaderNames.create("Mcp-Name");
    private static final String METHODS = "GET, POST, DELETE, OPTIONS";

    private final ServerRegistry registry;
    private final GatewayAccess access;
    private final Origins origins;
    private final McpSessions sessions;
    private final Upstream upstream;
    private final GatewayMetrics metrics;
    private final long maxBodyBytes;

    McpEndpoint(ServerRegistry registry, GatewayAccess access, Origins origins, McpSessions sessions,
                Upstream upstream, GatewayMetrics metrics, long maxBodyBytes) {
        this.registry = registry;
        this.access = access;
        this.origins = origins;
        this.sessions = sessions;
        this.upstream = upstream;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
    }

    public void register(Routes routes) {
        // A URL pasted with a trailing slash reaches the same server.
        for (String path : new String[]{"/mcp/{server}", "/mcp", "/mcp/{server}/", "/mcp/"}) {
            routes.operational(Method.POST, path, this::post)
                    .operational(Method.GET, path, this::get)
                    .operational(Method.DELETE, path, this::delete)
                    .operational(Method.OPTIONS, path, (req, res) -> origins.preflight(req, res, METHODS));
        }
    }

    private Server server(ServerRequest req) {
        Optional<String> slug = req.path().pathParameters().first("server").asOptional();
        Optional<Server> s = slug.isPresent() ? registry.bySlug(slug.get()) : registry.defaultMcp();
        return s.filter(x -> x.kind() == Server.Kind.MCP).orElseThrow(() -> ApiError.of(ErrorCode.NOT_FOUND,
                "unknown_server", slug.map(x -> "No MCP server '" + x + "'").orElse("No default MCP server")));
    }

    private void post(ServerRequest req, ServerResponse res) {
        origins.check(req, res);
        Server server = server(req);
        Optional<Principal> caller = access.admit(req, server, Permissions.MCP_USE);
        byte[] body = Json.bytes(req, maxBodyBytes);
        JsonRpc.Inspection rpc = JsonRpc.inspect(body);
        checkMirroredHeaders(req.headers().all(MCP_METHOD, List::of), req.headers().all(MCP_NAME, List::of), rpc);
        Predicate<String> usable = usable(server, caller);

        List<JsonRpc.Message> calls = rpc.toolCalls();
        List<JsonRpc.Message> refused = new ArrayList<>(0);
        for (JsonRpc.Message call : calls) {
            if (!usable.test(call.toolName())) {
                refused.add(call);
            }
        }
        if (!refused.isEmpty()) {
            metrics.refusedTools(server, refused.size());
            refuse(res, rpc, refused);
            return;
        }
        boolean filterLists = !rpc.toolsListIds().isEmpty() && restricted(server, caller);
        try (Upstream.Answer answer = upstream.open(req, call(req, server, caller, Method.POST, Optional.of(body)),
                RequestInfo.of(req).clientAddress(), RequestInfo.of(req).requestId())) {
            checkUpstreamAccepted(server, answer);
            if (filterLists) {
                ToolListFilter.relay(answer, res, r -> session(answer, r, server, caller), rpc.toolsListIds(), usable);
            } else {
                Upstream.relay(answer, res, r -> session(answer, r, server, caller));
            }
        }
    }

    /**
     * MCP 2026-07-28 mirrors the body's {@code method} into {@code Mcp-Method} and its target into
     * {@code Mcp-Name}, so that intermediaries and the upstream may route on them. What this gateway
     * checked (the body) and what they route on (the header) must then be the same thing: a
     * {@code tools/list} body sent as {@code Mcp-Method: tools/call} with the name of a refused tool
     * must not reach an upstream that believes the header. Either header, when sent, must describe
     * the body's one message; older clients send neither, and nothing is required of them.
     */
    static void checkMirroredHeaders(List<String> methods, List<String> names, JsonRpc.Inspection rpc) {
        if (methods.isEmpty() && names.isEmpty()) {
            return;
        }
        // Sent twice, one value would be checked and the upstream might act on the other.
        if (methods.size() > 1 || names.size() > 1) {
            throw headerMismatch((methods.size() > 1 ? "Mcp-Method" : "Mcp-Name") + " may be sent only once");
        }
        JsonRpc.Message only = rpc.batch() || rpc.messages().size() != 1 ? null : rpc.messages().getFirst();
        if (!methods.isEmpty() && (only == null || !methods.getFirst().equals(only.method()))) {
            throw headerMismatch("Mcp-Method does not match the body's method");
        }
        if (!names.isEmpty() && (only == null || only.target() == null || !mirrors(names.getFirst(), only.target()))) {
            throw headerMismatch("Mcp-Name does not match the body's params.name or params.uri");
        }
    }

    /** A header value as sent, or in the {@code =?base64?…?=} form used for what a header cannot carry. */
    static boolean mirrors(String header, String value) {
        if (header.equals(value)) {
            return true;
        }
        if (header.length() > 12 && header.regionMatches(true, 0, "=?base64?", 0, 9) && header.endsWith("?=")) {
            try {
                byte[] decoded = java.util.Base64.getDecoder().decode(header.substring(9, header.length() - 2));
                return new String(decoded, java.nio.charset.StandardCharsets.UTF_8).equals(value);
            } catch (IllegalArgumentException notBase64) {
                return false;
            }
        }
        return false;
    }

    private static ApiError headerMismatch(String message) {
        return ApiError.of(ErrorCode.INVALID_REQUEST, "header_mismatch", message);
    }

    static Predicate<String> usable(Server server, Optional<Principal> caller) {
        return tool -> server.exposes(tool) && caller
                .map(p -> ToolScope.allows(p.identity().tools(), server.id(), server.slug(), tool)).orElse(true);
    }

    /** 2025-11-25: the stream a client opens for server-initiated messages (or 405 from the upstream). */
    private void get(ServerRequest req, ServerResponse res) {
        forwardWithoutBody(req, res, Method.GET);
    }

    /** 2025-11-25: the client ends its session. */
    private void delete(ServerRequest req, ServerResponse res) {
        forwardWithoutBody(req, res, Method.DELETE);
    }

    private void forwardWithoutBody(ServerRequest req, ServerResponse res, Method method) {
        origins.check(req, res);
        Server server = server(req);
        Optional<Principal> caller = access.admit(req, server, Permissions.MCP_USE);
        try (Upstream.Answer answer = upstream.open(req, call(req, server, caller, method, Optional.empty()),
                RequestInfo.of(req).clientAddress(), RequestInfo.of(req).requestId())) {
            checkUpstreamAccepted(server, answer);
            Upstream.relay(answer, res, r -> session(answer, r, server, caller));
        }
    }

    private Upstream.Call call(ServerRequest req, Server server, Optional<Principal> caller, Method method,
                               Optional<byte[]> body) {
        Map<HeaderName, String> headers = new HashMap<>(access.identityHeaders(server, caller));
        req.headers().first(Upstream.MCP_SESSION_ID).ifPresent(presented -> headers.put(Upstream.MCP_SESSION_ID,
                sessions.unwrap(presented, binding(server, caller)).orElseThrow(() -> ApiError.of(ErrorCode.NOT_FOUND,
                        "unknown_session", "No such MCP session for this credential; start a new session"))));
        return new Upstream.Call(server, method, server.upstream(), headers, body, false, server.timeout());
    }

    /** An upstream's own session id, handed to the client bound to it. */
    private void session(Upstream.Answer answer, ServerResponse res, Server server, Optional<Principal> caller) {
        answer.header(Upstream.MCP_SESSION_ID).ifPresent(id ->
                res.header(Upstream.MCP_SESSION_ID, sessions.wrap(id, binding(server, caller))));
    }

    static String binding(Server server, Optional<Principal> caller) {
        return server.id() + "\n" + caller.map(p -> p.userId() + "\n" + p.credentialId()).orElse("anonymous");
    }

    static boolean restricted(Server server, Optional<Principal> caller) {
        return !server.hiddenTools().isEmpty() || caller.map(p -> !p.identity().tools().all()).orElse(false);
    }

    /**
     * The upstream refused Gatehouse's own assertion: a configuration problem between the two, not
     * the client's; passing its 401 on would send the client to sign in to the wrong server.
     */
    static void checkUpstreamAccepted(Server server, Upstream.Answer answer) {
        int code = answer.status();
        if (code == 401 || code == 407) {
            throw upstreamRejected(server);
        }
    }

    static ApiError upstreamRejected(Server server) {
        return ApiError.of(ErrorCode.BAD_GATEWAY, "upstream_rejected_gatehouse",
                "The upstream server '" + server.slug() + "' refused Gatehouse's credentials");
    }

    /** Answers a body that calls tools the caller may not use, without forwarding any of it. */
    private static void refuse(ServerResponse res, JsonRpc.Inspection rpc, List<JsonRpc.Message> refused) {
        ArrayNode answers = Json.MAPPER.createArrayNode();
        for (JsonRpc.Message m : rpc.messages()) {
            if (!m.isRequest()) {
                continue; // notifications and responses get no answer
            }
            answers.add(refused.contains(m)
                    ? JsonRpc.error(m, JsonRpc.FORBIDDEN, "Tool '" + m.toolName()
                    + "' is not available to this credential", "tool_not_allowed")
                    : JsonRpc.error(m, JsonRpc.FORBIDDEN, "Not run: the batch calls a tool that is not available "
                    + "to this credential", "batch_refused"));
        }
        res.header(io.helidon.http.HeaderValues.CONTENT_TYPE_JSON);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.status(Status.OK_200);
        try {
            res.send(Json.MAPPER.writeValueAsBytes(rpc.batch() ? answers : answers.get(0)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
