package io.gatehouse.door;

import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.errors.ApiError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The access decision, in a fixed order so that a denied call never reaches anything costly:
 * <ol>
 *   <li>format — the credential is well formed (a key's checksum holds): else 401 {@code malformed}</li>
 *   <li>lookup — it is known: else 401 {@code unknown}</li>
 *   <li>state — it is neither revoked nor expired: else 401 {@code revoked} / {@code expired}</li>
 *   <li>entitlement — its owner is active and still a member, and the plan allows the call:
 *       else 401 {@code user_disabled}, 403 {@code not_member} / {@code plan_not_eligible}</li>
 *   <li>scope — the workspace, server and permission asked for are within reach:
 *       else 403 {@code out_of_scope} / {@code not_member} / {@code insufficient_scope}</li>
 * </ol>
 * Rate limits and credits come after these in later work. Nothing here writes to the database: a
 * successful use is noted in memory by the resolver and flushed in batches.
 */
public final class Door {
    private final List<CredentialResolver> resolvers;
    private final GatehouseConfig.Plans plans;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final ConcurrentHashMap<String, Counter> outcomes = new ConcurrentHashMap<>();

    public Door(List<CredentialResolver> resolvers, GatehouseConfig.Plans plans, Clock clock, MeterRegistry metrics) {
        this.resolvers = List.copyOf(resolvers);
        this.plans = plans;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Admits the credential for {@code requirement}, noting its use from {@code clientAddress}.
     *
     * @param credential the credential, or empty when the request carried none
     * @throws ApiError the denial, with its reason
     */
    public Principal admit(Optional<String> credential, Requirement requirement, String clientAddress) {
        try {
            String presented = credential.orElseThrow(() ->
                    ApiError.unauthorized("missing", "Invalid or missing API key: none was sent", false));
            Instant now = clock.instant();
            for (CredentialResolver resolver : resolvers) {
                Optional<Identity> identity = resolver.resolve(presented, now);
                if (identity.isPresent()) {
                    Principal principal = authorize(identity.get(), requirement, now);
                    resolver.recordUse(identity.get(), clientAddress, now);
                    count("allowed");
                    return principal;
                }
            }
            throw Credentials.malformed("this is not a key or token Gatehouse issued");
        } catch (ApiError denied) {
            count(denied.reason().orElse(denied.code().code()));
            throw denied;
        }
    }

    /** A yes taken from memory alone, not yet counted nor noted as a use: see {@link #decide}. */
    public final class Admission {
        private final Principal principal;
        private final Identity identity;
        private final CredentialResolver resolver;

        private Admission(Principal principal, Identity identity, CredentialResolver resolver) {
            this.principal = principal;
            this.identity = identity;
            this.resolver = resolver;
        }

        public Principal principal() {
            return principal;
        }

        /** The call goes ahead: counted and noted as {@link #admit} would have. */
        public void commit(String clientAddress) {
            resolver.recordUse(identity, clientAddress, clock.instant());
            count("allowed");
        }
    }

    /**
     * The door's answer from memory, for a caller that must not block (the edge's event loop). A
     * yes is not counted nor noted as a use until {@link Admission#commit}; a no is counted here.
     */
    public sealed interface Decision permits Admitted, Refused, Unsettled {
    }

    /** The credential may make the call; {@link Admission#commit} once it goes ahead. */
    public record Admitted(Admission admission) implements Decision {
    }

    /** The credential may not: the denial, in the door's words. */
    public record Refused(ApiError error) implements Decision {
    }

    /** Memory cannot tell: {@link #admit} must decide, off the event loop (it may read the store). */
    public record Unsettled() implements Decision {
    }

    private static final Unsettled UNSETTLED = new Unsettled();

    /**
     * What {@link #admit} would decide, as far as memory tells: every resolver is asked from memory,
     * in order, up to the first that claims the credential.
     *
     * @param credential the credential as the request carried it
     */
    public Decision decide(String credential, Requirement requirement) {
        Instant now = clock.instant();
        for (CredentialResolver resolver : resolvers) {
            CredentialResolver.Recall recalled = resolver.recall(credential, now);
            if (recalled.refusal().isPresent()) {
                return refused(recalled.refusal().get());
            }
            if (!recalled.known()) {
                return UNSETTLED;
            }
            if (recalled.identity().isPresent()) {
                Identity identity = recalled.identity().get();
                try {
                    return new Admitted(new Admission(authorize(identity, requirement, now), identity, resolver));
                } catch (ApiError denied) {
                    return refused(denied);
                }
            }
        }
        return refused(Credentials.malformed("this is not a key or token Gatehouse issued"));
    }

    /** A missing credential, decided (and counted) as {@link #admit} decides it. */
    public Decision decideMissing() {
        return refused(ApiError.unauthorized("missing", "Invalid or missing API key: none was sent", false));
    }

    private Refused refused(ApiError denied) {
        count(denied.reason().orElse(denied.code().code()));
        return new Refused(denied);
    }

    /** Steps 4 and 5: entitlement, then scope. */
    Principal authorize(Identity id, Requirement requirement, Instant now) {
        if (id.userDisabled()) {
            throw ApiError.unauthorized("user_disabled", id.kind().owner() + " is disabled", true);
        }
        if (id.role().isEmpty()) {
            throw ApiError.forbidden("not_member", id.kind().owner() + " is no longer a member of its organization");
        }
        if (requirement.planGated()) {
            GatehouseConfig.Plan.Access needed = GatehouseConfig.Plan.Access.neededFor(requirement.permission());
            GatehouseConfig.Plan plan = plans.effective(id.plan(), id.standing().trialEndsAt(), now);
            if (!plan.allows(needed, id.standing().purchasedCredits())) {
                throw planRefusal(plan, needed);
            }
        }
        Set<String> workspaces = new HashSet<>(id.memberWorkspaces());
        if (!id.workspaces().all()) {
            workspaces.retainAll(id.workspaces().ids());
        }
        if (requirement.workspace().isPresent()) {
            String ws = requirement.workspace().get();
            if (!id.workspaces().allows(ws)) {
                throw ApiError.forbidden("out_of_scope", id.kind().noun() + " does not have permission for this workspace");
            }
            if (!id.memberWorkspaces().contains(ws)) {
                throw ApiError.forbidden("not_member", id.kind().owner() + " is not a member of this workspace");
            }
        }
        if (requirement.server().isPresent() && !id.servers().allows(requirement.server().get())
                && !requirement.serverAlias().map(id.servers()::allows).orElse(false)) {
            throw ApiError.forbidden("out_of_scope", id.kind().noun() + " does not have permission for this resource");
        }
        Set<String> permissions = effectivePermissions(id);
        if (requirement.permission().isPresent() && !Permissions.grants(permissions, requirement.permission().get())) {
            String needed = requirement.permission().get();
            throw ApiError.insufficientScope(needed, id.kind().noun() + " does not have the permission " + needed);
        }
        return new Principal(id, permissions, Set.copyOf(workspaces));
    }

    /** What a credential of an organization whose plan does not allow {@code needed} is told, wherever it asks. */
    public static ApiError planRefusal(GatehouseConfig.Plan plan, GatehouseConfig.Plan.Access needed) {
        return ApiError.forbidden("plan_not_eligible", "Your organization's plan does not include "
                + needed.label() + " access" + (plan.purchaseEntitles() ? "; buying credits would" : ""));
    }

    /**
     * The permissions in effect now. An operator credential's hold as granted. On any other: management
     * permissions only while the owner is an owner or admin of the key's organization, and instance-wide
     * ones ({@code keys:verify}) never, whoever owns the key; {@code keys:*} means {@code keys:self} there.
     */
    public static Set<String> effectivePermissions(Identity id) {
        if (id.operator()) {
            return id.permissions();
        }
        boolean manager = id.role().map(r -> r == Role.OWNER || r == Role.ADMIN).orElse(false);
        Set<String> kept = null; // copied only when something is dropped: the usual key keeps all it has
        for (String p : id.permissions()) {
            boolean keep = p.startsWith("admin:") ? manager : !p.startsWith("keys:") || p.equals(Permissions.KEYS_SELF);
            if (!keep && kept == null) {
                kept = new HashSet<>(id.permissions());
            }
            if (!keep) {
                kept.remove(p);
                if (p.equals("keys:*")) {
                    kept.add(Permissions.KEYS_SELF);
                }
            }
        }
        return kept == null ? id.permissions() : Set.copyOf(kept);
    }

    private void count(String outcome) {
        Counter counter = outcomes.get(outcome); // lock-free read; computeIfAbsent only the first time
        if (counter == null) {
            counter = outcomes.computeIfAbsent(outcome, o -> Counter.builder("gatehouse.door.decisions")
                .description("Access decisions at the door, by outcome").tag("outcome", o).register(metrics));
        }
        counter.increment();
    }
}
