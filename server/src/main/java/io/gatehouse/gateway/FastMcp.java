package io.gatehouse.gateway;

import io.gatehouse.door.Credentials;
import io.gatehouse.door.Door;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.http.ApiError;
import io.gatehouse.http.Errors;
import io.gatehouse.http.Json;
import io.helidon.http.HeaderName;
import io.helidon.http.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The MCP calls the event-loop {@link Front} serves end to end: a {@code POST /mcp[/{server}]} that
 * {@link McpEndpoint#post} would forward unchanged. {@link #plan} takes every decision McpEndpoint
 * takes, from memory and without side effects. A credential not in memory is loaded first, off the
 * event loop ({@link Load}); any other call it is not sure of (a denial, a refused tool, a
 * {@code tools/list} to filter, a session that does not unwrap) is handed to Helidon, where
 * McpEndpoint decides and every error is written. So each rule lives in one place, and this class
 * only asks the same questions.
 */
public final class FastMcp {
    private static final byte[] CRLF = {'\r', '\n'};

    private final ServerRegistry registry;
    private final GatewayAccess access;
    private final McpSessions sessions;
    private final UpstreamAddresses addresses;
    private final UpstreamTls tls;
    private final GatewayMetrics metrics;
    /** Per server: where its upstream is, when the front may reach it itself (else null). */
    private final Map<String, Target> targets = new ConcurrentHashMap<>();

    /**
     * A server's upstream: its host and port, whether it speaks TLS, the address itself when the host is an
     * address literal (a name is resolved for each new connection, off the event loop), the addresses
     * it may have, and the first line and Host header of every request to it. Null fields: the front
     * may not reach this upstream itself.
     */
    private record Target(Server server, String host, int port, boolean tls, InetSocketAddress literal,
                          Predicate<InetAddress> allowed, byte[] requestLine, String poolKey) {
        boolean usable() {
            return requestLine != null;
        }
    }

    FastMcp(ServerRegistry registry, GatewayAccess access, McpSessions sessions, UpstreamAddresses addresses,
            UpstreamTls tls, GatewayMetrics metrics) {
        this.registry = registry;
        this.access = access;
        this.sessions = sessions;
        this.addresses = addresses;
        this.tls = tls;
        this.metrics = metrics;
    }

    /** What the front does with a call: see {@link #plan}. */
    public sealed interface Decision permits Plan, HandOn, Load {
    }

    /** The main listener takes the call, and the connection. */
    public record HandOn() implements Decision {
    }

    private static final HandOn HAND_ON = new HandOn();

    /** The credential's answer is not in memory: {@link #load} it, then plan the call again. */
    public record Load(String credential) implements Decision {
    }

    /** Reads what planning needs about {@code credential} from the store. Blocks: never on an event loop. */
    public void load(String credential) {
        access.load(credential);
    }

    /** One header of the client's request as received; {@code lower} is its name in lower case. */
    public record Field(String name, String lower, String value) {
    }

    /** A call the front may make itself, and what it needs to relay the answer. */
    public final class Plan implements Decision {
        private final Server server;
        private final Target target;
        private final byte[] request;
        private final String binding;
        private final Optional<Door.Admission> admission;
        private final String credentialId;

        private Plan(Server server, Target target, byte[] request, String binding,
                     Optional<Door.Admission> admission) {
            this.server = server;
            this.target = target;
            this.request = request;
            this.binding = binding;
            this.admission = admission;
            this.credentialId = admission.map(a -> a.principal().credentialId()).orElse("-");
        }

        /** Which kept connections this call may use: the server's, to the same upstream and rule. */
        public String poolKey() {
            return target.poolKey();
        }

        /** The upstream's address when it is written as one; null for a host name, see {@link #resolve}. */
        public InetSocketAddress literal() {
            return target.literal();
        }

        /**
         * For an {@code https} upstream, the TLS handler of a new connection: it sends the host's name
         * (SNI) and checks the certificate against it, as Http1Client does; null for {@code http}.
         */
        public io.netty.handler.ssl.SslHandler tlsHandler(io.netty.buffer.ByteBufAllocator alloc) {
            return target.tls() ? tls.eventLoop().newHandler(alloc, target.host(), target.port()) : null;
        }

        /** The upstream's host, as written. */
        public String host() {
            return target.host();
        }

        /**
         * The addresses a new connection may try, in order, as the host resolves now (so a name that
         * moved to an internal address is refused, as {@link Http1Client} refuses it). Blocks: never
         * on an event loop.
         */
        public List<InetSocketAddress> resolve() throws IOException {
            List<InetSocketAddress> addresses = new ArrayList<>(2);
            for (InetAddress a : Http1Client.resolve(target.host(), target.allowed())) {
                addresses.add(new InetSocketAddress(a, target.port()));
            }
            return addresses;
        }

        public int connectTimeoutMillis() {
            return (int) Math.min(Integer.MAX_VALUE, server.connectTimeout().toMillis());
        }

        public long headTimeoutMillis() {
            return server.timeout().toMillis();
        }

        /** The whole upstream request, head and body. */
        public byte[] request() {
            return request;
        }

        public String credentialId() {
            return credentialId;
        }

        /** The call goes ahead: the door's decision is counted and the key's use noted. */
        public void commit(String clientAddress) {
            admission.ifPresent(a -> a.commit(clientAddress));
        }

        /**
         * The head of the answer to the client, from the upstream's: its end-to-end headers, the
         * session id bound to the caller, the request id and the framing given ({@code length} -1:
         * chunked). Null when the upstream refused Gatehouse's assertion: then {@link #failure}.
         */
        public byte[] answerHead(int status, Map<String, List<String>> headers, long length, String requestId) {
            if (status == 401 || status == 407) {
                return null;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            statusLine(out, status);
            for (Map.Entry<String, List<String>> h : headers.entrySet()) {
                String name = h.getKey();
                if (Upstream.NOT_RETURNED.contains(name) || name.equals("content-length")) {
                    continue;
                }
                for (String value : h.getValue()) {
                    field(out, name, value);
                }
            }
            List<String> session = headers.get("mcp-session-id");
            if (session != null && !session.isEmpty()) {
                field(out, "Mcp-Session-Id", sessions.wrap(session.getFirst(), binding));
            }
            field(out, "X-Request-Id", requestId);
            boolean bodiless = status == 204 || status == 304; // no framing: RFC 9110 §8.6, §15.4.5
            if (!bodiless) {
                field(out, length >= 0 ? "Content-Length" : "Transfer-Encoding",
                        length >= 0 ? Long.toString(length) : "chunked");
            }
            out.writeBytes(CRLF);
            return out.toByteArray();
        }

        /** What the client is told when the exchange failed before the answer started. */
        public byte[] failure(IOException cause, String requestId) {
            ApiError error = Upstream.unreachable(server, cause);
            metrics.failed(server, error.reason().orElse("failed").replace("upstream_", ""));
            return errorAnswer(error, requestId);
        }

        /** The upstream refused Gatehouse's own credentials, as {@link McpEndpoint#checkUpstreamAccepted} says. */
        public byte[] rejected(String requestId) {
            return errorAnswer(McpEndpoint.upstreamRejected(server), requestId);
        }

        public void answered(int status, long nanos) {
            metrics.answered(server, status, nanos);
        }
    }

    /**
     * Every decision {@link McpEndpoint#post} takes, from memory: a {@link Plan}, or {@link HandOn} when
     * the call must go to it, or {@link Load} when the only thing missing is the credential's answer,
     * which {@link #load} can bring into memory (off the event loop) before the call is planned again.
     *
     * @param path          the request's path, {@code /mcp} or {@code /mcp/{slug}}, a trailing slash allowed
     * @param headers       the request's headers as received
     * @param body          the whole body
     * @param clientAddress as {@link io.gatehouse.http.RequestInfo} would say
     */
    public Decision plan(String path, List<Field> headers, byte[] body, String clientAddress, String requestId) {
        String slug = slug(path);
        Optional<Server> found = slug == null ? registry.defaultMcp() : registry.bySlug(slug);
        if (found.isEmpty() || found.get().kind() != Server.Kind.MCP) {
            return HAND_ON;
        }
        Server server = found.get();
        Target target = target(server);
        if (target == null) {
            return HAND_ON;
        }
        try {
            Optional<String> credential = Credentials.extract(values(headers, "authorization"),
                    values(headers, "x-api-key"));
            Optional<Door.Admission> admission = Optional.empty();
            if (credential.isPresent() || !server.isPublic()) {
                admission = credential.flatMap(c -> access.peek(c, server, Permissions.MCP_USE));
                if (admission.isEmpty()) {
                    return credential.isPresent() && !access.remembers(credential.get())
                            ? new Load(credential.get()) : HAND_ON;
                }
            }
            Optional<Principal> caller = admission.map(Door.Admission::principal);
            JsonRpc.Inspection rpc = JsonRpc.inspect(body);
            McpEndpoint.checkMirroredHeaders(values(headers, "mcp-method"), values(headers, "mcp-name"), rpc);
            Predicate<String> usable = McpEndpoint.usable(server, caller);
            for (JsonRpc.Message call : rpc.toolCalls()) {
                if (!usable.test(call.toolName())) {
                    return HAND_ON;
                }
            }
            if (!rpc.toolsListIds().isEmpty() && McpEndpoint.restricted(server, caller)) {
                return HAND_ON;
            }
            String binding = McpEndpoint.binding(server, caller);
            List<String> presented = values(headers, "mcp-session-id");
            Optional<String> session = Optional.empty();
            if (!presented.isEmpty()) {
                session = presented.size() == 1 ? sessions.unwrap(presented.getFirst(), binding) : Optional.empty();
                if (session.isEmpty()) {
                    return HAND_ON;
                }
            }
            Map<HeaderName, String> identity = access.identityHeaders(server, caller);
            byte[] request = request(target, headers, identity, session, body, clientAddress, requestId);
            return request == null ? HAND_ON : new Plan(server, target, request, binding, admission);
        } catch (ApiError refused) {
            return HAND_ON;
        }
    }

    /** The slug in {@code /mcp/{slug}} (a trailing slash allowed), null for {@code /mcp}. */
    private static String slug(String path) {
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return p.equals("/mcp") ? null : p.substring("/mcp/".length());
    }

    /**
     * Where the front may reach a server's upstream itself: over HTTP or HTTPS, at an address literal
     * the server may use or at a host name, resolved when a connection is made.
     */
    private Target target(Server server) {
        Target t = targets.get(server.id());
        if (t != null && t.server() == server) {
            return t.usable() ? t : null;
        }
        Target fresh = targetOf(server);
        targets.put(server.id(), fresh);
        return fresh.usable() ? fresh : null;
    }

    private Target targetOf(Server server) {
        URI u = server.upstream();
        String host = u.getHost();
        Target unusable = new Target(server, null, 0, false, null, null, null, null);
        boolean tls = "https".equalsIgnoreCase(u.getScheme());
        if (!tls && !"http".equalsIgnoreCase(u.getScheme()) || host == null || host.isEmpty()) {
            return unusable;
        }
        boolean bracketed = host.startsWith("[") && host.endsWith("]");
        String bare = bracketed ? host.substring(1, host.length() - 1) : host;
        int defaultPort = tls ? 443 : 80;
        int port = u.getPort() > 0 ? u.getPort() : defaultPort;
        Predicate<InetAddress> allowed = addresses.allowedFor(server);
        InetSocketAddress literal = null;
        if (bracketed || isDottedQuad(host)) {
            try {
                InetAddress a = InetAddress.getByName(bare); // a literal: no lookup
                if (!allowed.test(a)) {
                    return unusable; // McpEndpoint answers upstream_not_allowed
                }
                literal = new InetSocketAddress(a, port);
            } catch (java.net.UnknownHostException notALiteral) {
                return unusable;
            }
        }
        String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
        String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
        String hostHeader = host + (port != defaultPort ? ":" + port : "");
        byte[] line = ("POST " + path + query + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        String poolKey = server.id() + " " + server.orgId().orElse("-") + " " + (tls ? "https " : "http ") + bare
                + " " + port;
        return new Target(server, bare, port, tls, literal, allowed, line, poolKey);
    }

    private static boolean isDottedQuad(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if ((c < '0' || c > '9') && c != '.') {
                return false;
            }
        }
        return true;
    }

    /** As {@link Upstream#open} builds it; null when a header cannot travel (Helidon then says so). */
    private static byte[] request(Target target, List<Field> headers, Map<HeaderName, String> identity,
                                  Optional<String> session, byte[] body, String clientAddress, String requestId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512 + body.length);
        out.writeBytes(target.requestLine());
        Set<String> replaced = new HashSet<>(identity.size() * 2);
        identity.keySet().forEach(n -> replaced.add(n.lowerCase()));
        for (Field f : headers) {
            if (!Upstream.NOT_FORWARDED.contains(f.lower()) && !replaced.contains(f.lower())) {
                field(out, f.name(), f.value());
            }
        }
        field(out, "X-Forwarded-For", clientAddress);
        field(out, "X-Request-Id", requestId);
        for (Map.Entry<HeaderName, String> e : identity.entrySet()) {
            if (!travels(e.getValue())) {
                return null;
            }
            field(out, e.getKey().defaultCase(), e.getValue());
        }
        session.ifPresent(s -> field(out, "Mcp-Session-Id", s));
        field(out, "Content-Length", Integer.toString(body.length));
        out.writeBytes(CRLF);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static boolean travels(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 0xff || c == '\r' || c == '\n' || c == 0) {
                return false;
            }
        }
        return true;
    }

    private static void statusLine(ByteArrayOutputStream out, int status) {
        out.writeBytes(("HTTP/1.1 " + status + " " + Status.create(status).reasonPhrase() + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void field(ByteArrayOutputStream out, String name, String value) {
        out.writeBytes(name.getBytes(StandardCharsets.ISO_8859_1));
        out.write(':');
        out.write(' ');
        out.writeBytes(value.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(CRLF);
    }

    /** An error in the documented shape, as {@link Errors#send} writes it. */
    static byte[] errorAnswer(ApiError error, String requestId) {
        byte[] body;
        try {
            body = Json.MAPPER.writeValueAsBytes(Errors.body(error, requestId));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + body.length);
        statusLine(out, error.code().status());
        field(out, "Content-Type", "application/json");
        field(out, "Cache-Control", "no-store");
        field(out, "X-Request-Id", requestId);
        field(out, "Content-Length", Integer.toString(body.length));
        out.writeBytes(CRLF);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static List<String> values(List<Field> headers, String lower) {
        List<String> values = null;
        for (Field f : headers) {
            if (f.lower().equals(lower)) {
                if (values == null) {
                    values = new ArrayList<>(1);
                }
                values.add(f.value());
            }
        }
        return values == null ? List.of() : values;
    }

    static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
