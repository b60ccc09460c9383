package io.gatehouse.keys;

import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Targets;
import io.gatehouse.errors.ApiError;
import io.gatehouse.keys.KeyRequests.Create;
import io.gatehouse.limits.Rate;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The rule under every key operation: <b>a credential never creates or obtains a credential that
 * reaches further than its own</b> — organization, workspaces, servers, tools, permissions, expiry,
 * and rate limit.
 * A request that leaves an axis out gets the creating credential's own reach there; one that asks
 * for more is refused with {@code 403 exceeds_reach}, naming the axis. Operator keys act for the whole
 * instance: organization, owner, workspaces, servers, tools and rate limits are theirs to give (what
 * they do is audited), but not permissions they lack nor a later expiry than their own. The command line's
 * one-process credential, held by whoever holds the server's files, is not narrowed at all.
 */
public final class KeyReach {
    private KeyReach() {
    }

    /** {@code request} with every unstated axis filled in from {@code caller}, after checking every stated one. */
    static Create within(Principal caller, Create request) {
        if (caller.operator()) {
            Set<String> permissions = unbounded(caller) ? request.permissions().orElse(Permissions.DEFAULT_DATA_PLANE)
                    : request.permissions().map(p -> permissions(p, caller)).orElseGet(() -> defaultPermissions(caller));
            return new Create(request.name(), request.kind(), request.userId(), request.orgId(),
                    Optional.of(request.workspaces().orElse(Targets.ALL)), Optional.of(request.servers().orElse(Targets.ALL)),
                    Optional.of(request.tools().orElse(Targets.ALL)), Optional.of(permissions),
                    Optional.of(request.rateLimit().orElse(Optional.empty())), request.expiry());
        }
        Targets workspaces = request.workspaces().map(w -> subset("workspaces", w, caller.identity().workspaces()))
                .orElse(caller.identity().workspaces());
        Targets servers = request.servers().map(s -> subset("servers", s, caller.identity().servers()))
                .orElse(caller.identity().servers());
        Targets tools = request.tools().map(t -> tools(t, caller.identity().tools())).orElse(caller.identity().tools());
        Set<String> permissions = request.permissions().map(p -> permissions(p, caller))
                .orElseGet(() -> defaultPermissions(caller));
        Optional<Rate> rateLimit = request.rateLimit().map(r -> rateLimit(r, caller.identity().rateLimit()))
                .orElse(caller.identity().rateLimit());
        return new Create(request.name(), request.kind(), request.userId(), request.orgId(), Optional.of(workspaces),
                Optional.of(servers), Optional.of(tools), Optional.of(permissions), Optional.of(rateLimit),
                request.expiry());
    }

    /**
     * A rate limit a key limited to {@code own} may give: none is looser than any, and a stated one
     * must pass {@link Rate#noLooserThan} (a simple test that a few tighter rates fail: they are
     * refused too, with what would pass).
     */
    private static Optional<Rate> rateLimit(Optional<Rate> wanted, Optional<Rate> own) {
        if (own.isEmpty() || wanted.isPresent() && wanted.get().noLooserThan(own.get())) {
            return wanted;
        }
        String bound = "at most " + own.get().count() + " requests over a window of at least "
                + own.get().window().getSeconds() + " s";
        throw exceeds("rate_limit", wanted.isEmpty()
                ? "your key is limited to " + own.get() + ", so a key it makes must be limited too (" + bound + ")"
                : "'" + wanted.get() + "' is looser than your key's " + own.get() + "; ask for " + bound);
    }

    /**
     * The expiry a new key may have: {@code wanted} when it is no later than the caller's own;
     * the caller's own when {@code wanted} is the default ({@code explicit} false); refused otherwise.
     */
    static Optional<Instant> expiry(Principal caller, Optional<Instant> wanted, boolean explicit) {
        Optional<Instant> ceiling = unbounded(caller) ? Optional.empty() : caller.identity().expiresAt();
        if (ceiling.isEmpty() || (wanted.isPresent() && !wanted.get().isAfter(ceiling.get()))) {
            return wanted;
        }
        if (!explicit) {
            return ceiling;
        }
        throw exceeds("expiry", "the key would outlive the key creating it (which expires at " + ceiling.get() + ")");
    }

    /** The command line's own credential: whoever holds the server's files holds everything anyway. */
    private static boolean unbounded(Principal caller) {
        return caller.identity().kind() == io.gatehouse.door.Identity.CredentialKind.INTERNAL;
    }

    private static Targets subset(String axis, Targets wanted, Targets own) {
        if (own.all()) {
            return wanted;
        }
        if (wanted.all()) {
            throw exceeds(axis, "your key reaches only " + own.format().replace(' ', ',') + "; name them");
        }
        for (String id : wanted.ids()) {
            if (!own.allows(id)) {
                throw exceeds(axis, "'" + id + "' is outside your key's reach");
            }
        }
        return wanted;
    }

    /**
     * {@code wanted} as a tool scope someone with {@code caller}'s credential may give (a connected
     * app's, say): within the credential's own tools, else 403 {@code exceeds_reach}.
     */
    public static Targets toolsWithin(Principal caller, Targets wanted) {
        return unbounded(caller) || caller.operator() ? wanted : tools(wanted, caller.identity().tools());
    }

    /** Tool entries are {@code server/tool} or {@code server/*} ({@link io.gatehouse.door.ToolScope}). */
    private static Targets tools(Targets wanted, Targets own) {
        if (own.all()) {
            return wanted;
        }
        if (wanted.all()) {
            throw exceeds("tools", "your key reaches only some tools; name them");
        }
        for (String entry : wanted.ids()) {
            String server = entry.substring(0, entry.indexOf('/'));
            if (!own.ids().contains(entry) && !own.ids().contains(server + "/*")) {
                throw exceeds("tools", "'" + entry + "' is outside your key's reach");
            }
        }
        return wanted;
    }

    private static Set<String> permissions(Set<String> wanted, Principal caller) {
        for (String p : wanted) {
            if (!Permissions.isValid(p)) {
                throw ApiError.invalid("permissions: '" + p + "' is not a permission (area:action)");
            }
            // keys:self is the part of admin:write that manages one's own keys
            boolean selfUnderAdmin = p.equals(Permissions.KEYS_SELF) && caller.may(Permissions.ADMIN_WRITE);
            if (!caller.may(p) && !selfUnderAdmin) {
                throw exceeds("permissions", "your key does not have '" + p + "'");
            }
        }
        return Set.copyOf(wanted);
    }

    /** The data-plane permissions the caller has: a new key does not manage anything unless asked to. */
    private static Set<String> defaultPermissions(Principal caller) {
        Set<String> out = new LinkedHashSet<>();
        for (String p : Permissions.DEFAULT_DATA_PLANE) {
            if (caller.may(p)) {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            throw exceeds("permissions", "your key has no data-plane permission to pass on; name the permissions");
        }
        return Set.copyOf(out);
    }

    static ApiError exceeds(String axis, String why) {
        return ApiError.forbidden("exceeds_reach", axis + ": a key cannot create one that reaches further than itself: "
                + why);
    }
}
