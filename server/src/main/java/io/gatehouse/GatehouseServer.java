package io.gatehouse;

import io.gatehouse.accounts.AccountService;
import io.gatehouse.accounts.AccountStore;
import io.gatehouse.accounts.AccountsEndpoint;
import io.gatehouse.accounts.InvitationService;
import io.gatehouse.accounts.InvitationsEndpoint;
import io.gatehouse.audit.AuditEndpoint;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.CredentialResolver;
import io.gatehouse.door.Door;
import io.gatehouse.edge.Edge;
import io.gatehouse.edge.Renderer;
import io.gatehouse.edge.Upstreams;
import io.gatehouse.gateway.Gateway;
import io.gatehouse.http.DiscoveryEndpoint;
import io.gatehouse.http.Errors;
import io.gatehouse.http.Guard;
import io.gatehouse.http.HttpServer;
import io.gatehouse.http.OpsEndpoint;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.http.Routes;
import io.gatehouse.keys.DoorRoutes;
import io.gatehouse.keys.KeyFormat;
import io.gatehouse.keys.KeyHasher;
import io.gatehouse.keys.KeyService;
import io.gatehouse.keys.KeyStore;
import io.gatehouse.keys.KeyVerifier;
import io.gatehouse.keys.LoopDoor;
import io.gatehouse.keys.KeysEndpoint;
import io.gatehouse.keys.UsageRecorder;
import io.gatehouse.billing.Billing;
import io.gatehouse.billing.BillingEndpoint;
import io.gatehouse.oauth.AuthorizationServer;
import io.gatehouse.oauth.TokenVerifier;
import io.gatehouse.signin.Sessions;
import io.gatehouse.signin.FederatedSignIn;
import io.gatehouse.signin.InvitationPage;
import io.gatehouse.signin.SignInEndpoint;
import io.gatehouse.web.Browser;
import io.gatehouse.web.Pages;
import io.gatehouse.store.Database;
import io.gatehouse.store.Ids;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Sealer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * One running Gatehouse node: every part built here by hand, in dependency order, and closed in
 * the reverse order (the listener first, then usage flushed, then the database).
 */
public final class GatehouseServer implements AutoCloseable {
    /** How long requests in flight at shutdown run on before upstream streams are closed under them. */
    private static final java.time.Duration STREAMS_GRACE = java.time.Duration.ofSeconds(1);
    private final GatehouseConfig config;
    private final Database db;
    private final Invalidations invalidations;
    private final UsageRecorder usage;
    private final HttpServer http;
    private final Edge edge;
    private final Services services;
    private final URI publicUrl;
    private final AuthorizationServer oauth;
    private final Billing billing;

    /** The parts other code (bootstrap, tests, the CLI) may use directly. */
    public record Services(Database db, Invalidations invalidations, AccountStore accountStore,
                           AccountService accounts, KeyService keys, KeyVerifier verifier, Door door, Routes routes,
                           GatehouseConfig.Plans plans, Gateway gateway, AuthorizationServer oauth, Sessions sessions,
                           Billing billing) {
    }

    private GatehouseServer(GatehouseConfig config, Database db, Invalidations invalidations, UsageRecorder usage,
                            HttpServer http, Edge edge, Services services, URI publicUrl, AuthorizationServer oauth,
                            Billing billing) {
        this.oauth = oauth;
        this.billing = billing;
        this.config = config;
        this.db = db;
        this.invalidations = invalidations;
        this.usage = usage;
        this.http = http;
        this.edge = edge;
        this.services = services;
        this.publicUrl = publicUrl;
    }

    /**
     * Starts a node.
     *
     * @param extraResolver a credential kind to accept besides keys (the CLI's one-process credential)
     */
    public static GatehouseServer start(GatehouseConfig config, Optional<CredentialResolver> extraResolver) {
        Clock clock = Clock.systemUTC();
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);

