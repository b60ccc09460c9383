package io.gatehouse.gateway;

import io.gatehouse.edge.Call;
import io.gatehouse.edge.Upstreams;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the MCP and HTTP API proxies share on the way to an upstream and back: each server's
 * {@link Upstreams.Target} (kept until the server changes), the fields that travel each way, and
 * what a failed upstream is called in the documented shape.
 */
final class Passage {
    /** RFC 9110 §7.6.1 hop-by-hop fields, and what Gatehouse sets itself or must never pass on. */
    static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate", "host",
            "content-length", "authorization", "x-api-key", "cookie", "origin", "accept-encoding", "forwarded",
            "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "mcp-session-id", "expect", "http2-settings",
            "x-request-id", // Gatehouse sends its own, which names the client's when it was valid
            "x-gatehouse-edge", "x-gatehouse-client", "x-gatehouse-credential"); // the edge's own, never a client's
    static final Set<String> NOT_RETURNED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "mcp-session-id", "www-authenticate",
            "set-cookie", "access-control-allow-origin", "access-control-allow-credentials",
            "access-control-expose-headers", "access-control-allow-methods", "access-control-allow-headers",
            "content-length", // the edge frames the answer
            "x-request-id", // the client gets Gatehouse's, the one its logs and error bodies name
            "server", "x-powered-by"); // what software runs behind Gatehouse, and which version, is not the client's

    /** The sets above, as header collections: looked up by name without allocating, case aside. */
    private static final HttpHeaders NOT_FORWARDED_FIELDS = fields(NOT_FORWARDED);
    private static final HttpHeaders NOT_RETURNED_FIELDS = fields(NOT_RETURNED);
    /** Fields copied from messages Netty's decoders validated already: not validated again. */
    private static final DefaultHttpHeadersFactory COPIES = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private static HttpHeaders fields(Set<String> names) {
        HttpHeaders h = new DefaultHttpHeaders();
        names.forEach(n -> h.add(n, ""));
        return h;
    }

    private record Kept(Server server, Upstreams.Target target, String basePath) {
    }

    private final UpstreamAddresses addresses;
    private final UpstreamTls tls;
    private final GatewayMetrics metrics;
    private final Map<String, Kept> targets = new ConcurrentHashMap<>();

    Passage(UpstreamAddresses addresses, UpstreamTls tls, GatewayMetrics metrics) {
        this.addresses = addresses;
        this.tls = tls;
        this.metrics = metrics;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    Upstreams.Target target(Server server) {
        return kept(server).target();
    }

    /** The request target upstream: the server's own path, then {@code rest} (raw), then the query. */
    String uri(Server server, String rest, String query) {
        String base = kept(server).basePath();
        String path = rest.isEmpty() ? base : (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + rest;
        String upstreamQuery = server.upstream().getRawQuery();
        String q = upstreamQuery == null ? query : query.isEmpty() ? upstreamQuery : upstreamQuery + "&" + query;
        String uri = path.isEmpty() ? "/" : path;
        return q.isEmpty() ? uri : uri + "?" + q;
    }

    private Kept kept(Server server) {
        Kept k = targets.get(server.id());
        if (k != null && k.server() == server) {
            return k;
        }
        Kept fresh = targetOf(server);
        targets.put(server.id(), fresh);
        return fresh;
    }

    private Kept targetOf(Server server) {
        URI u = server.upstream();
        String host = u.getHost();
        boolean https = "https".equalsIgnoreCase(u.getScheme());
        if (!https && !"http".equalsIgnoreCase(u.getScheme()) || host == null || host.isEmpty()) {
            throw ApiError.of(ErrorCode.BAD_GATEWAY, "upstream_unreachable",
                    "The upstream server '" + server.slug() + "' has no usable URL");
        }
        boolean bracketed = host.startsWith("[") && host.endsWith("]");
        String bare = bracketed ? host.substring(1, host.length() - 1) : host;
        int defaultPort = https ? 443 : 80;
        int port = u.getPort() > 0 ? u.getPort() : defaultPort;
        InetSocketAddress literal = null;
        if (bracketed || isDottedQuad(host)) {
            try {
                literal = new InetSocketAddress(InetAddress.getByName(bare), port); // a literal: no lookup
            } catch (UnknownHostException notALiteral) {
                throw ApiError.of(ErrorCode.BAD_GATEWAY, "upstream_unreachable",
                        "The upstream server '" + server.slug() + "' has no usable address");
            }
        }
        String key = server.id() + " " + server.orgId().orElse("-") + " " + (https ? "https " : "http ") + bare
                + " " + port + " " + server.connectTimeout().toMillis();
        Upstreams.Target target = new Upstreams.Target(key, bare, port, literal, addresses.allowedFor(server),
                https ? tls.eventLoop() : null, server.connectTimeout(),
                host + (port != defaultPort ? ":" + port : ""));
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        return new Kept(server, target, path);
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

    /** The fields sent upstream: the client's end-to-end ones, then who is asking (identity), the client and the request id. */
    static HttpHeaders requestHeaders(Call call, Map<String, CharSequence> identity) {
        HttpHeaders in = call.headers();
        HttpHeaders out = COPIES.newHeaders();
        Set<String> options = connectionOptions(in);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            CharSequence name = field.getKey();
            if (!NOT_FORWARDED_FIELDS.contains(name) && !named(identity, name) && !named(options, name)) {
                out.add(name, field.getValue());
            }
        }
        out.add("X-Forwarded-For", call.clientAddress());
        out.add("X-Request-Id", call.requestId());
        identity.forEach(out::add);
        return out;
    }

    /** The upstream's end-to-end fields the client may see. */
    static HttpHeaders answerHeaders(HttpResponse upstream) {
        HttpHeaders out = COPIES.newHeaders();
        Set<String> options = connectionOptions(upstream.headers());
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = upstream.headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            if (!NOT_RETURNED_FIELDS.contains(field.getKey()) && !named(options, field.getKey())) {
                out.add(field.getKey(), field.getValue());
            }
        }
        return out;
    }

    /** Whether {@code name} is one of {@code names} (their keys), case aside. */
    private static boolean named(Map<String, CharSequence> names, CharSequence name) {
        for (String n : names.keySet()) {
            if (AsciiString.contentEqualsIgnoreCase(n, name)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code name} is one of the {@code Connection} options (lower-case): one look-up, however many a head names. */
    private static boolean named(Set<String> options, CharSequence name) {
        return !options.isEmpty() && options.contains(name.toString().toLowerCase(java.util.Locale.ROOT));
    }

    private static Set<String> connectionOptions(HttpHeaders headers) {
        return io.gatehouse.edge.ControlPlane.connectionOptions(headers);
    }

    /**
     * The upstream refused Gatehouse's own assertion: a configuration problem between the two, not
     * the client's; passing its 401 on would send the client to sign in to the wrong server.
     */
    static void checkAccepted(Server server, HttpResponse answer) {
        int code = answer.status().code();
        if (code == 401 || code == 407) {
            throw ApiError.of(ErrorCode.BAD_GATEWAY, "upstream_rejected_gatehouse",
                    "The upstream server '" + server.slug() + "' refused Gatehouse's credentials");
        }
    }

    /** What the client is told when the upstream gave no answer, counted by outcome. */
    ApiError failed(Server server, IOException e, boolean timedOut) {
        ApiError error;
        if (e instanceof Upstreams.AddressNotAllowed) {
            error = ApiError.of(ErrorCode.BAD_GATEWAY, "upstream_not_allowed", "The upstream server '" + server.slug()
                    + "' resolves to an internal address, which only instance-wide servers may have");
        } else if (timedOut) {
            error = ApiError.of(ErrorCode.GATEWAY_TIMEOUT, "upstream_timeout",
                    "The upstream server '" + server.slug() + "' did not answer in time");
        } else {
            boolean connect = e instanceof Upstreams.ConnectFailed;
            error = ApiError.of(ErrorCode.BAD_GATEWAY, connect ? "upstream_unreachable" : "upstream_failed",
                    "The upstream server '" + server.slug() + (connect ? "' could not be reached" : "' failed"));
        }
        metrics.failed(server, error.reason().orElse("failed").replace("upstream_", ""));
        return error.withDetail(e.toString());
    }
}
