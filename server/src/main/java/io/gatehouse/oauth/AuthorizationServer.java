package io.gatehouse.oauth;

import io.gatehouse.accounts.AccountStore;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.Door;
import io.gatehouse.edge.Fetch;
import io.gatehouse.errors.ApiError;
import io.gatehouse.gateway.Gateway;
import io.gatehouse.http.Cors;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.gatehouse.keys.KeyHasher;
import io.gatehouse.signin.Sessions;
import io.gatehouse.store.Database;
import io.gatehouse.store.Invalidations;
import io.gatehouse.web.Browser;
import io.gatehouse.web.Pages;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Gatehouse as an OAuth 2.1 authorization server for MCP clients (MCP authorization, revision
 * 2026-07-28, serving clients of 2025-06-18 and 2025-11-25 too), wired: discovery (RFC 8414 and
 * OpenID discovery, the same document), registration, authorization with sign-in and consent,
 * tokens, revocation, introspection, and people's connected apps. Access tokens pass the same door
 * as keys ({@link TokenVerifier}).
 */
public final class AuthorizationServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AuthorizationServer.class.getName());
    private final Clients clients;
    private final Tokens tokens;
    private final TokenVerifier verifier;
    private final AuthorizeEndpoint authorize;
    private final TokenEndpoint token;
    private final PublicUrl publicUrl;
    private final GatehouseConfig.OAuth config;
    private final Guard guard;
    private final Sessions sessions;
    private final ScheduledExecutorService sweeper;
    private final ClientsEndpoint clientsEndpoint;

    public AuthorizationServer(GatehouseConfig config, Database db, Invalidations invalidations, AccountStore accounts,
                               AuditLog audit, KeyHasher hasher, TokenVerifier verifier, Sessions sessions, Browser browser,
                               Pages pages, Gateway gateway, Door door, Guard guard, PublicUrl publicUrl, Clock clock) {
        this.config = config.oauth();
        this.publicUrl = publicUrl;
        this.guard = guard;
        this.sessions = sessions;
        for (String scope : config.oauth().defaultScopes()) {
            if (!Scopes.SUPPORTED.containsKey(scope)) {
                throw new io.gatehouse.config.ConfigException("oauth.default-scopes: Gatehouse grants "
                        + String.join(", ", Scopes.SUPPORTED.keySet()) + ", not " + scope);
            }
        }
        this.clients = new Clients(db, config.oauth(), clock);
        this.tokens = new Tokens(db, hasher, invalidations, audit, config.oauth(), clock);
        this.verifier = verifier;
        Resources resources = new Resources(publicUrl, gateway.registry());
        this.authorize = new AuthorizeEndpoint(clients, tokens, resources, sessions, browser, pages, db, invalidations,
                accounts,
                publicUrl, config.oauth());
        this.token = new TokenEndpoint(clients, tokens, verifier, door, hasher, publicUrl, config.http().maxBodyBytes());
        this.clientsEndpoint = new ClientsEndpoint(clients, tokens, guard, db, invalidations, audit, hasher);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r ->
                Thread.ofPlatform().daemon().name("gatehouse-oauth-sweep").unstarted(r));
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 60, TimeUnit.MINUTES);
    }

    /** The door's resolver for access tokens. */
    public TokenVerifier verifier() {
        return verifier;
    }

    public Tokens tokens() {
        return tokens;
    }

    public Clients clients() {
        return clients;
    }

    /** Metadata documents are read through the edge, which starts after the control plane. */
    public void useFetch(Fetch fetch, Gateway gateway) {
        clients.useFetcher(fetch, gateway::documentTarget);
    }

    public void register(Routes routes) {
        authorize.register(routes);
        token.register(routes);
        for (String path : List.of("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")) {
            routes.operational(Method.GET, path, (req, res) -> {
                res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
                res.header(HeaderNames.CACHE_CONTROL, "public, max-age=300");
                res.header(io.helidon.http.HeaderValues.CONTENT_TYPE_JSON);
                res.send(Json.bytes(metadata()));
            });
            routes.operational(Method.OPTIONS, path, Cors::publicPreflight);
        }
        routes.operational(Method.POST, "/oauth/register", this::registerClient);
        routes.operational(Method.OPTIONS, "/oauth/register", TokenEndpoint::preflight);
        new ConnectedAppsEndpoint(tokens, guard).register(routes);
        clientsEndpoint.register(routes);
    }

    /** RFC 8414 §2: one document, served at both well-known names. */
    Map<String, Object> metadata() {
        String base = publicUrl.get().toString();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("issuer", base);
        m.put("authorization_endpoint", base + "/oauth/authorize");
        m.put("token_endpoint", base + "/oauth/token");
        if (config.registration()) {
            m.put("registration_endpoint", base + "/oauth/register");
        }
        m.put("revocation_endpoint", base + "/oauth/revoke");
        m.put("introspection_endpoint", base + "/oauth/introspect");
        m.put("scopes_supported", List.copyOf(Scopes.SUPPORTED.keySet()));
        m.put("response_types_supported", List.of("code"));
        m.put("response_modes_supported", List.of("query"));
        m.put("grant_types_supported", List.of("authorization_code", "refresh_token"));
        m.put("token_endpoint_auth_methods_supported", List.of("none", "client_secret_basic", "client_secret_post"));
        m.put("revocation_endpoint_auth_methods_supported", List.of("none", "client_secret_basic", "client_secret_post"));
        m.put("introspection_endpoint_auth_methods_supported", List.of("client_secret_basic", "client_secret_post",
                "bearer"));
        m.put("code_challenge_methods_supported", List.of("S256"));
        m.put("authorization_response_iss_parameter_supported", true);
        m.put("client_id_metadata_document_supported", config.metadataDocuments());
        m.put("prompt_values_supported", List.of("none", "login", "consent"));
        m.put("service_documentation", base + "/v1/openapi.json");
        return m;
    }

    private void registerClient(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        res.header(HeaderNames.PRAGMA, "no-cache");
        try {
            if (!config.registration()) {
                throw new OAuthError(403, "access_denied", "Open registration is turned off on this server");
            }
            String type = req.headers().contentType().map(t -> t.mediaType().text()).orElse("");
            if (!type.equalsIgnoreCase("application/json")) {
                throw new OAuthError(400, "invalid_client_metadata", "Send the registration as application/json");
            }
            byte[] body;
            try {
                body = Json.bytes(req, 64 * 1024);
            } catch (ApiError e) {
                throw new OAuthError(400, "invalid_client_metadata", e.publicMessage());
            }
            Clients.Registered registered = clients.register(body, RequestInfo.of(req).clientAddress());
            Json.send(res, registered.existing() ? Status.OK_200 : Status.CREATED_201,
                    Clients.registrationAnswer(registered));
        } catch (OAuthError e) {
            if (e.retryAfterSeconds() > 0) {
                res.header(HeaderNames.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
            }
            Json.send(res, Status.create(e.status()), e.body());
        }
    }

    private void sweep() {
        try {
            int clientsGone = clients.sweep();
            int tokensGone = tokens.sweep();
            int sessionsGone = sessions.sweep();
            if (clientsGone + tokensGone + sessionsGone > 0) {
                LOG.info("swept " + clientsGone + " unused client registrations, " + tokensGone
                        + " ended tokens and codes, " + sessionsGone + " ended sessions");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not sweep OAuth data; will retry: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        tokens.close();
    }
}
