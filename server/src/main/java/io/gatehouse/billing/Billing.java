package io.gatehouse.billing;

import io.gatehouse.audit.Actor;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.Principal;
import io.gatehouse.errors.ApiError;
import io.gatehouse.limits.Limit;
import io.gatehouse.limits.Outcome;
import io.gatehouse.limits.RateLimitHeaders;
import io.gatehouse.limits.RateLimiter;
import io.gatehouse.limits.RedisRateLimiter;
import io.gatehouse.store.Database;
import io.gatehouse.store.Invalidation;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Tx;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * What calls cost and what was used, wired: the credit pool and its leases, the rate limiter, the
 * usage meter and the alerts that watch it, the deletion of usage past its retention, and what the
 * management API asks of them.
 */
public final class Billing implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Billing.class.getName());
    private final Database db;
    private final Invalidations invalidations;
    private final AuditLog audit;
    private final GatehouseConfig.Plans plans;
    private final Clock clock;
    private final CreditPool credits;
    private final UsageMeter usage;
    private final RateLimiter limiter;
    /** Shares {@link #limiter}'s admissions with other nodes through the database; null for other stores. */
    private final SharedRateLimits shared;
    /** Decides every limited call when the store is Redis; null otherwise. */
    private final RedisRateLimiter redis;
    private final Alerts alerts;
    private final UsageReport report;
    private final UsageRetention retention;
    private final ScheduledExecutorService sweeper;
    private volatile long redisWarnedAt;

    public Billing(GatehouseConfig config, Database db, Invalidations invalidations, AuditLog audit, Clock clock) {
        this.db = db;
        this.invalidations = invalidations;
        this.audit = audit;
        this.plans = config.plans();
        this.clock = clock;
        this.credits = new CreditPool(db, config.plans(), config.credits(), clock);
        this.usage = new UsageMeter(db);
        this.alerts = new Alerts(db, config.credits(), clock);
        usage.watch(alerts::observe);
        this.report = new UsageReport(db, usage);
        this.retention = new UsageRetention(db, config.credits().usage().retention(), clock);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r ->
                Thread.ofPlatform().daemon().name("gatehouse-billing-sweep").unstarted(r));
        GatehouseConfig.RateLimits rates = config.rateLimits();
        this.limiter = rates.store() == GatehouseConfig.RateLimitStore.DATABASE ? RateLimiter.shared() : new RateLimiter();
        this.shared = rates.store() == GatehouseConfig.RateLimitStore.DATABASE
                ? new SharedRateLimits(db, limiter, rates.sync(), clock) : null;
        this.redis = rates.store() == GatehouseConfig.RateLimitStore.REDIS
                ? new RedisRateLimiter(rates.redisUrl().orElseThrow(), rates.redisTimeout()) : null;
        sweeper.scheduleWithFixedDelay(() -> limiter.sweep(System.nanoTime()), 1, 1, TimeUnit.MINUTES);
        long prune = config.credits().usage().pruneInterval().toMillis();
        sweeper.scheduleWithFixedDelay(this::prune, prune, prune, TimeUnit.MILLISECONDS);
    }

    public CreditPool credits() {
        return credits;
    }

    public UsageMeter usage() {
        return usage;
    }

    public Alerts alerts() {
        return alerts;
    }

    UsageReport report() {
        return report;
    }

    private void prune() {
        try {
            int gone = retention.prune();
            if (gone > 0) {
                LOG.info("deleted " + gone + " usage minutes, alerts and networks past usage.retention");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not delete old usage; will retry: " + e.getMessage());
        }
    }

    /**
     * Steps 6 and 7 of the door for an admitted data-plane call, from memory: the plan's rate limits
     * on the credential and its organization, then {@code cost} credits from this node's leases.
     * (With the Redis store, step 6 is {@link #takeInRedis} instead; this decides it in memory.)
     *
     * <p>{@code serverRate} is the server's own limit on each credential, and {@code toolRate} its limit
     * on each credential's calls of {@code tool} (an MCP tool, or an HTTP API's route).
     *
     * @return the limits applied (empty: none), their answer (null when none), and the charge taken
     *     (empty when the call is free, refused by a limit, or needs a lease: see {@link Meter#needsLease})
     * @throws ApiError 503 {@code credits_unavailable} when the charge journal is full (see {@link #charge})
     */
    public Meter meter(Principal p, long cost, String serverId, Optional<io.gatehouse.limits.Rate> serverRate,
                       String tool, Optional<io.gatehouse.limits.Rate> toolRate) {
        Limits limits = limits(p, serverId, serverRate, tool, toolRate);
        long now = System.nanoTime();
        Outcome outcome = limits.isEmpty() ? null : take(limits, now);
        if (outcome != null && !outcome.allowed() || cost == 0 || p.operator()) {
            return new Meter(limits.limits(), limits.policy(), outcome, Optional.empty(), false);
        }
        Optional<CreditPool.Charge> charge = charge(p, cost, now, serverId, tool);
        return new Meter(limits.limits(), limits.policy(), outcome, charge, charge.isEmpty());
    }

    /**
     * Step 6: the limits a call of {@code p}'s to {@code serverId} (and to {@code tool} on it) draws
     * on; {@link Limits#isEmpty} when none.
     */
    public Limits limits(Principal p, String serverId, Optional<io.gatehouse.limits.Rate> serverRate, String tool,
                         Optional<io.gatehouse.limits.Rate> toolRate) {
        if (p.operator()) {
            return NO_LIMITS;
        }
        Optional<Instant> trialEndsAt = p.identity().standing().trialEndsAt();
        GatehouseConfig.Plan plan = plans.effective(p.identity().plan(), trialEndsAt,
                trialEndsAt.isPresent() ? clock.instant() : Instant.EPOCH); // the clock only matters for a trial
        if (plan.keyRate().isEmpty() && plan.orgRate().isEmpty() && serverRate.isEmpty() && toolRate.isEmpty()
                && p.identity().rateLimit().isEmpty()) {
            return NO_LIMITS;
        }
        return limits(p, plan, serverId, serverRate, tool, toolRate);
    }

    /** Step 6 decided from this node's memory (shared with other nodes at each sync with the database store). */
    public Outcome take(Limits limits) {
        return take(limits, System.nanoTime());
    }

    /** As {@link #take(Limits)}, at {@code nowNanos} ({@link System#nanoTime}). */
    public Outcome take(Limits limits, long nowNanos) {
        return limiter.takeAll(limits.group(), nowNanos);
    }

    /** Whether step 6 is decided by Redis ({@link #takeInRedis}) rather than in memory ({@link #take}). */
    public boolean limitsInRedis() {
        return redis != null;
    }

    /**
     * Step 6 decided by Redis, exactly across nodes. When Redis does not answer in
     * {@code rate-limits.redis-timeout}, this node decides from its own memory instead, and says so
     * in the log (once a minute at most): a limit store that is down does not take the API down.
     */
    public java.util.concurrent.CompletableFuture<Outcome> takeInRedis(Limits limits) {
        return redis.takeAll(limits.limits()).exceptionally(failure -> {
            long now = System.nanoTime();
            if (now - redisWarnedAt > 60_000_000_000L) {
                redisWarnedAt = now;
                java.util.logging.Logger.getLogger(Billing.class.getName()).warning(
                        "rate limits: Redis did not answer (" + failure + "); deciding from this node's memory");
            }
            return take(limits);
        });
    }

    /**
     * Step 7: {@code cost} credits from this node's leases for {@code p}'s call on {@code serverId}
     * ({@code tool}: its tool or route, or null), at {@code nowNanos} (the time step 6 was taken at);
     * empty when they hold too few (take a lease). See {@link CreditPool#takeFromMemory}.
     *
     * @throws ApiError 503 {@code credits_unavailable} when the charge journal is full
     */
    public Optional<CreditPool.Charge> charge(Principal p, long cost, long nowNanos, String serverId, String tool) {
        return credits.takeFromMemory(p.orgId(), cost, nowNanos, p.credentialId(), serverId, tool);
    }

    /**
     * A credential's limits under one plan, taken together through {@code group} (null: none), and
     * the RateLimit-Policy field that names them.
     */
    public record Limits(GatehouseConfig.Plan plan, String orgId, Optional<io.gatehouse.limits.Rate> ownRate,
                         Optional<io.gatehouse.limits.Rate> serverRate, Optional<io.gatehouse.limits.Rate> toolRate,
                         String policy, RateLimiter.Group group) {
        public List<Limit> limits() {
            return group == null ? List.of() : group.limits();
        }

        public boolean isEmpty() {
            return group == null;
        }
    }

    private static final Limits NO_LIMITS = new Limits(null, "", Optional.empty(), Optional.empty(), Optional.empty(),
            "", null);

    /**
     * Each credential's limits, made once per plan: the hot path builds nothing. A plain map, not a
     * Caffeine cache: a Caffeine read records itself in a buffer and now and then schedules a drain
     * on the common pool, which measured as much as the rate limits themselves. Bounded by clearing:
     * past {@link #LIMITS_KEPT} entries it starts again (each is rebuilt on its next call).
     */
    private final Map<String, Limits> limitsByCredential = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int LIMITS_KEPT = 100_000;

    /**
     * In order: the plan's on the credential ({@code key}), the credential's own ({@code credential}:
     * an API key's {@code rate_limit}), the plan's on its organization ({@code org}), the server's on the
     * credential there ({@code server}), and the server's on the credential's calls of one tool or
     * route ({@code tool}). Each tool's bucket is its own: the tool names come from the
     * server's configuration, never from what a request merely claims.
     */
    private Limits limits(Principal p, GatehouseConfig.Plan plan, String serverId,
                          Optional<io.gatehouse.limits.Rate> serverRate, String tool,
                          Optional<io.gatehouse.limits.Rate> toolRate) {
        String key = serverRate.isEmpty() && toolRate.isEmpty() ? p.credentialId()
                : toolRate.isEmpty() ? p.credentialId() + " " + serverId : p.credentialId() + " " + serverId + " " + tool;
        Limits kept = limitsByCredential.get(key);
        if (kept != null && kept.plan() == plan && kept.orgId().equals(p.orgId())
                && kept.ownRate().equals(p.identity().rateLimit()) && kept.serverRate().equals(serverRate)
                && kept.toolRate().equals(toolRate)) {
            return kept;
        }
        List<Limit> made = new java.util.ArrayList<>(5);
        plan.keyRate().ifPresent(r -> made.add(new Limit("key", p.credentialId(), r)));
        p.identity().rateLimit().ifPresent(r -> made.add(new Limit("credential", p.credentialId(), r)));
        plan.orgRate().ifPresent(r -> made.add(new Limit("org", p.orgId(), r)));
        serverRate.ifPresent(r -> made.add(new Limit("server", p.credentialId() + "@" + serverId, r)));
        toolRate.ifPresent(r -> made.add(new Limit("tool", p.credentialId() + "@" + serverId + " " + tool, r)));
        Limits limits = new Limits(plan, p.orgId(), p.identity().rateLimit(), serverRate, toolRate,
                RateLimitHeaders.policy(made), limiter.group(made));
        if (limitsByCredential.size() >= LIMITS_KEPT) {
            limitsByCredential.clear();
        }
        limitsByCredential.put(key, limits);
        return limits;
    }

    /** What {@link #meter} decided. */
    public record Meter(List<Limit> limits, String policy, Outcome outcome, Optional<CreditPool.Charge> charge,
                        boolean needsLease) {
        static final Meter FREE = new Meter(List.of(), "", null, Optional.empty(), false);

        public boolean limited() {
            return outcome != null && !outcome.allowed();
        }
    }

    /** An organization's pool as {@code GET /v1/orgs/{id}/credits} shows it. */
    public Map<String, Object> pool(Principal caller, String orgId) {
        requireReadable(caller, orgId);
        appliedHere();
        return db.inTransaction(h -> {
            requireOrganization(h, orgId);
            CreditStore.Holdings held = credits.store().holdings(h, orgId, clock.instant());
            CreditStore.Pool pool = held.pool();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("object", "credit_pool");
            out.put("organization_id", orgId);
            out.put("balance", held.balance());
            out.put("allocation", pool.allocation());
            out.put("purchased", pool.purchased());
            out.put("in_leases", held.inLeases());
            out.put("cycle_started_at", pool.cycleStartedAt().toString());
            out.put("cycle_ends_at", pool.cycleEndsAt().toString());
            return out;
        });
    }

    /** The pool's ledger, newest first. */
    public List<CreditStore.Entry> ledger(Principal caller, String orgId, int limit, Optional<String> before) {
        requireReadable(caller, orgId);
        appliedHere();
        return db.withHandle(h -> {
            requireOrganization(h, orgId);
            return credits.store().ledger(h, orgId, limit, before);
        });
    }

    /**
     * Applies this node's charge journal first, so that a client reads its own calls' charges from
     * the node that answered them; another node's reach the database within its flush interval.
     */
    private void appliedHere() {
        try {
            credits.flush();
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "could not apply the charge journal before a read", e);
        }
    }

    /**
     * Adds purchased credits, or adjusts them: an operator's act (credits are what the operator
     * sells), audited, done once per idempotency key.
     *
     * @return whether the credits were added now (false: this key was seen before, nothing changed)
     */
    public boolean addCredits(Principal caller, Actor actor, String orgId, String kind, long amount,
                              String idempotencyKey, Optional<String> note) {
        if (!caller.operator()) {
            throw ApiError.forbidden("not_operator", "Only an operator credential adds credits");
        }
        try {
            return add(actor, orgId, kind, amount, idempotencyKey, note);
        } catch (CreditStore.OtherUse reused) {
            throw ApiError.of(io.gatehouse.errors.ErrorCode.CONFLICT, "idempotency_key_reused",
                    "This idempotency key was used for " + (reused.recorded.kind().equals("purchase") ? "a purchase"
                            : "an adjustment") + " of " + reused.recorded.credits() + " credits; nothing was changed");
        }
    }

    /**
     * A purchase a payment system told of in a signed webhook. A key it used before for another
     * amount changes nothing: the payment system is answered as for any delivery seen before.
     */
    boolean purchased(Actor actor, String orgId, long amount, String idempotencyKey) {
        try {
            return add(actor, orgId, "purchase", amount, idempotencyKey, Optional.of("webhook"));
        } catch (CreditStore.OtherUse reused) {
            LOG.warning("a webhook named an earlier payment with another amount; nothing was changed");
            return false;
        }
    }

    private boolean add(Actor actor, String orgId, String kind, long amount, String idempotencyKey,
                        Optional<String> note) {
        for (int attempt = 0; ; attempt++) {
            try {
                return Tx.run(db, invalidations, tx -> {
                    requireOrganization(tx.handle(), orgId);
                    boolean first = tx.handle().createQuery("SELECT credits_purchased_at FROM organizations WHERE id = :id")
                            .bind("id", orgId).mapTo(Long.class).findOne().isEmpty();
                    boolean added;
                    try {
                        added = credits.store().purchase(tx.handle(), orgId, kind, amount, idempotencyKey,
                                note.orElse(null), clock.instant());
                    } catch (IllegalArgumentException below) {
                        throw ApiError.of(io.gatehouse.errors.ErrorCode.CONFLICT, "insufficient_credits",
                                "The pool holds fewer purchased credits than the adjustment takes away");
                    }
                    if (added) {
                        audit.record(tx.handle(), actor, orgId, "credits." + (kind.equals("purchase") ? "purchased"
                                : "adjusted"), "organization", orgId, Map.of("credits", amount,
                                "idempotency_key", idempotencyKey));
                        if (first && kind.equals("purchase")) {
                            tx.invalidate(new Invalidation.Organization(orgId)); // a plan may entitle buyers
                        }
                    }
                    return added;
                });
            } catch (UnableToExecuteStatementException raced) {
                if (attempt >= 2) {
                    throw raced;
                }
                // two deliveries of one purchase at once: the unique key refused one; it now sees the other
            }
        }
    }

    /** An organization's alerts, newest first (before the alert {@code before}, when given): 404 for an organization the caller cannot read, or none. */
    public List<Alerts.Alert> alerts(Principal caller, String orgId, int limit, Optional<String> before) {
        requireReadable(caller, orgId);
        db.withHandle(h -> {
            requireOrganization(h, orgId);
            return null;
        });
        return alerts.list(orgId, limit, before);
    }

    private static void requireReadable(Principal caller, String orgId) {
        if (!caller.canRead(orgId)) {
            throw ApiError.notFound("organization");
        }
    }

    static void requireOrganization(org.jdbi.v3.core.Handle h, String orgId) {
        if (h.createQuery("SELECT COUNT(*) FROM organizations WHERE id = :id").bind("id", orgId).mapTo(Long.class)
                .one() == 0) {
            throw ApiError.notFound("organization");
        }
    }

    /** Writes what is counted, gives back every lease, stops. */
    @Override
    public void close() {
        sweeper.shutdownNow();
        if (shared != null) {
            shared.close();
        }
        if (redis != null) {
            redis.close();
        }
        credits.close();
        usage.close();
        alerts.close();
    }
}
