package io.gatehouse.accounts;

import io.gatehouse.audit.Actor;
import io.gatehouse.door.Role;
import io.gatehouse.accounts.Accounts.Invitation;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Body;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code /v1/orgs/{id}/invitations} for an organization's owners and admins, and
 * {@code POST /v1/invitations/accept} for the person invited: the token travels in the body.
 */
public final class InvitationsEndpoint {
    private final InvitationService invitations;
    private final Guard guard;
    private final Clock clock;

    public InvitationsEndpoint(InvitationService invitations, Guard guard, Clock clock) {
        this.invitations = invitations;
        this.guard = guard;
        this.clock = clock;
    }

    public void register(Routes routes) {
        routes.post("/v1/orgs/{id}/invitations", this::invite)
                .get("/v1/orgs/{id}/invitations", (req, res) -> {
                    Principal p = guard.admit(req, Requirement.management(Permissions.ADMIN_READ));
                    Instant now = clock.instant();
                    Json.ok(res, Map.of("data", invitations.list(p, param(req, "id")).stream()
                            .map(i -> view(i, now)).toList()));
                })
                .post("/v1/orgs/{id}/invitations/{invitation}/revoke", (req, res) -> {
                    Principal p = guard.admit(req, Requirement.management(Permissions.ADMIN_WRITE));
                    guard.optionalBody(req).allow();
                    Invitation revoked = invitations.revoke(p, Actor.of(p, req), param(req, "id"),
                            param(req, "invitation"));
                    Json.ok(res, view(revoked, clock.instant()));
                })
                .post("/v1/invitations/accept", this::accept);
    }

    private void invite(ServerRequest req, ServerResponse res) {
        Principal p = guard.admit(req, Requirement.management(Permissions.ADMIN_WRITE));
        Body body = guard.body(req).allow("email", "role", "workspaces", "expires_in_days");
        String email = AccountsEndpoint.email(body, "email");
        Role role = body.optString("role", 16).map(r -> Role.parse(r)
                .orElseThrow(() -> ApiError.invalid("role: must be owner, admin or member"))).orElse(Role.MEMBER);
        Set<String> workspaces = body.optStringSet("workspaces", 1000).orElse(Set.of());
        Duration ttl = body.optLong("expires_in_days", 1, InvitationService.MAX_TTL.toDays()).map(Duration::ofDays)
                .orElse(InvitationService.DEFAULT_TTL);
        InvitationService.Invited invited = invitations.invite(p, Actor.of(p, req), param(req, "id"), email, role,
                workspaces, ttl);
        Json.send(res, Status.CREATED_201, shownOnce(invited));
    }

    /**
     * Anyone holding the token may try; what decides is who they are: the person the invitation names,
     * with a credential of theirs (any of their organizations), or nobody yet when no account has the email.
     */
    private void accept(ServerRequest req, ServerResponse res) {
        Optional<Principal> caller = guard.admitIfPresent(req, Requirement.management());
        // A key that may not manage its owner's keys does not speak for them here either.
        caller.ifPresent(p -> p.requireAny(Permissions.KEYS_SELF, Permissions.ADMIN_WRITE));
        Body body = guard.body(req).allow("token", "password");
        String token = body.string("token", 128).strip();
        Optional<String> password = body.optString("password", Passwords.MAX_LENGTH);
        if (password.isPresent() && caller.isPresent()) {
            throw ApiError.invalid("password: only a new account chooses one here; yours has its own way to sign in");
        }
        password.map(Passwords::weakness).ifPresent(why -> {
            throw ApiError.invalid("password: " + why);
        });
        if (!token.startsWith(InvitationService.TOKEN_PREFIX)) {
            throw ApiError.invalid("token: not an invitation token (they start with " + InvitationService.TOKEN_PREFIX + ")");
        }
        RequestInfo info = RequestInfo.of(req);
        InvitationService.Accepted accepted = invitations.accept(caller, token, password, info.clientAddress(),
                info.requestId());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "invitation_acceptance");
        out.put("organization", AccountsEndpoint.view(accepted.organization()));
        out.put("member", AccountsEndpoint.view(accepted.member()));
        out.put("account_created", accepted.accountCreated());
        out.put("key", accepted.firstKey());
        Json.send(res, Status.CREATED_201, out);
    }

    /** A new invitation as its maker sees it: the token included, this once. */
    static Map<String, Object> shownOnce(InvitationService.Invited invited) {
        Map<String, Object> out = view(invited.invitation(), invited.invitation().createdAt());
        out.put("token", invited.token());
        out.put("token_shown_once", true);
        return out;
    }

    static Map<String, Object> view(Invitation i, Instant now) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", i.id());
        out.put("object", "invitation");
        out.put("organization_id", i.orgId());
        out.put("email", i.email());
        out.put("role", i.role().wire());
        out.put("workspaces", new TreeSet<>(i.workspaces()));
        out.put("state", i.state(now).wire());
        out.put("created_at", i.createdAt().toString());
        out.put("expires_at", i.expiresAt().toString());
        out.put("accepted_at", i.acceptedAt().map(Instant::toString).orElse(null));
        out.put("accepted_by", i.acceptedBy().orElse(null));
        out.put("revoked_at", i.revokedAt().map(Instant::toString).orElse(null));
        return out;
    }

    private static String param(ServerRequest req, String name) {
        return req.path().pathParameters().get(name);
    }
}
