package io.gatehouse.keys;

import io.gatehouse.audit.Actor;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.door.Targets;
import io.gatehouse.door.ToolScope;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Body;
import io.gatehouse.http.Errors;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.gatehouse.keys.KeyRequests.Expiry;
import io.gatehouse.limits.Rate;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * {@code /v1/keys}: create, list, get, revoke, renew, roll, delete, import; and
 * ({@code POST /v1/keys/verify}, for services that check keys themselves, is served on the edge:
 * see {@link DoorRoutes}.)
 */
public final class KeysEndpoint {
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern IMPORT_PREFIX = Pattern.compile("[A-Za-z0-9_-]{3,32}");
    private final KeyService keys;
    private final Guard guard;
    private final Clock clock;
    private final UnaryOperator<Optional<String>> serverAlias;

    /**
     * @param serverAlias a registered server's other name: its slug for its id, its id for its slug
     *                    (a key may be scoped by either, and a verifying service may know either)
     */
    public KeysEndpoint(KeyService keys, Guard guard, Clock clock, UnaryOperator<Optional<String>> serverAlias) {
        this.keys = keys;
        this.guard = guard;
        this.clock = clock;
        this.serverAlias = serverAlias;
    }

    public void register(Routes routes) {
        routes.post("/v1/keys/import", this::importKeys)
                .post("/v1/keys", this::create)
                .get("/v1/keys", this::list)
                .post("/v1/me/keys", this::createOwn)
                .get("/v1/me/keys", this::listOwn)
                .get("/v1/keys/{id}", this::get)
                .delete("/v1/keys/{id}", this::delete)
                .post("/v1/keys/{id}/revoke", this::revoke)
                .post("/v1/keys/{id}/renew", this::renew)
                .post("/v1/keys/{id}/roll", this::roll);
    }

    /**
     * Admits a credential that may manage keys at all: its owner's own ({@code keys:self}) or, with
     * {@code manage}, others'. Which one a call needs depends on whose key it touches, which
     * {@link KeyService} decides; this refuses the rest before any body is read.
     */
    private Principal admit(ServerRequest req, String manage) {
        Principal caller = guard.admit(req, Requirement.management());
        caller.requireAny(Permissions.KEYS_SELF, manage);
        return caller;
    }

    private void create(ServerRequest req, ServerResponse res) {
        create(req, res, false);
    }

    /** {@code POST /v1/me/keys}: a key of one's own, in the credential's organization. */
    private void createOwn(ServerRequest req, ServerResponse res) {
        create(req, res, true);
    }

