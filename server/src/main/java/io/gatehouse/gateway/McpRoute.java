package io.gatehouse.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.ToolScope;
import io.gatehouse.edge.Call;
import io.gatehouse.edge.Outbound;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.http.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code /mcp/{server}} and {@code /mcp} (the default server): MCP's Streamable HTTP transport,
 * proxied on the edge's event loop. Serves both protocol eras: 2025-11-25 and earlier (sessions,
 * GET streams, DELETE, {@code Last-Event-ID}, batches from 2025-03-26) and 2026-07-28 (stateless,
 * {@code Mcp-Method}, {@code Mcp-Name}, {@code Mcp-Param-*}), forwarding what it does not need to
 * understand.
 *
 * <p>It reads just enough JSON-RPC to enforce per-tool authorization: a {@code tools/call} of a
 * tool the caller may not use is answered here with a JSON-RPC error and never reaches the
 * upstream, and a {@code tools/list} answer is filtered to the tools the caller may use (within
 * bounds: an answer or event past them is a 502, never a cut list that looks whole).
 *
 * @see <a href="https://modelcontextprotocol.io/specification/2025-11-25/basic/transports">MCP 2025-11-25 Transports</a>
 */
final class McpRoute {
    private static final String METHODS = "GET, POST, DELETE, OPTIONS";
    private static final java.util.regex.Pattern SLUG = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    /** The largest {@code tools/list} answer filtered whole, and the largest event of a filtered stream. */
    static final int MAX_FILTERED_ANSWER = 16 * 1024 * 1024;

    private final ServerRegistry registry;
    private final GatewayAccess access;
    private final Origins origins;
    private final McpSessions sessions;
    private final Passage passage;
    private final Metering metering;
    private final long maxBodyBytes;

