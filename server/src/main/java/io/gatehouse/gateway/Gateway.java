package io.gatehouse.gateway;

import io.gatehouse.accounts.AccountStore;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.config.GatehouseConfig;
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
 * proxies, the keys that sign upstream assertions, and the documents that describe them.
 */
public final class Gateway implements AutoCloseable {
    private final ServerService servers;
    private final ServerRegistry registry;
    private final SigningKeys signingKeys;
    private final McpEndpoint mcp;
    private final ApiEndpoint api;
    private final ServersEndpoint serversEndpoint;
    private final Origins origins;
    private final PublicUrl publicUrl;
    private final Upstream upstream;
    private final FastMcp fastMcp;

    public Gateway(GatehouseConfig config, Database db, Invalidations invalidations, AccountStore accounts,
                   AuditLog audit, Guard guard, Sealer sealer, PublicUrl publicUrl, Clock clock, MeterRegistry metrics) {
        this.publicUrl = publicUrl;
        UpstreamAddresses addresses = new UpstreamAddresses(config.gateway().privateUpstreams(),
                config.gateway().privateUpstreamRanges());
        this.servers = new ServerService(db, invalidations, accounts, audit, sealer, addresses, clock);
        this.registry = servers.registry();
        this.signingKeys = SigningKeys.open(db, sealer, clock);
        UpstreamAssertions assertions = new UpstreamAssertions(signingKeys, publicUrl,
                config.gateway().assertionTtl(), clock);
        GatewayAccess access = new GatewayAccess(guard, assertions, sealer);
        this.origins = new Origins(publicUrl, config.gateway().allowedOrigins());
        GatewayMetrics gatewayMetrics = new GatewayMetrics(metrics);
        UpstreamTls tls = UpstreamTls.of(config.gateway().upstreamCaFile());
        this.upstream = new Upstream(gatewayMetrics, addresses, tls);
        McpSessions sessions = new McpSessions(sealer.derive("gatehouse mcp session v1"));
        this.mcp = new McpEndpoint(registry, access, origins, sessions, upstream, gatewayMetrics,
                config.http().maxBodyBytes());
        this.fastMcp = new FastMcp(registry, access, sessions, addresses, tls, gatewayMetrics);
        this.api = new ApiEndpoint(registry, access, origins, upstream, db, clock);
        this.serversEndpoint = new ServersEndpoint(servers, guard, publicUrl);
    }

    /** The MCP calls the event-loop front may serve itself. */
    public FastMcp fastMcp() {
        return fastMcp;
    }

    /** Closes the upstream connections kept for reuse. */
    @Override
    public void close() {
        upstream.close();
    }

    /** A registered server's other name: its slug for its id, its id for its slug. */
    public Optional<String> serverAlias(String idOrSlug) {
        return registry.byId(idOrSlug).map(Server::slug).or(() -> registry.bySlug(idOrSlug).map(Server::id));
    }

    /** {@code /mcp} and {@code /api}: what clients call, through to the upstreams. */
    public void registerDataPlane(Routes routes) {
        mcp.register(routes);
        api.register(routes);
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
        Server s = server.orElseThrow(() -> io.gatehouse.http.ApiError.notFound("MCP server"));
        Map<String, Object> metadata = new LinkedHashMap<>();
        // MCP 2025-11-25 Authorization: the resource is the URL the client connects to, path included.
        metadata.put("resource", publicUrl + path);
        metadata.put("bearer_methods_supported", List.of("header"));
        metadata.put("resource_name", s.name());
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        Json.ok(res, metadata);
    }

    public ServerService servers() {
        return servers;
    }

    public ServerRegistry registry() {
        return registry;
    }
}
