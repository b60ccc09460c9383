package io.gatehouse.audit;

import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.Routes;
import io.gatehouse.store.Database;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code GET /v1/audit}: audit events, newest first. An operator reads any organization's, or all;
 * an organization's owners and admins read their own, where an actor from outside the organization
 * appears as {@code "operator"} (an operator credential or the command line) or by an opaque id that
 * is stable within the organization and names no user: never a user id they could reuse.
 */
public final class AuditEndpoint {
    private final AuditLog audit;
    private final Database db;
    private final Guard guard;

    public AuditEndpoint(AuditLog audit, Database db, Guard guard) {
        this.audit = audit;
        this.db = db;
        this.guard = guard;
    }

    public void register(Routes routes) {
        routes.get("/v1/audit", (req, res) -> {
            Principal p = guard.admit(req, Requirement.management(Permissions.ADMIN_READ));
            Optional<String> org = req.query().first("organization_id").asOptional()
                    .or(() -> p.operator() ? Optional.empty() : Optional.of(p.orgId()));
            if (org.isEmpty() ? !p.operator() : !p.canManage(org.get())) {
                throw ApiError.forbidden("not_org_admin", "Only an owner or admin can read the audit log");
            }
            int limit = req.query().first("limit").asOptional().map(AuditEndpoint::limit).orElse(100);
            Json.ok(res, Map.of("data", db.withHandle(h -> {
                Set<String> members = p.operator() ? Set.of() : new HashSet<>(h.createQuery(
                        "SELECT user_id FROM memberships WHERE org_id = :org").bind("org", org.orElseThrow())
                        .mapTo(String.class).list());
                return audit.list(h, org, limit).stream().map(e -> view(e, p.operator(), members)).toList();
            })));
        });
    }

    private static Map<String, Object> view(AuditLog.Event e, boolean operatorReads, Set<String> members) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", e.id());
        out.put("at", e.at().toString());
        out.put("organization_id", e.orgId().orElse(null));
        boolean insider = e.actorUserId().map(members::contains).orElse(false) && !e.operatorActor();
        if (operatorReads || insider) {
            out.put("actor", e.operatorActor() ? "operator" : "user");
            out.put("actor_user_id", e.actorUserId().orElse(null));
            out.put("actor_credential_id", e.actorCredentialId().orElse(null));
            out.put("ip", e.address());
        } else {
            out.put("actor", e.operatorActor() ? "operator" : "outsider");
            out.put("actor_user_id", e.operatorActor() ? null : e.actorUserId().map(u -> opaque(e.orgId(), u)).orElse(null));
            out.put("actor_credential_id", null);
            out.put("ip", null);
        }
        out.put("action", e.action());
        out.put("target_type", e.targetType().orElse(null));
        out.put("target_id", e.targetId().orElse(null));
        out.put("request_id", e.requestId());
        out.put("detail", e.detail());
        return out;
    }

    /** A stable stand-in for a user outside the organization: the same within one organization, reusable nowhere. */
    private static String opaque(Optional<String> orgId, String userId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((orgId.orElse("") + "/" + userId).getBytes(StandardCharsets.UTF_8));
            return "outsider_" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int limit(String raw) {
        try {
            int n = Integer.parseInt(raw);
            if (n >= 1 && n <= 1000) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw ApiError.invalid("limit: must be a whole number from 1 to 1000");
    }
}
