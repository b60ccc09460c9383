package io.gatehouse.gateway;

import io.gatehouse.accounts.AccountStore;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.edge.Call;
import io.gatehouse.edge.Edge;
import io.netty.handler.codec.http.HttpMethod;
import io.gatehouse.keys.LoopDoor;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Cors;
import io.gatehouse.http.Json;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.http.Routes;
import io.gatehouse.store.Database;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Sealer;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway capability, wired: the server registry and its management API, the MCP and HTTP API
 * proxies (the edge's data plane), the keys that sign upstream assertions, and the documents that
 * describe them.
 */
public final class Gateway implements Edge.DataPlane {
    private final ServerService servers;
    private final ServerRegistry registry;
    private final SigningKeys signingKeys;
    private final McpRoute mcp;
    private final ApiRoute api;
    private final ServersEndpoint serversEndpoint;
    private final PublicUrl publicUrl;
    private final UpstreamTls tls;

    public Gateway(GatehouseConfig config, Database db, Invalidations invalidations, AccountStore accounts,
                   AuditLog audit, Guard guard, Sealer sealer, PublicUrl publicUrl, Clock clock, MeterRegistry metrics,
                   io.gatehouse.billing.Billing billing) {
        this.publicUrl = publicUrl;
        UpstreamAddresses addresses = new UpstreamAddresses(config.gateway().privateUpstreams(),
                config.gateway().privateUpstreamRanges());
        this.servers = new ServerService(db, invalidations, accounts, audit, sealer, addresses, clock);
        this.registry = servers.registry();
        this.signingKeys = SigningKeys.open(db, sealer, clock);
        UpstreamAssertions assertions = new UpstreamAssertions(signingKeys, publicUrl,
                config.gateway().assertionTtl(), clock);
        GatewayAccess access = new GatewayAccess(new LoopDoor(guard.door()), assertions, sealer);
        Origins origins = new Origins(publicUrl, config.gateway().allowedOrigins());
        this.tls = UpstreamTls.of(config.gateway().upstreamCaFile());
        Passage passage = new Passage(addresses, tls,
                new GatewayMetrics(metrics));
        McpSessions sessions = new McpSessions(sealer.derive("gatehouse mcp session v1"));
        Metering metering = new Metering(billing, config.credits().refund(), clock);
        this.mcp = new McpRoute(registry, access, origins, sessions, passage, metering, config.http().maxBodyBytes());
        this.api = new ApiRoute(registry, access, origins, passage, metering, db, clock);
        this.serversEndpoint = new ServersEndpoint(servers, guard, publicUrl);
    }

    /**
     * The data plane, on the edge's event loop: {@code /mcp}, {@code /mcp/{server}} (a trailing slash
     * allowed: a URL pasted with one reaches the same server), {@code /api/…} and mounted APIs.
     */
    @Override
    public boolean claims(HttpMethod method, String path) {
        return path.equals("/mcp") || path.equals("/mcp/") || mcpSlug(path) != null || api.claims(path);
    }

    @Override
    public void serve(Call call) {
        String path = call.path();
        if (path.equals("/mcp") || path.equals("/mcp/")) {
            mcp.serve(call, null);
        } else if (path.startsWith("/mcp/")) {
            mcp.serve(call, mcpSlug(path));
        } else {
            api.serve(call);
        }
    }

    /** The slug in {@code /mcp/{slug}} (a trailing slash allowed); null for any other path. */
    private static String mcpSlug(String path) {
        if (!path.startsWith("/mcp/")) {
            return null;
        }
        String slug = path.substring("/mcp/".length(), path.length() - (path.endsWith("/") ? 1 : 0));
        return slug.isEmpty() || slug.indexOf('/') >= 0 ? null : slug;
    }

    /** A registered server's other name: its slug for its id, its id for its slug. */
    public Optional<String> serverAlias(String idOrSlug) {
        return registry.byId(idOrSlug).map(Server::slug).or(() -> registry.bySlug(idOrSlug).map(Server::id));
    }

    /** The servers API, the signing keys and the discovery documents. */
    public void registerManagement(Routes routes) {
        serversEndpoint.register(routes);
        // RFC 7517 §5: the public keys upstreams verify Gatehouse's assertions with.
        routes.operational(Method.GET, "/oauth/jwks", (req, res) -> {
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
            res.header(HeaderNames.CACHE_CONTROL, "public, max-age=300");
            res.send(Json.MAPPER.writeValueAsBytes(signingKeys.jwks()));
        });
        // RFC 9728 §3.1: the metadata of a resource with a path lives at the well-known URI + that path.
        // The resource is named as the client was given it, with a trailing slash if it had one.
        for (String slash : new String[]{"", "/"}) {
            routes.operational(Method.GET, "/.well-known/oauth-protected-resource/mcp" + slash,
                    (req, res) -> resourceMetadata(res, registry.defaultMcp(), "/mcp" + slash));
            routes.operational(Method.GET, "/.well-known/oauth-protected-resource/mcp/{server}" + slash, (req, res) -> {
                String slug = req.path().pathParameters().get("server");
                resourceMetadata(res, registry.bySlug(slug).filter(s -> s.kind() == Server.Kind.MCP),
                        "/mcp/" + slug + slash);
            });
        }
        for (String path : new String[]{"/.well-known/oauth-protected-resource/mcp",
                "/.well-known/oauth-protected-resource/mcp/{server}", "/.well-known/oauth-protected-resource/mcp/",
                "/.well-known/oauth-protected-resource/mcp/{server}/"}) {
            routes.operational(Method.OPTIONS, path, Cors::publicPreflight);
        }
    }

    private void resourceMetadata(io.helidon.webserver.http.ServerResponse res, Optional<Server> server, String path) {
        Server s = server.orElseThrow(() -> io.gatehouse.errors.ApiError.notFound("MCP server"));
        Map<String, Object> metadata = new LinkedHashMap<>();
        // MCP 2025-11-25 Authorization: the resource is the URL the client connects to, path included.
        metadata.put("resource", publicUrl + path);
        metadata.put("authorization_servers", List.of(publicUrl.toString()));
        // What an MCP client needs; never offline_access (MCP 2026-07-28, Refresh Tokens).
        metadata.put("scopes_supported", List.of(io.gatehouse.door.Permissions.MCP_USE));
        metadata.put("bearer_methods_supported", List.of("header"));
        metadata.put("resource_name", s.name());
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        Json.ok(res, metadata);
    }

    /**
     * Where to read a document Gatehouse fetches on a client's word (an OAuth client metadata
     * document): https with the upstream CA file trusted, and only public addresses unless
     * {@code internal} (loopback, private and link-local ones are the SSRF targets).
     */
    public io.gatehouse.edge.Upstreams.Target documentTarget(java.net.URI url, boolean internal) {
        String host = url.getHost();
        boolean bracketed = host.startsWith("[") && host.endsWith("]");
        String bare = bracketed ? host.substring(1, host.length() - 1) : host;
        int port = url.getPort() > 0 ? url.getPort() : 443;
        java.net.InetSocketAddress literal = null;
        if (bracketed || bare.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
            try {
                literal = new java.net.InetSocketAddress(java.net.InetAddress.getByName(bare), port);
            } catch (java.net.UnknownHostException notALiteral) {
                throw new IllegalArgumentException("not an address: " + host);
            }
        }
        java.util.function.Predicate<java.net.InetAddress> allowed = internal ? a -> true
                : a -> !UpstreamAddresses.isInternal(a);
        return new io.gatehouse.edge.Upstreams.Target("document " + bare + " " + port, bare, port, literal, allowed,
                tls.eventLoop(), java.time.Duration.ofSeconds(5), host + (port != 443 ? ":" + port : ""));
    }

    public ServerService servers() {
        return servers;
    }

    public ServerRegistry registry() {
        return registry;
    }
}
