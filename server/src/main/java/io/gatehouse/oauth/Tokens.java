package io.gatehouse.oauth;

import com.nimbusds.oauth2.sdk.pkce.CodeChallenge;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.gatehouse.audit.Actor;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.Targets;
import io.gatehouse.keys.KeyFormat;
import io.gatehouse.keys.KeyHasher;
import io.gatehouse.store.Database;
import io.gatehouse.store.GroupCommit;
import io.gatehouse.store.Ids;
import io.gatehouse.store.Invalidation;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Rows;
import io.gatehouse.store.Tx;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Grants, authorization codes and tokens: what the token endpoint issues, rotates and revokes.
 *
 * <p>Every secret has its own prefix and checksum ({@code gh_ac_} codes, {@code gh_at_} access
 * tokens, {@code gh_rt_} refresh tokens), so the door tells a token from a key without a lookup
 * and a mistyped one costs nothing; only their hashes are stored.
 *
 * <ul>
 *   <li>A code is single use. Presented again, it revokes every token it led to (OAuth 2.1 §4.1.3).</li>
 *   <li>A refresh token is rotated on use. For {@code oauth.refresh-reuse-grace} after that, it still
 *       works (clients refresh in parallel, or retry after losing the answer); used after that, it
 *       revokes the whole grant (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2).</li>
 *   <li>Revoking a grant refuses every one of its tokens at once, on every node (an invalidation).</li>
 * </ul>
 */
