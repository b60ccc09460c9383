package io.gatehouse.oauth;

import com.github.benmanes.caffeine.cache.Cache;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.CredentialResolver;
import io.gatehouse.door.Identity;
import io.gatehouse.door.Role;
import io.gatehouse.door.Targets;
import io.gatehouse.errors.ApiError;
import io.gatehouse.keys.KeyHasher;
import io.gatehouse.keys.UsageRecorder;
import io.gatehouse.store.Database;
import io.gatehouse.store.Invalidation;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The door's resolver for OAuth access tokens, built like the key verifier: the {@code gh_at_}
 * prefix and checksum first (anything else is not a token, at no cost), then an in-process cache
 * keyed by the token's hash holding answers positive and negative, and one query on a miss. The
 * identity it gives acts for the grant's person, in the grant's organization, with the token's
 * scopes as permissions, the grant's workspaces, and the servers its audience reaches; the
 * credential id is the grant's, so the upstream assertion and the usage name the connected app.
 */
public final class TokenVerifier implements CredentialResolver {
    private static final ApiError UNKNOWN = ApiError.unauthorized("unknown", "Invalid or expired access token", true);
    private static final ApiError REVOKED = ApiError.unauthorized("revoked", "This access token has been revoked", true);
    private static final ApiError EXPIRED = ApiError.unauthorized("expired", "This access token has expired", true);
    private final KeyHasher hasher;
    private final Database db;
    private final UsageRecorder usage;
    private final Cache<String, Entry> cache;
    private final AtomicLong generation = new AtomicLong();

    sealed interface Entry {
    }

    /** A token as loaded: its state, the identity it acts as, and what introspection tells of it. */
    record Found(boolean revoked, Identity identity, String clientId, String resource, Instant issuedAt)
            implements Entry {
    }

    record Missing() implements Entry {
    }

    private static final Missing MISSING = new Missing();

    public TokenVerifier(KeyHasher hasher, Database db, UsageRecorder usage, GatehouseConfig.Keys config,
                         MeterRegistry metrics) {
        this.hasher = hasher;
        this.db = db;
        this.usage = usage;
        this.cache = io.gatehouse.keys.KeyVerifier.answerCache(config, metrics, "gatehouse.tokens.cache",
                v -> v instanceof Missing);
    }

    @Override
    public Optional<Identity> resolve(String credential, Instant now) {
        if (!Tokens.ACCESS.isWellFormed(credential)) {
            return Optional.empty();
        }
        Entry entry = entry(credential);
        ApiError refusal = refusal(entry, now);
        if (refusal != null) {
            throw refusal;
        }
        return Optional.of(((Found) entry).identity());
    }

    @Override
    public Recall recall(String credential, Instant now) {
        if (!Tokens.ACCESS.isWellFormed(credential)) {
            return Recall.NOT_MINE;
        }
        Entry entry = cache.getIfPresent(hasher.hash(credential));
        if (entry == null) {
            return Recall.UNKNOWN;
        }
        ApiError refusal = refusal(entry, now);
        return refusal == null ? Recall.of(((Found) entry).identity()) : Recall.refused(refusal);
    }

    private static ApiError refusal(Entry entry, Instant now) {
        if (!(entry instanceof Found found)) {
            return UNKNOWN;
        }
        if (found.revoked()) {
            return REVOKED;
        }
        Optional<Instant> expiresAt = found.identity().expiresAt();
        return expiresAt.isPresent() && !expiresAt.get().isAfter(now) ? EXPIRED : null;
    }

    /**
     * RFC 7662 for an access token, from the same cache as the door: live when the door would take it
     * (not revoked, not expired, its person enabled and still a member). Empty when it is not live.
     */
    public Optional<Tokens.Active> introspect(String token, Instant now) {
        if (!Tokens.ACCESS.isWellFormed(token)) {
            return Optional.empty();
        }
        Entry entry = entry(token);
        if (refusal(entry, now) != null || !(entry instanceof Found f) || f.identity().userDisabled()
                || f.identity().role().isEmpty()) {
            return Optional.empty();
        }
        Identity id = f.identity();
        return Optional.of(new Tokens.Active("access", f.clientId(), id.userId(), id.orgId(), id.credentialId(),
                f.resource(), id.permissions(), f.issuedAt(), id.expiresAt().orElseThrow()));
    }