    private void create(ServerRequest req, ServerResponse res, boolean own) {
        Principal caller = admit(req, Permissions.ADMIN_WRITE);
        Body body = own ? guard.body(req).allow("name", "workspaces", "servers", "tools", "permissions", "rate_limit",
                "expires", "expires_in_days", "expires_at")
                : guard.body(req).allow("name", "kind", "user_id", "organization_id", "workspaces", "servers",
                "tools", "permissions", "rate_limit", "expires", "expires_in_days", "expires_at");
        Scope scope = scope(body);
        String kind = body.optString("kind", 16).orElse("standard");
        if (!kind.equals("standard") && !kind.equals("operator")) {
            throw ApiError.invalid("kind: must be standard or operator");
        }
        KeyRequests.Create request = new KeyRequests.Create(body.string("name", 200).strip(),
                ApiKey.Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)),
                own ? Optional.of(caller.userId()) : body.optString("user_id", 64),
                own ? Optional.of(caller.orgId()) : body.optString("organization_id", 64), scope.workspaces(),
                scope.servers(), scope.tools(), scope.permissions(), rateLimit(body), expiry(body));
        if (request.name().isEmpty()) {
            throw ApiError.invalid("name: must not be blank");
        }
        KeyRequests.Issued issued = keys.create(caller, Actor.of(caller, req), request);
        Json.send(res, Status.CREATED_201, shownOnce(issued));
    }

    private void list(ServerRequest req, ServerResponse res) {
        Principal caller = admit(req, Permissions.ADMIN_READ);
        List<ApiKey> list = keys.list(caller, new KeyRequests.ListQuery(
                req.query().first("organization_id").asOptional(), req.query().first("user_id").asOptional()));
        Instant now = clock.instant();
        Json.ok(res, Map.of("data", list.stream().map(k -> view(k, now)).toList()));
    }

    /** {@code GET /v1/me/keys}: the caller's own keys in the credential's organization. */
    private void listOwn(ServerRequest req, ServerResponse res) {
        Principal caller = admit(req, Permissions.ADMIN_READ);
        List<ApiKey> list = keys.list(caller, new KeyRequests.ListQuery(Optional.of(caller.orgId()),
                Optional.of(caller.userId())));
        Instant now = clock.instant();
        Json.ok(res, Map.of("data", list.stream().map(k -> view(k, now)).toList()));
    }

    private void get(ServerRequest req, ServerResponse res) {
        Principal caller = admit(req, Permissions.ADMIN_READ);
        Json.ok(res, view(keys.get(caller, req.path().pathParameters().get("id")), clock.instant()));
    }

    private void revoke(ServerRequest req, ServerResponse res) {
        Principal caller = admit(req, Permissions.ADMIN_WRITE);
        Json.ok(res, view(keys.revoke(caller, Actor.of(caller, req), req.path().pathParameters().get("id")),
                clock.instant()));
    }

    private void renew(ServerRequest req, ServerResponse res) {
        Principal caller = admit(req, Permissions.ADMIN_WRITE);
        guard.optionalBody(req).allow();
        KeyRequests.Issued issued = keys.renew(caller, Actor.of(caller, req), req.path().pathParameters().get("id"));
        Json.send(res, Status.CREATED_201, shownOnce(issued));
    }

    private void roll(ServerRequest req, ServerResponse res) {
        Principal caller = admit(req, Permissions.ADMIN_WRITE);
        Body body = guard.body(req).allow("grace_seconds");
        long grace = body.optLong("grace_seconds", 1, 10L * 365 * 86400)
                .orElseThrow(() -> ApiError.invalid("grace_seconds: required"));
        KeyRequests.Issued issued = keys.roll(caller, Actor.of(caller, req), req.path().pathParameters().get("id"),
                Duration.ofSeconds(grace));
        Json.send(res, Status.CREATED_201, shownOnce(issued));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        Principal caller = admit(req, Permissions.ADMIN_WRITE);
        keys.delete(caller, Actor.of(caller, req), req.path().pathParameters().get("id"));
        res.status(Status.NO_CONTENT_204).send();
    }

    private void importKeys(ServerRequest req, ServerResponse res) {
        Principal caller = guard.admit(req, Requirement.management(Permissions.ADMIN_WRITE));
        Body body = guard.body(req).allow("keys");
        List<KeyRequests.Import> imports = body.objects("keys", 1000).stream().map(k -> {
            k.allow("sha256", "prefix", "display_prefix", "last4", "name", "user_id", "organization_id", "kind",
                    "workspaces", "servers", "tools", "permissions", "expires_at", "created_at");
            String sha = k.string("sha256", 64);
            if (!SHA256_HEX.matcher(sha).matches()) {
                throw ApiError.invalid("keys[].sha256: must be 64 hexadecimal characters");
            }
            String prefix = k.string("prefix", 32);
            if (!IMPORT_PREFIX.matcher(prefix).matches()) {
                throw ApiError.invalid("keys[].prefix: 3 to 32 letters, digits, '_' or '-'");
            }
            String kind = k.optString("kind", 16).orElse("standard");
            if (!kind.equals("standard") && !kind.equals("legacy")) {
                throw ApiError.invalid("keys[].kind: must be standard or legacy");
            }
            Scope scope = scope(k);
            return new KeyRequests.Import(sha.toLowerCase(java.util.Locale.ROOT), prefix,
                    k.optString("display_prefix", 64), k.optString("last4", 4), k.string("name", 200),
                    k.optString("user_id", 64), k.optString("organization_id", 64),
                    ApiKey.Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)), scope.workspaces().orElse(Targets.ALL),
                    scope.servers().orElse(Targets.ALL), scope.tools().orElse(Targets.ALL), scope.permissions(), k.optInstant("expires_at"), k.optInstant("created_at"));
        }).toList();
        Instant now = clock.instant();
        List<ApiKey> imported = keys.importKeys(caller, Actor.of(caller, req), imports);
        Json.send(res, Status.CREATED_201, Map.of("data", imported.stream().map(k -> view(k, now)).toList()));
    }

    /**
     * Checks a key for another service and returns who it is and what it reaches. The answer is
     * 200 either way: {@code valid} says whether the key would pass the door for the stated use.
     */
    /** What the request states; an axis left out is filled in from the creating credential's reach. */
    private record Scope(Optional<Targets> workspaces, Optional<Targets> servers, Optional<Targets> tools,
                         Optional<Set<String>> permissions) {
    }

    /** Reads {@code workspaces}, {@code servers} and {@code permissions}: a list, or seed 004's {@code {"mcps": …}}. */
    private static Scope scope(Body body) {
        Optional<Targets> workspaces = body.optIdsOrAll("workspaces", 1000).map(KeysEndpoint::targets);
        Optional<Targets> servers = body.optIdsOrAll("servers", 1000).map(KeysEndpoint::targets);
        Optional<Set<String>> permissions = Optional.empty();
        if (body.has("permissions")) {
            if (body.raw("permissions").isObject()) {
                Body object = new Json.Reader(body.raw("permissions")).body().allow("mcps");
                Optional<Targets> mcps = object.optIdsOrAll("mcps", 1000).map(KeysEndpoint::targets);
                if (servers.isPresent() && mcps.isPresent()) {
                    throw ApiError.invalid("permissions.mcps and servers: give one of them");
                }
                servers = servers.or(() -> mcps);
            } else {
                permissions = body.optStringSet("permissions", 100);
            }
        }
        return new Scope(workspaces, servers, ToolScope.read(body.has("tools") ? Optional.of(body.raw("tools")) : Optional.empty(), "tools"), permissions);
    }

    /**
     * {@code rate_limit}: "100/min"; null asks for none (refused when the creating key has one); absent
     * takes the creating key's own.
     */
    private static Optional<Optional<Rate>> rateLimit(Body body) {
        if (body.raw("rate_limit") == null) {
            return Optional.empty();
        }
        if (body.raw("rate_limit").isNull()) {
            return Optional.of(Optional.empty());
        }
        try {
            return Optional.of(Optional.of(Rate.parse(body.string("rate_limit", 32))));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("rate_limit: " + e.getMessage());
        }
    }

    private static Targets targets(Optional<Set<String>> ids) {
        return ids.map(Targets::of).orElse(Targets.ALL);
    }

    static Object targets(Targets t) {
        return t.all() ? "*" : new TreeSet<>(t.ids());
    }

    private static Expiry expiry(Body body) {
        int given = (body.has("expires") ? 1 : 0) + (body.has("expires_in_days") ? 1 : 0) + (body.has("expires_at") ? 1 : 0);
        if (given > 1) {
            throw ApiError.invalid("expires, expires_in_days, expires_at: give at most one");
        }
        if (body.has("expires")) {
            String preset = body.string("expires", 8);
            return switch (preset) {
                case "never" -> new Expiry.Never();
                case "30d" -> new Expiry.InDays(30);
                case "90d" -> new Expiry.InDays(90);
                case "365d", "1y" -> new Expiry.InDays(365);
                default -> throw ApiError.invalid("expires: must be never, 30d, 90d or 365d");
            };
        }
        if (body.has("expires_in_days")) {
            return new Expiry.InDays(body.optLong("expires_in_days", 1, 3650).orElseThrow().intValue());
        }
        return body.optInstant("expires_at").<Expiry>map(Expiry.At::new).orElse(new Expiry.Default());
    }

    /** A key as the call that made it shows it: its secret included, this once. */
    public static Map<String, Object> shownOnce(KeyRequests.Issued issued) {
        Map<String, Object> out = view(issued.key(), issued.key().createdAt());
        out.put("key", issued.plaintext());
        out.put("key_shown_once", true);
        return out;
    }

    /** A key as the API shows it: masked, never its secret. */
    static Map<String, Object> view(ApiKey k, Instant now) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", k.id());
        out.put("object", "api_key");
        out.put("name", k.name());
        out.put("kind", k.kind().wire());
        out.put("organization_id", k.orgId());
        out.put("user_id", k.userId());
        out.put("masked", k.masked());
        out.put("prefix", k.displayPrefix());
        out.put("last4", k.last4().orElse(null));
        Map<String, Object> scope = new LinkedHashMap<>();
        scope.put("workspaces", targets(k.workspaces()));
        scope.put("servers", targets(k.servers()));
        scope.put("tools", targets(k.tools()));
        scope.put("permissions", new TreeSet<>(k.permissions()));
        out.put("scope", scope);
        out.put("permissions", Map.of("mcps", targets(k.servers())));
        out.put("rate_limit", k.rateLimit().map(Rate::toString).orElse(null));
        out.put("state", k.state(now).wire());
        out.put("created_at", k.createdAt().toString());
        out.put("expires_at", k.expiresAt().map(Instant::toString).orElse(null));
        out.put("revoked_at", k.revokedAt().map(Instant::toString).orElse(null));
        out.put("revoked_reason", k.revokedReason().orElse(null));
        out.put("rolled_from", k.rolledFrom().orElse(null));
        out.put("imported", k.imported());
        out.put("last_used_at", k.lastUsedAt().map(Instant::toString).orElse(null));
        out.put("last_used_ip", k.lastUsedIp().orElse(null));
        out.put("use_count", k.useCount());
        return out;
    }
}