public final class Tokens {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Tokens.class.getName());
    static final KeyFormat CODE = new KeyFormat("gh_ac_");
    public static final KeyFormat ACCESS = new KeyFormat("gh_at_");
    static final KeyFormat REFRESH = new KeyFormat("gh_rt_");
    /** How many fresh refresh tokens a node remembers (under 1 KiB each). */
    private static final int FRESH_SIZE = 50_000;
    private final Database db;
    private final KeyHasher hasher;
    private final Invalidations invalidations;
    private final AuditLog audit;
    private final GatehouseConfig.OAuth config;
    private final Clock clock;
    /** First refreshes, committed together (see {@link #refresh}). */
    private final GroupCommit<Pair, Boolean> rotations;
    /** Refresh tokens this node issued and has not seen used, by hash (see {@link #remember}). */
    private final Cache<String, RefreshRow> fresh;
    /** Refreshes per grant in the current minute (from its first), for {@code oauth.max-refreshes-per-minute}. */
    private final Cache<String, java.util.concurrent.atomic.AtomicInteger> refreshesByGrant = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1)).maximumSize(100_000).build();

    /** What the token endpoint answers with. */
    public record Issued(String accessToken, String refreshToken, long expiresIn, Set<String> scopes, String grantId) {
    }

    /** What introspection tells of a live token. */
    public record Active(String kind, String clientId, String userId, String orgId, String grantId, String resource,
                         Set<String> scopes, Instant issuedAt, Instant expiresAt) {
    }

    public Tokens(Database db, KeyHasher hasher, Invalidations invalidations, AuditLog audit,
                  GatehouseConfig.OAuth config, Clock clock) {
        this.db = db;
        this.hasher = hasher;
        this.invalidations = invalidations;
        this.audit = audit;
        this.config = config;
        this.clock = clock;
        this.rotations = new GroupCommit<>(db, "refresh", 64, this::rotate);
        this.fresh = Caffeine.newBuilder().maximumSize(FRESH_SIZE)
                .expireAfterWrite(Collections.min(List.of(Duration.ofHours(24), config.refreshTokenTtl())))
                .build();
    }

    /** Commits the refreshes still waiting. */
    void close() {
        rotations.close();
    }

    // ---- grants -------------------------------------------------------------------------------

    /** The person's live grant to {@code clientId} in {@code orgId}, if any. */
    Optional<Grant> liveGrant(Handle h, String userId, String clientId, String orgId) {
        return h.createQuery("SELECT * FROM oauth_grants WHERE user_id = :u AND client_id = :c AND org_id = :o "
                        + "AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1")
                .bind("u", userId).bind("c", clientId).bind("o", orgId).map((rs, ctx) -> grant(rs)).findOne();
    }

    /** The person's live grants to {@code clientId}, any organization. */
    List<Grant> liveGrants(Handle h, String userId, String clientId) {
        return h.createQuery("SELECT * FROM oauth_grants WHERE user_id = :u AND client_id = :c AND revoked_at IS NULL "
                        + "ORDER BY updated_at DESC")
                .bind("u", userId).bind("c", clientId).map((rs, ctx) -> grant(rs)).list();
    }

    /** Records a consent: the grant for (person, client, organization), made or updated. */
    Grant consent(Tx tx, Actor actor, String userId, String orgId, String clientId, Set<String> scopes,
                  Targets workspaces, String redirectUri) {
        Handle h = tx.handle();
        Instant now = clock.instant();
        Optional<Grant> existing = liveGrant(h, userId, clientId, orgId);
        String id;
        if (existing.isPresent()) {
            id = existing.get().id();
            // What the person consented to grows: an earlier consent is not taken back by a smaller request.
            Set<String> all = new java.util.LinkedHashSet<>(existing.get().scopes());
            all.addAll(scopes);
            h.createUpdate("UPDATE oauth_grants SET scope = :s, workspaces = :w, redirect_uri = :r, updated_at = :now "
                            + "WHERE id = :id")
                    .bind("s", Scopes.format(all)).bind("w", workspaces.format()).bind("r", redirectUri)
                    .bind("now", now.toEpochMilli()).bind("id", id).execute();
        } else {
            id = Ids.next("grant");
            h.createUpdate("INSERT INTO oauth_grants (id, user_id, org_id, client_id, scope, workspaces, redirect_uri, "
                            + "created_at, updated_at) VALUES (:id, :u, :o, :c, :s, :w, :r, :now, :now)")
                    .bind("id", id).bind("u", userId).bind("o", orgId).bind("c", clientId)
                    .bind("s", Scopes.format(scopes)).bind("w", workspaces.format()).bind("r", redirectUri)
                    .bind("now", now.toEpochMilli()).execute();
        }
        audit.record(h, actor, orgId, existing.isPresent() ? "grant.updated" : "grant.created", "grant", id,
                Map.of("client_id", clientId, "scope", Scopes.format(scopes), "workspaces", workspaces.format()));
        if (existing.isPresent()) {
            tx.invalidate(new Invalidation.Grant(id));
        }
        return grantById(h, id).orElseThrow();
    }

    private static Optional<Grant> grantById(Handle h, String id) {
        return h.createQuery("SELECT * FROM oauth_grants WHERE id = :id").bind("id", id).map((rs, ctx) -> grant(rs))
                .findOne();
    }

    /** The person's grants, newest first, with the client's name; revoked ones too when {@code all}. */
    public List<Map<String, Object>> connectedApps(String userId, boolean all) {
        return db.withHandle(h -> h.createQuery("SELECT g.*, c.name AS client_name, o.name AS org_name "
                        + "FROM oauth_grants g JOIN organizations o ON o.id = g.org_id "
                        + "LEFT JOIN oauth_clients c ON c.id = g.client_id WHERE g.user_id = :u"
                        + (all ? "" : " AND g.revoked_at IS NULL") + " ORDER BY g.created_at DESC")
                .bind("u", userId)
                .map((rs, ctx) -> {
                    Grant g = grant(rs);
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("id", g.id());
                    out.put("client_id", g.clientId());
                    out.put("client_name", Optional.ofNullable(rs.getString("client_name")).orElse(g.clientId()));
                    out.put("redirect_host", Redirects.shownHost(g.redirectUri()));
                    out.put("scopes", List.copyOf(g.scopes()));
                    out.put("organization_id", g.orgId());
                    out.put("organization_name", rs.getString("org_name"));
                    out.put("workspaces", g.workspaces().all() ? "*" : List.copyOf(g.workspaces().ids()));
                    out.put("tools", g.tools().all() ? "*" : List.copyOf(g.tools().ids()));
                    out.put("granted_at", g.createdAt().toString());
                    out.put("updated_at", g.updatedAt().toString());
                    out.put("last_used_at", g.lastUsedAt().map(Instant::toString).orElse(null));
                    out.put("last_used_ip", g.lastUsedIp().orElse(null));
                    out.put("use_count", g.useCount());
                    out.put("revoked_at", g.revokedAt().map(Instant::toString).orElse(null));
                    return out;
                }).list());
    }

    public Optional<Grant> grant(String id) {
        return db.withHandle(h -> grantById(h, id));
    }

    /** Narrows (or widens back, within the person's reach) the tools a grant's tokens may use. */
    public void setTools(Actor actor, String grantId, Targets tools) {
        Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            Grant g = grantById(h, grantId).orElseThrow();
            h.createUpdate("UPDATE oauth_grants SET tools = :t, updated_at = :now WHERE id = :id")
                    .bind("t", tools.format()).bind("now", clock.millis()).bind("id", grantId).execute();
            audit.record(h, actor, g.orgId(), "grant.updated", "grant", grantId, Map.of("tools", tools.format()));
            tx.invalidate(new Invalidation.Grant(grantId));
            return null;
        });
    }

    /** Revokes a grant and every token of it, on every node. */
    public void revokeGrant(Actor actor, String grantId, String reason) {
        Tx.run(db, invalidations, tx -> {
            revokeGrant(tx, actor, grantId, reason);
            return null;
        });
    }

    private void revokeGrant(Tx tx, Actor actor, String grantId, String reason) {
        Handle h = tx.handle();
        long now = clock.millis();
        Optional<Grant> g = grantById(h, grantId);
        if (g.isEmpty() || g.get().revokedAt().isPresent()) {
            return;
        }
        h.createUpdate("UPDATE oauth_grants SET revoked_at = :now, revoked_reason = :r WHERE id = :id")
                .bind("now", now).bind("r", reason).bind("id", grantId).execute();
        h.createUpdate("UPDATE oauth_tokens SET revoked_at = :now WHERE grant_id = :id AND revoked_at IS NULL")
                .bind("now", now).bind("id", grantId).execute();
        audit.record(h, actor, g.get().orgId(), "grant.revoked", "grant", grantId,
                Map.of("client_id", g.get().clientId(), "reason", reason));
        tx.invalidate(new Invalidation.Grant(grantId));
    }

    // ---- codes --------------------------------------------------------------------------------

    /** A new authorization code for {@code grant}, bound to the client, redirect URI, PKCE challenge and resource. */
    String issueCode(Handle h, Grant grant, String clientId, String redirectUri, String codeChallenge,
                     Resources.Audience audience, Set<String> scopes) {
        String code = CODE.generate();
        Instant now = clock.instant();
        h.createUpdate("INSERT INTO oauth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, resource, "
                        + "servers, scope, created_at, expires_at) VALUES (:hash, :g, :c, :r, :cc, :res, :srv, :s, :now, :exp)")
                .bind("hash", hasher.hash(code)).bind("g", grant.id()).bind("c", clientId).bind("r", redirectUri)
                .bind("cc", codeChallenge).bind("res", audience.resource()).bind("srv", audience.servers().format())
                .bind("s", Scopes.format(scopes)).bind("now", now.toEpochMilli())
                .bind("exp", now.plus(config.codeTtl()).toEpochMilli()).execute();
        return code;
    }

    private record CodeRow(String hash, String grantId, String clientId, String redirectUri, String challenge,
                           String resource, String servers, Set<String> scopes, Instant expiresAt,
                           Optional<Instant> usedAt) {
    }

    /** Outcome of a code presented at the token endpoint. */
    private sealed interface Exchange permits Exchanged, Refused {
    }

    private record Exchanged(Pair pair) implements Exchange {
    }

    private record Refused(OAuthError error) implements Exchange {
    }

    /**
     * The authorization_code grant (OAuth 2.1 §4.1.3).
     *
     * @throws OAuthError {@code invalid_grant} for any code that is not this client's, live and unused, with
     *                    this redirect URI and a verifier that matches; {@code invalid_target} for another resource
     */
    public Issued exchangeCode(Actor actor, String clientId, String code, String redirectUri, String verifier,
                               Optional<String> resource) {
        if (!CODE.isWellFormed(code)) {
            throw OAuthError.invalidGrant("The code is not one this server issued");
        }
        String hash = hasher.hash(code);
        return issued(tx -> {
            Handle h = tx.handle();
            Optional<CodeRow> found = h.createQuery("SELECT * FROM oauth_codes WHERE code_hash = :h").bind("h", hash)
                    .map((rs, ctx) -> new CodeRow(rs.getString("code_hash"), rs.getString("grant_id"),
                            rs.getString("client_id"), rs.getString("redirect_uri"), rs.getString("code_challenge"),
                            rs.getString("resource"), rs.getString("servers"), Scopes.split(rs.getString("scope")),
                            Instant.ofEpochMilli(rs.getLong("expires_at")), Rows.instant(rs, "used_at")))
                    .findOne();
            if (found.isEmpty()) {
                return new Refused(OAuthError.invalidGrant("The code is unknown"));
            }
            CodeRow row = found.get();
            if (!row.clientId().equals(clientId)) {
                return new Refused(OAuthError.invalidGrant("The code was issued to another client"));
            }
            int claimed = row.usedAt().isPresent() ? 0
                    : h.createUpdate("UPDATE oauth_codes SET used_at = :now WHERE code_hash = :h AND used_at IS NULL")
                    .bind("now", clock.millis()).bind("h", hash).execute();
            if (claimed == 0) {
                revokeFamily(tx, actor, row.hash(), row.grantId(), "grant.code_replayed");
                return new Refused(OAuthError.invalidGrant("The code was already used; what it issued is revoked"));
            }
            if (!row.expiresAt().isAfter(clock.instant())) {
                return new Refused(OAuthError.invalidGrant("The code has expired"));
            }
            if (!row.redirectUri().equals(redirectUri)) {
                return new Refused(OAuthError.invalidGrant("redirect_uri is not the one the code was issued for"));
            }
            if (verifier == null || !pkceMatches(verifier, row.challenge())) {
                return new Refused(OAuthError.invalidGrant("code_verifier does not match the code_challenge"));
            }
            if (resource.isPresent() && !Resources.same(resource.get(), row.resource())) {
                return new Refused(OAuthError.invalidTarget("resource is not the one the code was issued for"));
            }
            Optional<String> refusal = grantRefusal(h, row.grantId());
            if (refusal.isPresent()) {
                return new Refused(OAuthError.invalidGrant(refusal.get()));
            }
            return new Exchanged(issue(h, row.grantId(), clientId, row.hash(), row.resource(), row.servers(),
                    row.scopes(), null));
        });
    }

    /** Runs an exchange in one transaction: its refusals (revocations included) are committed, then thrown. */
    private Issued issued(Tx.Work<Exchange> work) {
        return switch (Tx.run(db, invalidations, work)) {
            case Exchanged e -> {
                remember(e.pair());
                yield e.pair().issued();
            }
            case Refused r -> throw r.error();
        };
    }

    /**
     * The refresh_token grant (OAuth 2.1 §4.3), with rotation and reuse detection.
     *
     * <p>The common case, a token used for the first time, is a read and then one small write: the
     * read (and every refusal it leads to, none of which changes anything) runs outside any
     * transaction, the new pair is made there too, and the write is a conditional rotation plus the
     * new rows, committed with whatever other refreshes are waiting ({@link GroupCommit}). The
     * condition repeats every check that a concurrent change could undo (the token rotated or
     * revoked, the grant revoked, the person disabled or gone from the organization), so nothing the
     * read saw can be stale by the commit. When it fails, the whole exchange runs again in one
     * transaction, which tells a retry within the grace from a reuse.
     */
    public Issued refresh(Actor actor, String clientId, String refreshToken, Optional<Set<String>> narrower,
                          Optional<String> resource) {
        if (!REFRESH.isWellFormed(refreshToken)) {
            throw OAuthError.invalidGrant("The refresh token is not one this server issued");
        }
        String hash = hasher.hash(refreshToken);
        RefreshRow read = Optional.ofNullable(fresh.getIfPresent(hash))
                .or(() -> db.withHandle(h -> findRefresh(h, hash)))
                .orElseThrow(() -> OAuthError.invalidGrant("The refresh token is unknown"));
        fresh.invalidate(hash);
        Set<String> granted = checkRefresh(read, clientId, narrower, resource);
        boolean counted = read.rotatedAt() == null;
        if (counted) {
            refuseIfTooOften(read.grantId());
            Pair pair = newPair(read.grantId(), clientId, read.family(), read.resource(), read.servers(), granted,
                    read.id());
            if (rotations.submit(pair)) {
                remember(pair);
                pair.logIssued();
                return pair.issued();
            }
        }
        return issued(tx -> {
            Handle h = tx.handle();
            Optional<RefreshRow> found = findRefresh(h, hash);
            if (found.isEmpty()) {
                return new Refused(OAuthError.invalidGrant("The refresh token is unknown"));
            }
            RefreshRow t = found.get();
            Set<String> scopes;
            try {
                scopes = checkRefresh(t, clientId, narrower, resource);
            } catch (OAuthError refused) {
                return new Refused(refused);
            }
            long now = clock.millis();
            // First use: this transaction rotates it. Otherwise (used before, or rotated a moment ago by a
            // parallel refresh that committed first) it is a reuse.
            boolean first = t.rotatedAt() == null && h.createUpdate(
                    "UPDATE oauth_tokens SET rotated_at = :now WHERE id = :id AND rotated_at IS NULL")
                    .bind("now", now).bind("id", t.id()).execute() == 1;
            if (!first) {
                long rotated = t.rotatedAt() == null ? now : t.rotatedAt();
                // Used before. Inside the grace window, and while nothing it issued has been used in turn,
                // it is a retry or a parallel refresh (CLIENTS.md: Claude.ai refreshes from two places at
                // once). Otherwise whoever uses it holds a copy of a spent token: the grant goes.
                boolean late = now - rotated > config.refreshGrace().toMillis();
                boolean successorUsed = h.createQuery("SELECT 1 FROM oauth_tokens WHERE parent = :id "
                        + "AND rotated_at IS NOT NULL LIMIT 1").bind("id", t.id()).mapTo(Integer.class).findOne()
                        .isPresent();
                if (late || successorUsed) {
                    revokeGrant(tx, actor, t.grantId(), "refresh_token_reused");
                    return new Refused(OAuthError.invalidGrant(
                            "The refresh token was already used; every token of this grant is revoked"));
                }
            }
            // After reuse detection (a replayed spent token revokes its grant, limit or not); thrown, so
            // that the rotation above is rolled back and the token stays good. Counted once per refresh.
            if (!counted) {
                refuseIfTooOften(t.grantId());
            }
            return new Exchanged(issue(h, t.grantId(), clientId, t.family(), t.resource(), t.servers(), scopes,
                    t.id()));
        });
    }

    /**
     * Each refresh writes two rows kept for weeks: past {@code oauth.max-refreshes-per-minute} for
     * one grant on this node, a client refreshing in a loop is told to wait out the minute.
     */
    private void refuseIfTooOften(String grantId) {
        if (config.maxRefreshesPerMinute() > 0 && refreshesByGrant.get(grantId,
                g -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet() > config.maxRefreshesPerMinute()) {
            throw OAuthError.slowDown("This grant was refreshed too often; try again in a minute", 60);
        }
    }

    /**
     * What a refresh needs of a refresh token's row. {@code grantRefusal} is why its grant can issue
     * nothing more (revoked, the person disabled or gone from the organization), if it cannot.
     */
    private record RefreshRow(String id, String grantId, String clientId, String family, String resource,
                              String servers, String scope, long expiresAt, Long rotatedAt, boolean revoked,
                              Optional<String> grantRefusal) {
    }

    private static Optional<RefreshRow> findRefresh(Handle h, String hash) {
        return h.createQuery("SELECT t.id, t.grant_id, t.family, t.resource, t.servers, "
                        + "t.scope, t.expires_at, t.rotated_at, t.revoked_at, g.client_id, "
                        + "g.revoked_at AS grant_revoked_at, u.disabled_at, m.role FROM oauth_tokens t "
                        + "JOIN oauth_grants g ON g.id = t.grant_id JOIN users u ON u.id = g.user_id "
                        + "LEFT JOIN memberships m ON m.org_id = g.org_id AND m.user_id = g.user_id "
                        + "WHERE t.token_hash = :h AND t.kind = 'refresh'")
                .bind("h", hash).mapToMap().findOne()
                .map(t -> new RefreshRow((String) t.get("id"), (String) t.get("grant_id"), (String) t.get("client_id"),
                        (String) t.get("family"), (String) t.get("resource"), (String) t.get("servers"),
                        (String) t.get("scope"), ((Number) t.get("expires_at")).longValue(),
                        t.get("rotated_at") == null ? null : ((Number) t.get("rotated_at")).longValue(),
                        t.get("revoked_at") != null, grantRefusal(t)));
    }

    /**
     * Keeps what a refresh needs of a refresh token this node has just issued, so that its use (most
     * often here, and soon) needs no read. Only what cannot change is trusted from here: whether it
     * was used or revoked, and its grant's state, are checked again by {@link #rotate}'s condition.
     */
    private void remember(Pair pair) {
        fresh.put(pair.refreshHash(), new RefreshRow(pair.refreshId(), pair.grantId(), pair.clientId(), pair.family(),
                pair.resource(), pair.servers(), Scopes.format(pair.issued().scopes()), pair.refreshExpires(), null,
                false, Optional.empty()));
    }

    /**
     * The scopes a refresh with this token's row issues, or the refusal it leads to (none of which
     * changes anything: a request the server cannot grant leaves the token as it was).
     */
    private Set<String> checkRefresh(RefreshRow t, String clientId, Optional<Set<String>> narrower,
                                     Optional<String> resource) {
        if (!clientId.equals(t.clientId())) {
            throw OAuthError.invalidGrant("The refresh token was issued to another client");
        }
        if (t.revoked()) {
            throw OAuthError.invalidGrant("The refresh token has been revoked");
        }
        if (t.expiresAt() <= clock.millis()) {
            throw OAuthError.invalidGrant("The refresh token has expired");
        }
        if (t.grantRefusal().isPresent()) {
            throw OAuthError.invalidGrant(t.grantRefusal().get());
        }
        Set<String> scopes = Scopes.split(t.scope());
        if (narrower.isPresent()) {
            if (!scopes.containsAll(narrower.get())) {
                throw OAuthError.invalidScope("A refresh may narrow the scope, not widen it");
            }
            scopes = narrower.get();
        }
        if (resource.isPresent() && !Resources.same(resource.get(), t.resource())) {
            throw OAuthError.invalidTarget("resource is not the one the grant was issued for");
        }
        return scopes;
    }

    /**
     * The group-committed write of first refreshes: each token rotated if it still may be, then the
     * new pairs of those that were stored. False for a pair whose condition failed (nothing of it was
     * written). The same token twice in one batch (a parallel refresh) rotates once.
     */
    private List<Boolean> rotate(Handle h, List<Pair> pairs) {
        PreparedBatch update = h.prepareBatch("UPDATE oauth_tokens SET rotated_at = :now WHERE id = :id "
                + "AND rotated_at IS NULL AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM oauth_grants g "
                + "JOIN users u ON u.id = g.user_id "
                + "JOIN memberships m ON m.org_id = g.org_id AND m.user_id = g.user_id "
                + "WHERE g.id = :g AND g.revoked_at IS NULL AND u.disabled_at IS NULL)");
        for (Pair p : pairs) {
            update.bind("now", p.createdAt()).bind("id", p.parent()).bind("g", p.grantId()).add();
        }
        int[] rotated = update.execute();
        List<Boolean> done = new ArrayList<>(pairs.size());
        List<Pair> stored = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            done.add(rotated[i] == 1);
            if (rotated[i] == 1) {
                stored.add(pairs.get(i));
            }
        }
        insert(h, stored);
        return done;
    }

    /** Why a grant can issue no more tokens (revoked, its person disabled or gone from the organization). */
    private static Optional<String> grantRefusal(Handle h, String grantId) {
        Map<String, Object> g = h.createQuery("SELECT g.revoked_at AS grant_revoked_at, u.disabled_at, m.role "
                        + "FROM oauth_grants g JOIN users u ON u.id = g.user_id "
                        + "LEFT JOIN memberships m ON m.org_id = g.org_id AND m.user_id = g.user_id WHERE g.id = :id")
                .bind("id", grantId).mapToMap().findOne().orElse(null);
        return g == null ? Optional.of("The grant has been revoked") : grantRefusal(g);
    }

    /** The same from a row that holds grant_revoked_at, disabled_at and role. */
    private static Optional<String> grantRefusal(Map<String, Object> g) {
        if (g.get("grant_revoked_at") != null) {
            return Optional.of("The grant has been revoked");
        }
        if (g.get("disabled_at") != null) {
            return Optional.of("The person is disabled");
        }
        if (g.get("role") == null) {
            return Optional.of("The person is no longer a member of the organization");
        }
        return Optional.empty();
    }

    /** Stores a new pair in {@code h}'s transaction; {@link #issued} remembers it once that commits. */
    private Pair issue(Handle h, String grantId, String clientId, String family, String resource, String servers,
                       Set<String> scopes, String parent) {
        Pair pair = newPair(grantId, clientId, family, resource, servers, scopes, parent);
        insert(h, List.of(pair));
        pair.logIssued();
        return pair;
    }

    /** A new access and refresh token, made but not yet stored; the secrets live only in {@code issued}. */
    private record Pair(Issued issued, String clientId, String accessId, String accessHash, String refreshId,
                        String refreshHash, String family, String resource, String servers, long createdAt, long accessExpires,
                        long refreshExpires, String parent) {
        String grantId() {
            return issued.grantId();
        }

        void logIssued() {
            // Clients sometimes never use what they were given (CLIENTS.md): the log shows issue, the grant first use.
            LOG.info(() -> "issued an access and a refresh token for grant " + grantId() + " (audience " + resource + ")");
        }
    }

    private Pair newPair(String grantId, String clientId, String family, String resource, String servers,
                         Set<String> scopes, String parent) {
        Instant now = clock.instant();
        String access = ACCESS.generate();
        String refresh = REFRESH.generate();
        return new Pair(new Issued(access, refresh, config.accessTokenTtl().toSeconds(), scopes, grantId), clientId,
                Ids.ordered("tok", now.toEpochMilli()), hasher.hash(access), Ids.ordered("tok", now.toEpochMilli()),
                hasher.hash(refresh), family, resource, servers,
                now.toEpochMilli(), now.plus(config.accessTokenTtl()).toEpochMilli(),
                now.plus(config.refreshTokenTtl()).toEpochMilli(), parent);
    }

    /** Stores new pairs, the statement prepared once for all of them. */
    private static void insert(Handle h, List<Pair> pairs) {
        if (pairs.isEmpty()) {
            return;
        }
        // Both rows in one statement: a refresh is a write on the hot path of every MCP client.
        PreparedBatch insert = h.prepareBatch("INSERT INTO oauth_tokens (id, token_hash, kind, grant_id, family, "
                + "resource, servers, scope, created_at, expires_at, parent) VALUES "
                + "(:aid, :ahash, 'access', :g, :f, :res, :srv, :s, :at, :aexp, NULL), "
                + "(:rid, :rhash, 'refresh', :g, :f, :res, :srv, :s, :at, :rexp, :parent)");
        for (Pair p : pairs) {
            insert.bind("aid", p.accessId()).bind("ahash", p.accessHash())
                    .bind("rid", p.refreshId()).bind("rhash", p.refreshHash())
                    .bind("g", p.grantId()).bind("f", p.family()).bind("res", p.resource()).bind("srv", p.servers())
                    .bind("s", Scopes.format(p.issued().scopes())).bind("at", p.createdAt())
                    .bind("aexp", p.accessExpires()).bind("rexp", p.refreshExpires()).bind("parent", p.parent()).add();
        }
        insert.execute();
    }

    /**
     * Revokes every token a code led to: the code was presented twice ({@code grant.code_replayed}), or
     * a refresh token of the family was revoked ({@code grant.tokens_revoked}).
     */
    private void revokeFamily(Tx tx, Actor actor, String family, String grantId, String action) {
        Handle h = tx.handle();
        List<String> hashes = h.createQuery("SELECT token_hash FROM oauth_tokens WHERE family = :f AND revoked_at IS NULL")
                .bind("f", family).mapTo(String.class).list();
        h.createUpdate("UPDATE oauth_tokens SET revoked_at = :now WHERE family = :f AND revoked_at IS NULL")
                .bind("now", clock.millis()).bind("f", family).execute();
        for (String tokenHash : hashes) {
            tx.invalidate(new Invalidation.Credential(tokenHash));
        }
        String org = h.createQuery("SELECT org_id FROM oauth_grants WHERE id = :id").bind("id", grantId)
                .mapTo(String.class).findOne().orElse(null);
        audit.record(h, actor, org, action, "grant", grantId, Map.of("tokens_revoked", hashes.size()));
    }

    // ---- revocation and introspection ---------------------------------------------------------

    /**
     * RFC 7009: revokes {@code token} if it is one of {@code clientId}'s (a refresh token takes its
     * whole family with it). An unknown token, or another client's, changes nothing.
     */
    public void revoke(Actor actor, String clientId, String token) {
        if (!ACCESS.isWellFormed(token) && !REFRESH.isWellFormed(token)) {
            return;
        }
        String hash = hasher.hash(token);
        Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            Optional<Map<String, Object>> t = h.createQuery("SELECT t.kind, t.family, t.grant_id, g.client_id "
                            + "FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id WHERE t.token_hash = :h")
                    .bind("h", hash).mapToMap().findOne();
            if (t.isEmpty() || !clientId.equals(t.get().get("client_id"))) {
                return null;
            }
            if ("refresh".equals(t.get().get("kind"))) {
                revokeFamily(tx, actor, (String) t.get().get("family"), (String) t.get().get("grant_id"),
                        "grant.tokens_revoked");
            } else {
                h.createUpdate("UPDATE oauth_tokens SET revoked_at = :now WHERE token_hash = :h AND revoked_at IS NULL")
                        .bind("now", clock.millis()).bind("h", hash).execute();
                tx.invalidate(new Invalidation.Credential(hash));
            }
            return null;
        });
    }

    /**
     * RFC 7662 for a refresh token (access tokens are answered by {@link TokenVerifier#introspect}):
     * empty when it is not live (unknown, revoked, expired, spent past its grace, its grant gone).
     */
    public Optional<Active> introspectRefresh(String token) {
        if (!REFRESH.isWellFormed(token)) {
            return Optional.empty();
        }
        String hash = hasher.hash(token);
        long now = clock.millis();
        return db.withHandle(h -> h.createQuery("SELECT t.*, g.client_id, g.user_id, g.org_id FROM oauth_tokens t "
                        + "JOIN oauth_grants g ON g.id = t.grant_id JOIN users u ON u.id = g.user_id "
                        + "JOIN memberships m ON m.org_id = g.org_id AND m.user_id = g.user_id "
                        + "WHERE t.token_hash = :h AND t.kind = 'refresh' AND t.revoked_at IS NULL AND g.revoked_at IS NULL "
                        + "AND u.disabled_at IS NULL AND t.expires_at > :now "
                        + "AND (t.rotated_at IS NULL OR t.rotated_at >= :graceStart)")
                .bind("h", hash).bind("now", now).bind("graceStart", now - config.refreshGrace().toMillis())
                .map((rs, ctx) -> new Active(rs.getString("kind"), rs.getString("client_id"), rs.getString("user_id"),
                        rs.getString("org_id"), rs.getString("grant_id"), rs.getString("resource"),
                        Scopes.split(rs.getString("scope")), Instant.ofEpochMilli(rs.getLong("created_at")),
                        Instant.ofEpochMilli(rs.getLong("expires_at"))))
                .findOne());
    }

    /** Removes codes, and tokens that expired or were revoked more than a day ago. */
    public int sweep() {
        long before = clock.millis() - 86_400_000L;
        return db.withHandle(h -> h.createUpdate("DELETE FROM oauth_codes WHERE expires_at < :t").bind("t", before).execute()
                + h.createUpdate("DELETE FROM oauth_tokens WHERE expires_at < :t OR revoked_at < :t").bind("t", before)
                .execute());
    }

    static boolean pkceMatches(String verifier, String challenge) {
        try {
            String computed = CodeChallenge.compute(CodeChallengeMethod.S256, new CodeVerifier(verifier)).getValue();
            return MessageDigest.isEqual(computed.getBytes(StandardCharsets.US_ASCII),
                    challenge.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException malformed) {
            return false;
        }
    }

    static Grant grant(ResultSet rs) throws SQLException {
        return new Grant(rs.getString("id"), rs.getString("user_id"), rs.getString("org_id"), rs.getString("client_id"),
                Scopes.split(rs.getString("scope")), Targets.parse(rs.getString("workspaces")),
                Targets.parse(rs.getString("tools")), rs.getString("redirect_uri"), Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")),
                Rows.instant(rs, "last_used_at"),
                Optional.ofNullable(rs.getString("last_used_ip")), rs.getLong("use_count"),
                Rows.instant(rs, "revoked_at"));
    }
}