    @Override
    public void recordUse(Identity identity, String clientAddress, Instant at) {
        usage.record(identity.credentialId(), clientAddress, at);
    }

    /** The cached answer for a well-formed token, or the store's (one query). */
    private Entry entry(String token) {
        String hash = hasher.hash(token);
        Entry entry = cache.getIfPresent(hash);
        return entry != null ? entry : load(hash);
    }

    private Entry load(String hash) {
        long before = generation.get();
        List<Map<String, Object>> rows = db.withHandle(h -> h.createQuery("SELECT t.token_hash, t.revoked_at, "
                        + "t.expires_at, t.created_at, t.resource, t.servers, t.scope, g.client_id, g.id AS grant_id, g.user_id, g.org_id, g.workspaces, g.tools, "
                        + "g.revoked_at AS grant_revoked_at, o.plan, o.trial_ends_at, o.credits_purchased_at, u.disabled_at, m.role, w.id AS member_ws, "
                        + "w.org_id AS member_ws_org FROM oauth_tokens t "
                        + "JOIN oauth_grants g ON g.id = t.grant_id "
                        + "JOIN organizations o ON o.id = g.org_id "
                        + "JOIN users u ON u.id = g.user_id "
                        + "LEFT JOIN memberships m ON m.org_id = g.org_id AND m.user_id = g.user_id "
                        + "LEFT JOIN workspace_members wm ON wm.user_id = g.user_id "
                        + "LEFT JOIN workspaces w ON w.id = wm.workspace_id "
                        + "WHERE t.token_hash = :hash AND t.kind = 'access'")
                .bind("hash", hash).mapToMap().list());
        Entry loaded;
        if (rows.isEmpty()) {
            loaded = MISSING;
        } else {
            Map<String, Object> r = rows.getFirst();
            String orgId = (String) r.get("org_id");
            Set<String> memberWorkspaces = rows.stream()
                    .filter(x -> x.get("member_ws") != null && orgId.equals(x.get("member_ws_org")))
                    .map(x -> (String) x.get("member_ws")).collect(Collectors.toUnmodifiableSet());
            Identity identity = new Identity((String) r.get("grant_id"), Identity.CredentialKind.OAUTH_TOKEN,
                    "gh_at_…", (String) r.get("user_id"), orgId, (String) r.get("plan"),
                    new Identity.Standing(Optional.ofNullable((Number) r.get("trial_ends_at"))
                            .map(n -> Instant.ofEpochMilli(n.longValue())), r.get("credits_purchased_at") != null),
                    Optional.ofNullable((String) r.get("role")).flatMap(Role::parse), r.get("disabled_at") != null,
                    Targets.parse((String) r.get("workspaces")), Targets.parse((String) r.get("servers")),
                    Targets.parse((String) r.get("tools")),
                    Set.copyOf(Scopes.split((String) r.get("scope"))), memberWorkspaces,
                    Optional.of(Instant.ofEpochMilli(((Number) r.get("expires_at")).longValue())), Optional.empty());
            loaded = new Found(r.get("revoked_at") != null || r.get("grant_revoked_at") != null, identity,
                    (String) r.get("client_id"), (String) r.get("resource"),
                    Instant.ofEpochMilli(((Number) r.get("created_at")).longValue()));
        }
        if (generation.get() == before) {
            cache.put(hash, loaded);
        }
        return loaded;
    }

    /** Drops every cached answer the change may have altered. */
    public void invalidate(Invalidation invalidation) {
        if (invalidation instanceof Invalidation.Servers) {
            return;
        }
        generation.incrementAndGet();
        switch (invalidation) {
            case Invalidation.Credential c -> cache.invalidate(c.hash());
            case Invalidation.Grant g -> cache.asMap().values().removeIf(
                    e -> e instanceof Found f && f.identity().credentialId().equals(g.grantId()));
            case Invalidation.User u -> cache.asMap().values().removeIf(
                    e -> e instanceof Found f && f.identity().userId().equals(u.userId()));
            case Invalidation.Organization o -> cache.asMap().values().removeIf(
                    e -> e instanceof Found f && f.identity().orgId().equals(o.orgId()));
            case Invalidation.Servers s -> {
                // the servers a token reaches are fixed when it is issued
            }
            case Invalidation.All a -> cache.invalidateAll();
        }
    }
}
