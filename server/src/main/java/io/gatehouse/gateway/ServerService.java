package io.gatehouse.gateway;

import io.gatehouse.accounts.AccountStore;
import io.gatehouse.audit.Actor;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.door.Principal;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.store.Database;
import io.gatehouse.store.Ids;
import io.gatehouse.store.Invalidation;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Sealer;
import io.gatehouse.store.Tx;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Registering upstream servers. The instance's own servers (no organisation) are managed by instance
 * administrators; an organisation's servers by its owners and admins. Every change is audited and
 * reaches every node's {@link ServerRegistry} through an invalidation.
 */
public final class ServerService {
    private final Database db;
    private final Invalidations invalidations;
    private final ServerStore store;
    private final AccountStore accounts;
    private final AuditLog audit;
    private final Sealer sealer;
    private final Clock clock;
    private final UpstreamAddresses addresses;

    public ServerService(Database db, Invalidations invalidations, AccountStore accounts, AuditLog audit,
                         Sealer sealer, UpstreamAddresses addresses, Clock clock) {
        this.db = db;
        this.addresses = addresses;
        this.invalidations = invalidations;
        this.store = new ServerStore();
        this.accounts = accounts;
        this.audit = audit;
        this.sealer = sealer;
        this.clock = clock;
    }

    /** The registry the data plane reads, kept current by invalidations. */
    public ServerRegistry registry() {
        ServerRegistry registry = new ServerRegistry(db, store);
        invalidations.subscribe(registry::onInvalidation);
        return registry;
    }

    /** The fields of a create or an update; on update, empty means "unchanged". */
    public record Changes(Optional<String> slug, Optional<String> name, Optional<java.net.URI> upstream,
                          Optional<Optional<String>> mount, Optional<Boolean> isDefault, Optional<Boolean> isPublic,
                          Optional<io.gatehouse.door.Targets> workspaces, Optional<java.util.Set<String>> hiddenTools,
                          Optional<Long> creditCost, Optional<java.util.Map<String, Long>> costs,
                          Optional<Optional<io.gatehouse.limits.Rate>> rateLimit,
                          Optional<java.util.Map<String, io.gatehouse.limits.Rate>> rateLimits,
                          Optional<AuthChange> auth,
                          Optional<Optional<Server.JobRoutes>> jobs, Optional<java.time.Duration> connectTimeout,
                          Optional<java.time.Duration> timeout) {
    }

    /** A new upstream authentication; the static value in plaintext, sealed before it is stored. */
    public record AuthChange(Server.UpstreamAuth.Mode mode, Optional<String> header, Optional<String> value) {
        @Override
        public String toString() {
            return "AuthChange[" + mode + "]";
        }
    }

    public Server create(Principal caller, Actor actor, Optional<String> orgId, Server.Kind kind, Changes c) {
        checkManager(caller, orgId);
        checkReach(caller, c.slug().orElseThrow(), c.slug().orElseThrow());
        Instant now = clock.instant();
        Server s = new Server(Ids.next("srv"), orgId, c.slug().orElseThrow(), c.name().orElseThrow(), kind,
                c.upstream().orElseThrow(), c.mount().flatMap(m -> m), c.isDefault().orElse(false),
                c.isPublic().orElse(false), c.workspaces().orElse(io.gatehouse.door.Targets.ALL),
                c.hiddenTools().orElse(java.util.Set.of()), c.creditCost().orElse(0L), c.costs().orElse(java.util.Map.of()),
                c.rateLimit().flatMap(r -> r), c.rateLimits().orElse(java.util.Map.of()),
                c.auth().map(a -> auth(a, Optional.empty())).orElse(Server.UpstreamAuth.ASSERTION),
                c.jobs().flatMap(j -> j), c.connectTimeout().orElse(java.time.Duration.ofSeconds(5)),
                c.timeout().orElse(java.time.Duration.ofMinutes(5)), now, now);
        check(s);
        addresses.check(s.orgId(), s.upstream());
        return Tx.run(db, invalidations, tx -> {
            orgId.ifPresent(o -> accounts.organization(tx.handle(), o)
                    .orElseThrow(() -> ApiError.notFound("organization")));
            return save(tx, actor, s, true);
        });
    }

