package io.gatehouse.audit;

import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.http.ApiError;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.Routes;
import io.gatehouse.store.Database;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** {@code GET /v1/audit}: an organisation's audit events, newest first. */
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
                    .or(() -> p.instanceAdmin() ? Optional.empty() : Optional.of(p.orgId()));
            if (org.isEmpty() ? !p.instanceAdmin() : !p.canManage(org.get())) {
                throw ApiError.forbidden("not_org_admin", "Only an owner or admin can read the audit log");
            }
            int limit = req.query().first("limit").asOptional().map(AuditEndpoint::limit).orElse(100);
            Json.ok(res, Map.of("data", db.withHandle(h -> audit.list(h, org, limit)).stream().map(e -> {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("id", e.id());
                out.put("at", e.at().toString());
                out.put("organization_id", e.orgId().orElse(null));
                out.put("actor_user_id", e.actorUserId().orElse(null));
                out.put("actor_credential_id", e.actorCredentialId().orElse(null));
                out.put("action", e.action());
                out.put("target_type", e.targetType().orElse(null));
                out.put("target_id", e.targetId().orElse(null));
                out.put("ip", e.address());
                out.put("request_id", e.requestId());
                out.put("detail", e.detail());
                return out;
            }).toList()));
        });
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
