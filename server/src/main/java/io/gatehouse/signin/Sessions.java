package io.gatehouse.signin;

import io.gatehouse.audit.Actor;
import io.gatehouse.audit.AuditLog;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.store.Database;
import io.gatehouse.web.Browser;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import io.gatehouse.store.Ids;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Browser sessions: a random 43-character token in the session cookie, its SHA-256 in
 * {@code web_sessions}. A session ends at its expiry, at sign-out, or when its person is disabled.
 * Control-plane pages only: the data plane never reads a session.
 */
public final class Sessions {
    public static final String COOKIE = "gh_session";
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9]{43}");
    private final Database db;
    private final Browser browser;
    private final AuditLog audit;
    private final Duration ttl;
    private final Clock clock;

    /** A live session: who, and since when. */
    public record Session(String id, String userId, String email, Instant createdAt, Instant expiresAt) {
    }

    public Sessions(Database db, Browser browser, AuditLog audit, Duration ttl, Clock clock) {
        this.db = db;
        this.browser = browser;
        this.audit = audit;
        this.ttl = ttl;
        this.clock = clock;
    }

    /**
     * Signs {@code userId} in in this browser: a new session (never one the browser brought), its
     * cookie on {@code res}, and {@code user.signed_in} in the audit log, saying how ({@code method}).
     */
    public void begin(ServerResponse res, String userId, String method, RequestInfo info) {
        String token = start(userId, method, info.clientAddress());
        db.withHandle(h -> {
            audit.record(h, Actor.newcomer(userId, info.clientAddress(), info.requestId()), null, "user.signed_in",
                    "user", userId, Map.of("method", method));
            return null;
        });
        browser.setCookie(res, COOKIE, token, Optional.of(ttl));
    }

    /** Starts a session for {@code userId}; returns the cookie's value, shown to this browser only. */
    private String start(String userId, String method, String address) {
        String token = Ids.random(43);
        Instant now = clock.instant();
        db.withHandle(h -> h.createUpdate("INSERT INTO web_sessions (id, token_hash, user_id, created_at, expires_at, ip, "
                        + "method) VALUES (:id, :hash, :user, :now, :exp, :ip, :method)")
                .bind("id", Ids.next("ses")).bind("hash", hash(token)).bind("user", userId)
                .bind("now", now.toEpochMilli()).bind("exp", now.plus(ttl).toEpochMilli()).bind("ip", address)
                .bind("method", method).execute());
        return token;
    }


    /** The live session the cookie names, if any: not expired, not ended, its person enabled. */
    public Optional<Session> find(Optional<String> cookie) {
        if (cookie.isEmpty() || !TOKEN.matcher(cookie.get()).matches()) {
            return Optional.empty();
        }
        String hash = hash(cookie.get());
        long now = clock.millis();
        return db.withHandle(h -> h.createQuery("SELECT s.id, s.user_id, u.email, s.created_at, s.expires_at "
                        + "FROM web_sessions s JOIN users u ON u.id = s.user_id "
                        + "WHERE s.token_hash = :hash AND s.revoked_at IS NULL AND s.expires_at > :now "
                        + "AND u.disabled_at IS NULL AND u.kind = 'person'")
                .bind("hash", hash).bind("now", now)
                .map((rs, ctx) -> new Session(rs.getString("id"), rs.getString("user_id"), rs.getString("email"),
                        Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("expires_at"))))
                .findOne());
    }

    public void end(String sessionId) {
        db.withHandle(h -> h.createUpdate("UPDATE web_sessions SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("now", clock.millis()).bind("id", sessionId).execute());
    }

    /** Ends every session of a person (a password change, a disabled account). */
    public void endAll(String userId) {
        db.withHandle(h -> h.createUpdate("UPDATE web_sessions SET revoked_at = :now WHERE user_id = :u AND revoked_at IS NULL")
                .bind("now", clock.millis()).bind("u", userId).execute());
    }

    /** Removes sessions that ended more than a day ago. */
    public int sweep() {
        long before = clock.millis() - Duration.ofDays(1).toMillis();
        return db.withHandle(h -> h.createUpdate("DELETE FROM web_sessions WHERE expires_at < :t OR revoked_at < :t")
                .bind("t", before).execute());
    }

    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
