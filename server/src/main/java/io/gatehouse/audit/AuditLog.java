package io.gatehouse.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.store.Ids;
import io.gatehouse.store.Rows;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Who did what to which credential or account, when, from where. Written in the same transaction
 * as the change it records, so a change without its event (or the reverse) cannot happen. Details
 * never carry secrets: ids, names and masked prefixes only.
 */
public final class AuditLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Clock clock;

    public AuditLog(Clock clock) {
        this.clock = clock;
    }

    /** @param operatorActor whether an operator credential (or the command line) acted */
    public record Event(String id, Instant at, Optional<String> orgId, Optional<String> actorUserId,
                        Optional<String> actorCredentialId, boolean operatorActor, String action, Optional<String> targetType,
                        Optional<String> targetId, String address, String requestId, Map<String, Object> detail) {
    }

    public void record(Handle h, Actor actor, String orgId, String action, String targetType, String targetId,
                       Map<String, Object> detail) {
        String detailJson;
        try {
            detailJson = JSON.writeValueAsString(detail);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        h.createUpdate("INSERT INTO audit_events (id, at, org_id, actor_user_id, actor_credential_id, actor_kind, "
                        + "action, target_type, target_id, ip, request_id, detail) "
                        + "VALUES (:id, :at, :org, :user, :cred, :kind, :action, :type, :target, :ip, :rid, :detail)")
                .bind("id", Ids.next("evt")).bind("at", clock.millis()).bind("org", orgId)
                .bind("user", actor.userId().orElse(null)).bind("cred", actor.credentialId().orElse(null))
                .bind("kind", actor.operator() ? "operator" : "user")
                .bind("action", action).bind("type", targetType).bind("target", targetId)
                .bind("ip", actor.address()).bind("rid", actor.requestId()).bind("detail", detailJson)
                .execute();
    }

    /** Newest first; {@code orgId} empty lists every organisation's events. */
    @SuppressWarnings("unchecked")
    public List<Event> list(Handle h, Optional<String> orgId, int limit) {
        String where = orgId.isPresent() ? "WHERE org_id = :org " : "";
        var query = h.createQuery("SELECT * FROM audit_events " + where + "ORDER BY at DESC, id DESC LIMIT :limit")
                .bind("limit", limit);
        orgId.ifPresent(o -> query.bind("org", o));
        return query.map((rs, ctx) -> {
            Map<String, Object> detail;
            try {
                detail = rs.getString("detail") == null ? Map.of() : JSON.readValue(rs.getString("detail"), Map.class);
            } catch (java.io.IOException e) {
                detail = Map.of();
            }
            return new Event(rs.getString("id"), Rows.instant(rs, "at").orElseThrow(),
                    Optional.ofNullable(rs.getString("org_id")), Optional.ofNullable(rs.getString("actor_user_id")),
                    Optional.ofNullable(rs.getString("actor_credential_id")), "operator".equals(rs.getString("actor_kind")),
                    rs.getString("action"),
                    Optional.ofNullable(rs.getString("target_type")), Optional.ofNullable(rs.getString("target_id")),
                    rs.getString("ip"), rs.getString("request_id"), detail);
        }).list();
    }
}