    McpRoute(ServerRegistry registry, GatewayAccess access, Origins origins, McpSessions sessions, Passage passage,
             Metering metering, long maxBodyBytes) {
        this.metering = metering;
        this.registry = registry;
        this.access = access;
        this.origins = origins;
        this.sessions = sessions;
        this.passage = passage;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Serves a call to {@code /mcp[/{slug}]}; {@code slug} null for the default server. */
    void serve(Call call, String slug) {
        HttpMethod method = call.method();
        if (method.equals(HttpMethod.OPTIONS)) {
            origins.preflight(call, METHODS);
        } else if (method.equals(HttpMethod.POST)) {
            post(call, slug);
        } else if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.DELETE)) {
            withoutBody(call, slug);
        } else {
            call.answerHeaders().set(HttpHeaderNames.ALLOW, METHODS);
            throw ApiError.of(ErrorCode.METHOD_NOT_ALLOWED, "method_not_allowed",
                    "An MCP endpoint takes " + METHODS);
        }
    }

    private Server server(String slug) {
        Optional<Server> s = slug != null ? registry.bySlug(slug) : registry.defaultMcp();
        // The slug is named back only when it could be one: a key pasted into the URL must not be echoed or logged.
        return s.filter(x -> x.kind() == Server.Kind.MCP).orElseThrow(() -> ApiError.of(ErrorCode.NOT_FOUND,
                "unknown_server", slug == null ? "No default MCP server"
                        : SLUG.matcher(slug).matches() ? "No MCP server '" + slug + "'" : "No MCP server at this path"));
    }

    private void post(Call call, String slug) {
        origins.check(call);
        Server server = server(slug);
        access.admit(call, server, Permissions.MCP_USE, caller -> {
            List<String> types = call.headers().getAll(HttpHeaderNames.CONTENT_TYPE);
            Json.requireJson(types.size() == 1 ? types.getFirst() : null); // 415, as the API's bodies
            post(call, server, caller);
        });
    }

    private void post(Call call, Server server, Optional<Principal> caller) {
        call.readBody(maxBodyBytes, content -> {
            byte[] body = ByteBufUtil.getBytes(content);
            content.release();
            JsonRpc.Inspection rpc = JsonRpc.inspect(body);
            checkMirroredHeaders(call.headers().getAll("mcp-method"), call.headers().getAll("mcp-name"), rpc);
            Predicate<String> usable = usable(server, caller);
            List<JsonRpc.Message> refused = new ArrayList<>(0);
            for (JsonRpc.Message toolCall : rpc.toolCalls()) {
                if (!usable.test(toolCall.toolName())) {
                    refused.add(toolCall);
                }
            }
            if (!refused.isEmpty()) {
                passage.metrics().refusedTools(server, refused.size());
                metering.refusedTools(call, server, caller, rpc.toolCalls().size() == 1
                        ? metering.toolLabel(caller, server, refused.getFirst().toolName()) : "");
                call.respondJson(HttpResponseStatus.OK, refusal(rpc, refused));
                return;
            }
            Set<String> filtered = !rpc.toolsListIds().isEmpty() && restricted(server, caller) ? rpc.toolsListIds()
                    : null;
            long cost = 0;
            for (JsonRpc.Message toolCall : rpc.toolCalls()) {
                cost += server.toolCost(toolCall.toolName());
            }
            String tool = rpc.toolCalls().size() == 1
                    ? metering.toolLabel(caller, server, rpc.toolCalls().getFirst().toolName()) : "";
            if (rpc.toolCalls().size() > 1) {
                refuseLimitedInBatch(server, rpc.toolCalls());
                if (caller.isPresent() && metering.rateLimited(caller.get(), server)) {
                    throw ApiError.of(ErrorCode.INVALID_REQUEST, "batch_rate_limited", "This credential's rate limits "
                            + "count tool calls one per request: send each tools/call in a request of its own");
                }
            }
            metering.admit(call, server, caller, tool, cost,
                    insufficient -> call.respondJson(HttpResponseStatus.OK, unpaid(rpc, insufficient)),
                    meter -> send(call, server, caller, Unpooled.wrappedBuffer(body), filtered, usable, meter));
        });
    }

    /** 2025-11-25: GET opens the stream for server-initiated messages (or gets the upstream's 405); DELETE ends a session. */
    private void withoutBody(Call call, String slug) {
        origins.check(call);
        Server server = server(slug);
        access.admit(call, server, Permissions.MCP_USE, caller -> metering.admit(call, server, caller, "", 0, null,
                meter -> send(call, server, caller, null, null, t -> true, meter)));
    }

    /**
     * Sends the call upstream with the caller's identity and the upstream's own session id.
     *
     * @param body       the whole body, or null for none
     * @param listIds    the ids of the {@code tools/list} requests whose answers are filtered; null for none
     */
    private void send(Call call, Server server, Optional<Principal> caller, ByteBuf body, Set<String> listIds,
                      Predicate<String> usable, Metering.Meter meter) {
        String binding = binding(server, caller);
        HttpHeaders headers = Passage.requestHeaders(call, access.identityHeaders(server, caller));
        String presented = call.headers().get("mcp-session-id");
        if (presented != null) {
            String upstreamId = sessions.unwrap(presented, binding).orElseThrow(() -> {
                if (body != null) {
                    body.release();
                }
                meter.answeredHere(true); // never reached the upstream: its charge goes back
                return ApiError.of(ErrorCode.NOT_FOUND, "unknown_session",
                        "No such MCP session for this credential; start a new session");
            });
            headers.set("Mcp-Session-Id", upstreamId);
        }
        long start = System.nanoTime();
        call.proxy(new Outbound(passage.target(server), call.method(), passage.uri(server, "", ""), headers, body,
                server.timeout(), meter.around(new Outbound.Answer() {
                    @Override
                    public HttpHeaders head(HttpResponse upstream) {
                        passage.metrics().answered(server, upstream.status().code(), System.nanoTime() - start);
                        Passage.checkAccepted(server, upstream);
                        HttpHeaders out = Passage.answerHeaders(upstream);
                        String session = upstream.headers().get("mcp-session-id");
                        if (session != null) {
                            out.set("Mcp-Session-Id", sessions.wrap(session, binding));
                        }
                        return out;
                    }

                    @Override
                    public Outbound.Shape shape(HttpResponse upstream) {
                        if (listIds == null) {
                            return Outbound.Shape.STREAM;
                        }
                        if (Outbound.isEventStream(upstream)) {
                            return new Outbound.Events(MAX_FILTERED_ANSWER, event -> filterEvent(event, listIds, usable));
                        }
                        boolean success = upstream.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.SUCCESS;
                        return new Outbound.Whole(MAX_FILTERED_ANSWER, true,
                                (whole, then) -> then.accept(filterJson(whole, listIds, usable, success)));
                    }

                    @Override
                    public ApiError failed(IOException cause, boolean timedOut) {
                        return passage.failed(server, cause, timedOut);
                    }
                })));
    }

    /**
     * Upstream answers are read with room for what tools lists hold (descriptions longer than the
     * management API's 64 KiB strings, deep input schemas): within the answer's own size limit, a
     * list that is too big for the API's requests still gets filtered.
     */
    private static final com.fasterxml.jackson.databind.ObjectMapper ANSWERS = answersMapper();

    private static com.fasterxml.jackson.databind.ObjectMapper answersMapper() {
        com.fasterxml.jackson.databind.ObjectMapper mapper = Json.MAPPER.copy();
        mapper.getFactory().setStreamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                .maxNestingDepth(256).maxStringLength(MAX_FILTERED_ANSWER).maxNumberLength(1000).build());
        return mapper;
    }

    /**
     * A {@code tools/list} answer sent as one JSON body, filtered; any other answer passes as it
     * came. A successful answer that cannot be read is never passed on: it might be a list that was
     * not filtered (throws {@link java.io.UncheckedIOException}, and the client gets a 502). An
     * error's body that is not JSON (an upstream's own 404 page, say) passes: no client reads a
     * result from a failed request.
     */
    static ByteBuf filterJson(ByteBuf whole, Set<String> listIds, Predicate<String> usable, boolean success) {
        try {
            JsonNode root;
            try {
                root = ANSWERS.readTree(ByteBufUtil.getBytes(whole));
            } catch (IOException unreadable) {
                if (!success) {
                    return whole.retain();
                }
                throw unfilterable(unreadable);
            }
            if (root == null || root.isMissingNode()) {
                return whole.retain(); // no content: nothing to filter, nothing to leak
            }
            if (root.isArray()) {
                ArrayNode out = Json.MAPPER.createArrayNode();
                root.forEach(m -> out.add(JsonRpc.filterToolList(m, listIds, usable).orElse(m)));
                return Unpooled.wrappedBuffer(Json.bytes(out));
            }
            Optional<JsonNode> filtered = JsonRpc.filterToolList(root, listIds, usable);
            return filtered.isPresent() ? Unpooled.wrappedBuffer(Json.bytes(filtered.get())) : whole.retain();
        } finally {
            whole.release();
        }
    }

    private static java.io.UncheckedIOException unfilterable(IOException cause) {
        // Jackson's message may quote the body; the type and position are enough to say why
        return new java.io.UncheckedIOException(new IOException("the upstream's answer to tools/list could not be "
                + "read as JSON to filter it (" + cause.getClass().getSimpleName() + ")"));
    }

    /**
     * One event of a stream, rewritten if it carries a {@code tools/list} answer; every other passes
     * as it came. An event whose data cannot be read is never passed on (it ends the stream): it
     * might be a list that was not filtered. The lines are walked in place, never split into an array.
     */
    static String filterEvent(String event, Set<String> listIds, Predicate<String> usable) {
        // A bare CR ends a line for the client (HTML §9.2.6), and a stream may begin with a byte order
        // mark the client drops: either could hide a data line from the walk below, so neither passes.
        if (!event.isEmpty() && event.charAt(0) == '\uFEFF' || hasBareCr(event)) {
            throw unfilterable(new IOException("a bare CR or a byte order mark in an event"));
        }
        StringBuilder data = new StringBuilder();
        StringBuilder others = new StringBuilder();
        int at = 0;
        int n = event.length();
        while (at < n) {
            int lf = event.indexOf('\n', at);
            int end = lf < 0 ? n : lf;
            int lineEnd = end > at && event.charAt(end - 1) == '\r' ? end - 1 : end;
            if (lineEnd > at) {
                if (event.startsWith("data:", at)) {
                    data.append(data.isEmpty() ? "" : "\n").append(event, at + (event.startsWith("data: ", at) ? 6 : 5), lineEnd);
                } else {
                    others.append(event, at, lineEnd).append('\n');
                }
            }
            at = end + 1;
        }
        if (data.isEmpty()) {
            return event;
        }
        Optional<JsonNode> filtered;
        try {
            filtered = JsonRpc.filterToolList(ANSWERS.readTree(data.toString()), listIds, usable);
            if (filtered.isPresent()) {
                return others + "data: " + Json.MAPPER.writeValueAsString(filtered.get()) + "\n\n";
            }
        } catch (IOException unreadable) {
            throw unfilterable(unreadable);
        }
        return event;
    }

    private static boolean hasBareCr(String event) {
        for (int i = event.indexOf('\r'); i >= 0; i = event.indexOf('\r', i + 1)) {
            if (i + 1 >= event.length() || event.charAt(i + 1) != '\n') {
                return true;
            }
        }
        return false;
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
                byte[] decoded = Base64.getDecoder().decode(header.substring(9, header.length() - 2));
                return new String(decoded, StandardCharsets.UTF_8).equals(value);
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

    static String binding(Server server, Optional<Principal> caller) {
        return server.id() + "\n" + caller.map(p -> p.userId() + "\n" + p.credentialId()).orElse("anonymous");
    }

    static boolean restricted(Server server, Optional<Principal> caller) {
        return !server.hiddenTools().isEmpty() || caller.map(p -> !p.identity().tools().all()).orElse(false);
    }

    /**
     * The answer to a body whose tool calls the organization's credits cannot pay for: a JSON-RPC
     * error per request, with the 402's reason, balance and cost in its data, which is what an MCP
     * client shows; none of it is forwarded.
     */
    private static byte[] unpaid(JsonRpc.Inspection rpc, ApiError insufficient) {
        ArrayNode answers = Json.MAPPER.createArrayNode();
        for (JsonRpc.Message m : rpc.messages()) {
            if (m.isRequest()) {
                com.fasterxml.jackson.databind.node.ObjectNode error = JsonRpc.error(m, JsonRpc.PAYMENT_REQUIRED,
                        insufficient.publicMessage(), "insufficient_credits");
                com.fasterxml.jackson.databind.node.ObjectNode data = (com.fasterxml.jackson.databind.node.ObjectNode)
                        error.path("error").path("data");
                insufficient.data().forEach((k, v) -> data.put(k, ((Number) v).longValue()));
                answers.add(error);
            }
        }
        return Json.bytes(rpc.batch() ? answers : answers.get(0));
    }

    /**
     * A batch (MCP 2025-03-26) is metered as one request, which a rate limit counts once: a batch of
     * several tool calls, one of them to a rate-limited tool, is refused rather than let past that
     * tool's limit; so is one by a caller any other limit applies to (its key's, its organization's,
     * the server's), which would otherwise make a thousand calls for one. Batches were dropped from
     * MCP in 2025-06-18, and no client we know of sends tool calls in one.
     */
    private static void refuseLimitedInBatch(Server server, List<JsonRpc.Message> toolCalls) {
        for (JsonRpc.Message m : toolCalls) {
            if (server.toolRate(m.toolName()).isPresent()) {
                throw ApiError.of(ErrorCode.INVALID_REQUEST, "rate_limited_tool_in_batch", "Tool '" + m.toolName()
                        + "' has a rate limit: call it in a request of its own, not in a batch of tool calls");
            }
        }
    }

    /** The answer to a body that calls tools the caller may not use; none of it is forwarded. */
    private static byte[] refusal(JsonRpc.Inspection rpc, List<JsonRpc.Message> refused) {
        // by identity: a batch of thousands of refused calls is looked up in constant time each
        Set<JsonRpc.Message> refusedSet = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        refusedSet.addAll(refused);
        ArrayNode answers = Json.MAPPER.createArrayNode();
        for (JsonRpc.Message m : rpc.messages()) {
            if (!m.isRequest()) {
                continue; // notifications and responses get no answer
            }
            answers.add(refusedSet.contains(m)
                    ? JsonRpc.error(m, JsonRpc.FORBIDDEN, "Tool '" + m.toolName()
                    + "' is not available to this credential", "tool_not_allowed")
                    : JsonRpc.error(m, JsonRpc.FORBIDDEN, "Not run: the batch calls a tool that is not available "
                    + "to this credential", "batch_refused"));
        }
        return Json.bytes(rpc.batch() ? answers : answers.get(0));
    }
}