        Database db = Database.open(config.database());
        // What was started before a later step fails (a port in use, say) is stopped, newest first.
        Deque<AutoCloseable> started = new ArrayDeque<>();
        started.push(db);
        try {
            Invalidations invalidations = new Invalidations(db, clock);
            started.push(invalidations);
            AccountStore accountStore = new AccountStore();
            AuditLog audit = new AuditLog(clock);
            AccountService accounts = new AccountService(db, invalidations, accountStore, audit, config.plans(), clock);

            Sealer sealer = Sealer.open(config.secretKey(), config.dataDir());
            KeyFormat format = new KeyFormat(config.keys().prefix());
            KeyHasher hasher = new KeyHasher(config.keys().hashSecret());
            KeyStore keyStore = new KeyStore();
            UsageRecorder usage = new UsageRecorder(db, keyStore, config.keys().usageFlushInterval());
            started.push(usage);
            KeyVerifier verifier = new KeyVerifier(format, hasher, keyStore, db, usage, config.keys(), metrics);
            invalidations.subscribe(verifier::invalidate);
            KeyService keys = new KeyService(db, invalidations, keyStore, accountStore, audit, format, hasher,
                    config.keys().maxRollGrace(), config.plans(), clock);

            TokenVerifier tokenVerifier = new TokenVerifier(hasher, db, usage, config.keys(), metrics);
            invalidations.subscribe(tokenVerifier::invalidate);
            List<CredentialResolver> resolvers = new ArrayList<>();
            extraResolver.ifPresent(resolvers::add);
            resolvers.add(verifier);
            resolvers.add(tokenVerifier);
            Door door = new Door(resolvers, config.plans(), clock, metrics);
            Guard guard = new Guard(door, config.http().maxBodyBytes());

            PublicUrl publicUrl = new PublicUrl();
            Routes routes = new Routes();
            Billing billing = new Billing(config, db, invalidations, audit, clock);
            started.push(billing);
            new BillingEndpoint(billing, guard, config.credits(), clock).register(routes);
            Gateway gateway = new Gateway(config, db, invalidations, accountStore, audit, guard, sealer, publicUrl, clock,
                    metrics, billing);
            new OpsEndpoint(db, metrics).register(routes);
            new DiscoveryEndpoint(publicUrl).register(routes);
            InvitationService invitations = new InvitationService(db, invalidations, accountStore, accounts, audit,
                    (tx, actor, invitation, user) -> KeysEndpoint.shownOnce(keys.firstKey(tx, actor, invitation.orgId(),
                            user, invitation.role(), invitation.createdByKey())), clock);
            new AccountsEndpoint(accounts, invitations, guard).register(routes);
            new InvitationsEndpoint(invitations, guard, clock).register(routes);
            new KeysEndpoint(keys, guard, clock, name -> name.flatMap(gateway::serverAlias)).register(routes);
            new AuditEndpoint(audit, db, guard).register(routes);
            gateway.registerManagement(routes);
            // People: sign-in pages, and the authorization server MCP clients send them to.
            Pages pages = new Pages(publicUrl);
            Browser browser = new Browser(sealer.derive("gatehouse csrf v1"), publicUrl);
            Sessions sessions = new Sessions(db, browser, audit, config.signIn().sessionTtl(), clock);
            FederatedSignIn federated = new FederatedSignIn(config.signIn(), accounts, sessions, browser, pages, sealer,
                    publicUrl, clock);
            new SignInEndpoint(db, sessions, browser, pages, config.signIn(), federated).register(routes);
            new InvitationPage(invitations, sessions, browser, pages).register(routes);
            AuthorizationServer oauth = new AuthorizationServer(config, db, invalidations, accountStore, audit, hasher,
                    tokenVerifier, sessions, browser, pages, gateway, door, guard, publicUrl, clock);
            started.push(oauth);
            oauth.register(routes);
            // The control plane first, on a loopback port only this process's edge may use (its secret
            // is made here and never leaves the process); then the edge, on the public port.
            String edgeSecret = Ids.random(32);
            HttpServer http = HttpServer.start(config.http(), routes, new Errors(publicUrl), edgeSecret);
            started.push(http);
            GatehouseConfig.Http h = config.http();
            Edge edge = Edge.start(new Edge.Limits(h.host(), h.port(), h.maxBodyBytes(), h.maxHeaderBytes(),
                            h.headTimeout().toMillis(), h.bodyTimeout().toMillis(), h.idleTimeout().toMillis(),
                            Math.min(h.idleTimeout().toMillis(), h.firstRequestTimeout().toMillis()),
                            h.maxConnections(), h.maxConnectionsPerAddress(), h.trustForwardedFor(),
                            h.tlsCertFile(), h.tlsKeyFile(), h.proxyProtocol()),
                    new Upstreams.Limits(config.gateway().upstreamMaxIdle(), config.gateway().upstreamIdleTimeout()),
                    List.of(gateway, new DoorRoutes(new LoopDoor(door), h.maxBodyBytes(),
                            name -> name.flatMap(gateway::serverAlias))),
                    http.port(), edgeSecret, new Renderer(publicUrl), metrics);
            publicUrl.set(config.publicUrl(edge.port()));
            oauth.useFetch(edge.fetch(), gateway);

            Services services = new Services(db, invalidations, accountStore, accounts, keys, verifier, door, routes,
                    config.plans(), gateway, oauth, sessions, billing);
            return new GatehouseServer(config, db, invalidations, usage, http, edge, services, publicUrl.get(), oauth,
                    billing);
        } catch (RuntimeException | Error e) {
            while (!started.isEmpty()) {
                try {
                    started.pop().close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    public int port() {
        return edge.port();
    }

    /** The control plane's loopback port: only this process's edge may use it (see {@link HttpServer}). */
    public int controlPlanePort() {
        return http.port();
    }

    public URI publicUrl() {
        return publicUrl;
    }

    public Services services() {
        return services;
    }

    public GatehouseConfig config() {
        return config;
    }

    /** Stops taking requests, ends those in flight, writes pending usage, closes the database. */
    @Override
    public void close() {
        // The edge stops taking connections at once, and the control plane waits for the requests it
        // is serving (up to its grace period). An answer streaming from an upstream (a GET event
        // stream) never ends by itself: a moment after the stop begins, the upstream connections
        // close, which ends those streams, while ordinary calls have had time to finish.
        edge.stopListening();
        edge.awaitCalls(STREAMS_GRACE);
        edge.closeUpstreams();
        http.close();
        edge.close();
        oauth.close();
        billing.close(); // every charge written, every lease given back, usage counted
        usage.close();
        invalidations.close();
        db.close();
    }
}