    public Server update(Principal caller, Actor actor, String id, Changes c) {
        if (c.upstream().isPresent()) { // resolving a name can be slow: not inside the transaction
            addresses.check(get(caller, id).orgId(), c.upstream().get());
        }
        return Tx.run(db, invalidations, tx -> {
            Server old = visible(tx.handle(), caller, id);
            checkManager(caller, old.orgId());
            checkReach(caller, old.id(), old.slug());
            c.slug().ifPresent(slug -> checkReach(caller, old.id(), slug));
            Server s = new Server(old.id(), old.orgId(), c.slug().orElse(old.slug()), c.name().orElse(old.name()),
                    old.kind(), c.upstream().orElse(old.upstream()), c.mount().orElse(old.mount()),
                    c.isDefault().orElse(old.isDefault()), c.isPublic().orElse(old.isPublic()),
                    c.workspaces().orElse(old.workspaces()), c.hiddenTools().orElse(old.hiddenTools()),
                    c.creditCost().orElse(old.creditCost()), c.costs().orElse(old.costs()),
                    c.rateLimit().orElse(old.rateLimit()), c.rateLimits().orElse(old.rateLimits()), c.auth().map(a -> auth(a, Optional.of(old.auth())))
                    .orElse(old.auth()), c.jobs().orElse(old.jobs()), c.connectTimeout().orElse(old.connectTimeout()),
                    c.timeout().orElse(old.timeout()), old.createdAt(), clock.instant());
            check(s);
            return save(tx, actor, s, false);
        });
    }

    /** Writes a new or changed server, keeps one default, tells every node, and audits it. */
    private Server save(Tx tx, Actor actor, Server s, boolean insert) {
        if (store.slugTaken(tx.handle(), s.slug(), s.id())) {
            throw ApiError.of(ErrorCode.CONFLICT, "slug_taken", "A server with the slug '" + s.slug() + "' exists");
        }
        store.upsert(tx.handle(), s, insert);
        if (s.isDefault()) {
            store.clearDefault(tx.handle(), s.id());
        }
        tx.invalidate(new Invalidation.Servers());
        audit.record(tx.handle(), actor, s.orgId().orElse(null), insert ? "server.created" : "server.updated",
                "server", s.id(), detail(s));
        return s;
    }

    public void delete(Principal caller, Actor actor, String id) {
        Tx.run(db, invalidations, tx -> {
            Server old = visible(tx.handle(), caller, id);
            checkManager(caller, old.orgId());
            checkReach(caller, old.id(), old.slug());
            store.delete(tx.handle(), id);
            tx.invalidate(new Invalidation.Servers());
            audit.record(tx.handle(), actor, old.orgId().orElse(null), "server.deleted", "server", id, detail(old));
            return null;
        });
    }

    public Server get(Principal caller, String id) {
        return db.withHandle(h -> visible(h, caller, id));
    }

    /** The instance's servers and the caller's organisation's; an operator sees all. */
    public List<Server> list(Principal caller) {
        return db.withHandle(store::all).stream().filter(s -> sees(caller, s)).toList();
    }

    private static boolean sees(Principal caller, Server s) {
        return caller.operator() || s.orgId().map(caller::canRead).orElse(true);
    }

    private Server visible(org.jdbi.v3.core.Handle h, Principal caller, String id) {
        return store.find(h, id).filter(s -> sees(caller, s)).orElseThrow(() -> ApiError.notFound("server"));
    }

    /**
     * A key scoped to some servers manages those only: changing another server (its upstream, its
     * workspaces, its slug: a slug a scope names could be moved onto another server) would widen what
     * keys reach, its own among them. Scopes name servers by id or by slug: either names it.
     */
    private static void checkReach(Principal caller, String id, String slug) {
        io.gatehouse.door.Targets scope = caller.identity().servers();
        if (!caller.operator() && !scope.all() && !scope.allows(id) && !scope.allows(slug)) {
            throw ApiError.forbidden("exceeds_reach", "servers: '" + slug + "' is outside your key's reach");
        }
    }

