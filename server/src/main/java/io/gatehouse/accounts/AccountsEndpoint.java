package io.gatehouse.accounts;

import io.gatehouse.audit.Actor;
import io.gatehouse.door.Role;
import io.gatehouse.accounts.Accounts.Member;
import io.gatehouse.accounts.Accounts.Organization;
import io.gatehouse.accounts.Accounts.User;
import io.gatehouse.accounts.Accounts.Workspace;
import io.gatehouse.accounts.Accounts.WorkspaceMember;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Body;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.Routes;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * {@code /v1/whoami}, {@code /v1/users}, {@code /v1/orgs} with members, service accounts and
 * workspaces, {@code /v1/workspaces}.
 */
public final class AccountsEndpoint {
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]{1,255}");
    private final AccountService accounts;
    private final InvitationService invitations;
    private final Guard guard;

    public AccountsEndpoint(AccountService accounts, InvitationService invitations, Guard guard) {
        this.accounts = accounts;
        this.invitations = invitations;
        this.guard = guard;
    }

    public void register(Routes routes) {
        routes.post("/v1/users", this::createUser)
                .get("/v1/users", (req, res) -> list(res, accounts.users(read(req)), AccountsEndpoint::view))
                .get("/v1/users/{id}", (req, res) -> Json.ok(res, view(accounts.user(read(req), id(req)))))
                .post("/v1/users/{id}/disable", (req, res) -> setDisabled(req, res, true))
                .post("/v1/users/{id}/enable", (req, res) -> setDisabled(req, res, false))
                .post("/v1/orgs", this::createOrganization)
                .get("/v1/orgs", (req, res) -> list(res, accounts.organizations(read(req)), AccountsEndpoint::view))
                .get("/v1/orgs/{id}", (req, res) -> Json.ok(res, view(accounts.organization(read(req), id(req)))))
                .patch("/v1/orgs/{id}", this::updateOrganization)
                .get("/v1/orgs/{id}/members", (req, res) ->
                        list(res, accounts.members(read(req), id(req)), AccountsEndpoint::view))
                .put("/v1/orgs/{id}/members/{user}", this::putMember)
                .post("/v1/orgs/{id}/service-accounts", this::createServiceAccount)
                .delete("/v1/orgs/{id}/members/{user}", (req, res) -> {
                    Principal p = write(req);
                    accounts.removeMember(p, Actor.of(p, req), id(req), param(req, "user"));
                    res.status(Status.NO_CONTENT_204).send();
                })
                .post("/v1/orgs/{id}/workspaces", (req, res) -> {
                    Principal p = write(req);
                    String name = name(guard.body(req).allow("name"));
                    Json.send(res, Status.CREATED_201, view(accounts.createWorkspace(p, Actor.of(p, req), id(req), name)));
                })
                .get("/v1/orgs/{id}/workspaces", (req, res) ->
                        list(res, accounts.workspaces(read(req), id(req)), AccountsEndpoint::view))
                .get("/v1/workspaces/{id}", (req, res) -> Json.ok(res, view(accounts.workspace(read(req), id(req)))))
                .delete("/v1/workspaces/{id}", (req, res) -> {
                    Principal p = write(req);
                    accounts.deleteWorkspace(p, Actor.of(p, req), id(req));
                    res.status(Status.NO_CONTENT_204).send();
                })
                .get("/v1/workspaces/{id}/members", (req, res) ->
                        list(res, accounts.workspaceMembers(read(req), id(req)), AccountsEndpoint::view))
                .put("/v1/workspaces/{id}/members/{user}", (req, res) -> {
                    Principal p = write(req);
                    guard.optionalBody(req).allow();
                    Json.ok(res, view(accounts.addWorkspaceMember(p, Actor.of(p, req), id(req), param(req, "user"))));
                })
                .delete("/v1/workspaces/{id}/members/{user}", (req, res) -> {
                    Principal p = write(req);
                    accounts.removeWorkspaceMember(p, Actor.of(p, req), id(req), param(req, "user"));
                    res.status(Status.NO_CONTENT_204).send();
                });
    }

    /** {@code GET /v1/whoami}'s answer (served on the edge: see {@code keys.DoorRoutes}): the caller as the door sees it. */
    public static Map<String, Object> whoami(Principal p) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("credential_id", p.credentialId());
        out.put("credential_kind", p.identity().kind().wire());
        out.put("user_id", p.userId());
        out.put("organization_id", p.orgId());
        out.put("role", p.identity().role().map(Role::wire).orElse(null));
        out.put("plan", p.identity().plan());
        out.put("operator", p.operator());
        out.put("workspaces", new TreeSet<>(p.workspaces()));
        out.put("permissions", new TreeSet<>(p.permissions()));
        return out;
    }

    private void createUser(ServerRequest req, ServerResponse res) {
        Principal p = write(req);
        Body body = guard.body(req).allow("email", "name");
        User user = accounts.createUser(p, Actor.of(p, req), email(body, "email"), body.optString("name", 200));
        Json.send(res, Status.CREATED_201, view(user));
    }

    /** The email address in {@code field}, checked for shape. */
    static String email(Body body, String field) {
        String email = body.string(field, 320).strip();
        if (!EMAIL.matcher(email).matches()) {
            throw ApiError.invalid(field + ": not an email address");
        }
        return email;
    }

    private void createServiceAccount(ServerRequest req, ServerResponse res) {
        Principal p = write(req);
        Body body = guard.body(req).allow("name", "role");
        Role role = body.optString("role", 16).map(r -> Role.parse(r)
                .orElseThrow(() -> ApiError.invalid("role: must be admin or member"))).orElse(Role.MEMBER);
        User user = accounts.createServiceAccount(p, Actor.of(p, req), id(req), name(body), role);
        Map<String, Object> out = view(user);
        out.put("role", role.wire());
        Json.send(res, Status.CREATED_201, out);
    }

    private void setDisabled(ServerRequest req, ServerResponse res, boolean disabled) {
        Principal p = write(req);
        Json.ok(res, view(accounts.setDisabled(p, Actor.of(p, req), id(req), disabled)));
    }

    /**
     * An operator makes an organization, with an existing user as its owner ({@code owner_user_id}) or,
     * better, an invitation to its future owner ({@code owner_email}), whose token the answer carries once.
     */
    private void createOrganization(ServerRequest req, ServerResponse res) {
        Principal p = write(req);
        Body body = guard.body(req).allow("name", "plan", "owner_user_id", "owner_email");
        if (body.has("owner_user_id") && body.has("owner_email")) {
            throw ApiError.invalid("owner_user_id, owner_email: give at most one");
        }
        Optional<String> ownerEmail = body.has("owner_email") ? Optional.of(email(body, "owner_email")) : Optional.empty();
        Organization org = accounts.createOrganization(p, Actor.of(p, req), name(body),
                body.optString("plan", 64), body.optString("owner_user_id", 64));
        Map<String, Object> out = view(org);
        if (ownerEmail.isPresent()) {
            InvitationService.Invited invited = invitations.invite(p, Actor.of(p, req), org.id(), ownerEmail.get(),
                    Role.OWNER, java.util.Set.of(), InvitationService.DEFAULT_TTL);
            out.put("owner_invitation", InvitationsEndpoint.shownOnce(invited));
        }
        Json.send(res, Status.CREATED_201, out);
    }

    private void updateOrganization(ServerRequest req, ServerResponse res) {
        Principal p = write(req);
        Body body = guard.body(req).allow("name", "plan", "one_key_per_user", "max_key_lifetime_days",
                "trial_ends_at");
        Optional<Optional<Integer>> maxDays = body.raw("max_key_lifetime_days") == null ? Optional.empty()
                : Optional.of(body.optLong("max_key_lifetime_days", 1, 3650).map(Long::intValue));
        Optional<Optional<Instant>> trialEndsAt = body.raw("trial_ends_at") == null ? Optional.empty()
                : Optional.of(body.optInstant("trial_ends_at"));
        AccountService.OrganizationChange change = new AccountService.OrganizationChange(
                body.has("name") ? Optional.of(name(body)) : Optional.empty(), body.optString("plan", 64),
                body.optBoolean("one_key_per_user"), maxDays, trialEndsAt);
        Json.ok(res, view(accounts.updateOrganization(p, Actor.of(p, req), id(req), change)));
    }

    private void putMember(ServerRequest req, ServerResponse res) {
        Principal p = write(req);
        Body body = guard.body(req).allow("role");
        String roleName = body.string("role", 16);
        Role role = Role.parse(roleName).orElseThrow(() -> ApiError.invalid("role: must be owner, admin or member"));
        Json.ok(res, view(accounts.putMember(p, Actor.of(p, req), id(req), param(req, "user"), role)));
    }

    private Principal read(ServerRequest req) {
        return guard.admit(req, Requirement.management(Permissions.ADMIN_READ));
    }

    private Principal write(ServerRequest req) {
        return guard.admit(req, Requirement.management(Permissions.ADMIN_WRITE));
    }

    private static String id(ServerRequest req) {
        return param(req, "id");
    }

    private static String param(ServerRequest req, String name) {
        return req.path().pathParameters().get(name);
    }

    private static String name(Body body) {
        String name = body.string("name", 200).strip();
        if (name.isEmpty()) {
            throw ApiError.invalid("name: must not be blank");
        }
        return name;
    }

    private static <T> void list(ServerResponse res, List<T> items, java.util.function.Function<T, Map<String, Object>> view) {
        Json.ok(res, Map.of("data", items.stream().map(view).toList()));
    }

    static Map<String, Object> view(User u) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", u.id());
        out.put("object", "user");
        out.put("email", u.email());
        out.put("name", u.name().orElse(null));
        out.put("kind", u.kind().wire());
        out.put("organization_id", u.serviceOrgId().orElse(null));
        out.put("operator", u.operator());
        out.put("created_at", u.createdAt().toString());
        out.put("disabled_at", u.disabledAt().map(Instant::toString).orElse(null));
        return out;
    }

    static Map<String, Object> view(Organization o) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", o.id());
        out.put("object", "organization");
        out.put("name", o.name());
        out.put("plan", o.plan());
        out.put("one_key_per_user", o.oneKeyPerUser());
        out.put("max_key_lifetime_days", o.maxKeyLifetimeDays().orElse(null));
        out.put("trial_ends_at", o.trialEndsAt().map(Instant::toString).orElse(null));
        out.put("credits_purchased_at", o.creditsPurchasedAt().map(Instant::toString).orElse(null));
        out.put("created_at", o.createdAt().toString());
        return out;
    }

    static Map<String, Object> view(Member m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "member");
        out.put("organization_id", m.orgId());
        out.put("user_id", m.userId());
        out.put("email", m.email());
        out.put("kind", m.kind().wire());
        out.put("role", m.role().wire());
        out.put("created_at", m.createdAt().toString());
        return out;
    }

    static Map<String, Object> view(Workspace w) {
        return Map.of("id", w.id(), "object", "workspace", "organization_id", w.orgId(), "name", w.name(),
                "created_at", w.createdAt().toString());
    }

    static Map<String, Object> view(WorkspaceMember m) {
        return Map.of("object", "workspace_member", "workspace_id", m.workspaceId(), "user_id", m.userId(),
                "email", m.email(), "created_at", m.createdAt().toString());
    }
}
