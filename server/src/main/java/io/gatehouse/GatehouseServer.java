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
import io.gatehouse.gateway.Gateway;
import io.gatehouse.http.DiscoveryEndpoint;
import io.gatehouse.http.Errors;
import io.gatehouse.http.Guard;
import io.gatehouse.http.HttpServer;
import io.gatehouse.http.OpsEndpoint;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.http.Routes;
import io.gatehouse.keys.KeyFormat;
import io.gatehouse.keys.KeyHasher;
import io.gatehouse.keys.KeyService;
import io.gatehouse.keys.KeyStore;
import io.gatehouse.keys.KeyVerifier;
import io.gatehouse.keys.KeysEndpoint;
import io.gatehouse.keys.UsageRecorder;
import io.gatehouse.store.Database;
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
    private final Services services;
    private final URI publicUrl;

    /** The parts other code (bootstrap, tests, the CLI) may use directly. */
    public record Services(Database db, Invalidations invalidations, AccountStore accountStore,
                           AccountService accounts, KeyService keys, KeyVerifier verifier, Door door, Routes routes,
                           GatehouseConfig.Plans plans, Gateway gateway) {
    }

    private GatehouseServer(GatehouseConfig config, Database db, Invalidations invalidations, UsageRecorder usage,
                            HttpServer http, Services services, URI publicUrl) {
        this.config = config;
        this.db = db;
        this.invalidations = invalidations;
        this.usage = usage;
        this.http = http;
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
                    config.keys().maxRollGrace(), clock);

            List<CredentialResolver> resolvers = new ArrayList<>();
            extraResolver.ifPresent(resolvers::add);
            resolvers.add(verifier);
            Door door = new Door(resolvers, config.plans(), clock, metrics);
            Guard guard = new Guard(door, config.http().maxBodyBytes());

            PublicUrl publicUrl = new PublicUrl();
            Routes routes = new Routes();
            Gateway gateway = new Gateway(config, db, invalidations, accountStore, audit, guard, sealer, publicUrl, clock,
                    metrics);
            started.push(gateway);
            // Routes are tried in order: the proxied traffic first, so that it is not matched against every
            // management route before its own.
            gateway.registerDataPlane(routes);
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
            HttpServer http = HttpServer.start(config.http(), routes, new Errors(publicUrl), gateway.fastMcp(),
                    metrics);
            publicUrl.set(config.publicUrl(http.port()));

            Services services = new Services(db, invalidations, accountStore, accounts, keys, verifier, door, routes,
                    config.plans(), gateway);
            return new GatehouseServer(config, db, invalidations, usage, http, services, publicUrl.get());
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

    /** Stops taking requests, closes upstream connections, writes pending usage, closes the database. */
    @Override
    public void close() {
        // The listener stops taking requests at once and waits for those in flight (up to its grace
        // period). An answer streaming from an upstream (a GET event stream) never ends by itself and
        // would hold every shutdown for the whole grace: a moment after the stop begins, the upstream
        // connections close, which ends those streams, while ordinary calls have had time to finish.
        Thread streams = Thread.ofVirtual().name("gatehouse-end-streams").start(() -> {
            try {
                Thread.sleep(STREAMS_GRACE.toMillis());
                services.gateway().close();
            } catch (InterruptedException stoppedInTime) {
                // every request ended within the moment
            }
        });
        http.close();
        streams.interrupt();
        services.gateway().close();
        usage.close();
        invalidations.close();
        db.close();
    }
}