    private static void checkManager(Principal caller, Optional<String> orgId) {
        if (orgId.isEmpty() && !caller.operator()) {
            throw ApiError.forbidden("not_operator",
                    "Only an operator credential can manage the instance's own servers; name an organization_id");
        }
        if (orgId.isPresent() && !caller.canManage(orgId.get())) {
            throw ApiError.forbidden("not_org_admin", "Only an owner or admin of the organization can manage its servers");
        }
    }

    private Server.UpstreamAuth auth(AuthChange a, Optional<Server.UpstreamAuth> old) {
        if (a.mode() != Server.UpstreamAuth.Mode.STATIC) {
            return new Server.UpstreamAuth(a.mode(), Optional.empty(), Optional.empty());
        }
        String header = a.header().orElse("Authorization");
        Optional<String> sealed = a.value().map(sealer::seal)
                .or(() -> old.filter(o -> o.mode() == Server.UpstreamAuth.Mode.STATIC).flatMap(Server.UpstreamAuth::sealedValue));
        if (sealed.isEmpty()) {
            throw ApiError.invalid("upstream_auth.value: required with type static");
        }
        return new Server.UpstreamAuth(a.mode(), Optional.of(header), sealed);
    }

    /** Rules that span fields. */
    private static void check(Server s) {
        if (s.kind() == Server.Kind.MCP && s.mount().isPresent()) {
            throw ApiError.invalid("mount: only HTTP APIs are mounted; MCP servers are reached at /mcp/{slug}");
        }
        if (s.kind() == Server.Kind.MCP && s.jobs().isPresent()) {
            throw ApiError.invalid("jobs: only HTTP APIs have job routes");
        }
        if (s.kind() == Server.Kind.HTTP && s.isDefault()) {
            throw ApiError.invalid("default: only an MCP server can answer a bare /mcp");
        }
        if (s.kind() == Server.Kind.HTTP && !s.hiddenTools().isEmpty()) {
            throw ApiError.invalid("hidden_tools: only MCP servers have tools");
        }
        for (String name : s.rateLimits().keySet()) {
            if (s.kind() == Server.Kind.HTTP != name.startsWith("/")) {
                throw ApiError.invalid("rate_limits: '" + name + "': " + (s.kind() == Server.Kind.HTTP
                        ? "an HTTP API's limits are by path prefix, starting with /"
                        : "an MCP server's limits are by tool name"));
            }
        }
        if (s.kind() == Server.Kind.HTTP) {
            routes("costs", s.costs().keySet());
            routes("rate_limits", s.rateLimits().keySet());
        }
    }

    /**
     * An HTTP API's routes are matched ignoring case and without path parameters (see
     * {@code Server.longestPrefix}, {@code ApiRoute.resource}): two that differ in case alone would
     * be one route, and a {@code ;} in one would never match.
     */
    private static void routes(String field, java.util.Set<String> names) {
        java.util.Map<String, String> seen = new java.util.HashMap<>();
        for (String name : names) {
            if (name.indexOf(';') >= 0) {
                throw ApiError.invalid(field + ": '" + name + "': a route has no path parameters (';')");
            }
            String other = seen.put(name.toLowerCase(java.util.Locale.ROOT), name);
            if (other != null) {
                throw ApiError.invalid(field + ": '" + other + "' and '" + name + "' differ only in case: "
                        + "routes are matched ignoring it");
            }
        }
    }

    private static Map<String, Object> detail(Server s) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("slug", s.slug());
        d.put("kind", s.kind().wire());
        d.put("upstream_url", s.upstream().toString());
        d.put("public", s.isPublic());
        d.put("upstream_auth", s.auth().mode().wire());
        return d;
    }
}
