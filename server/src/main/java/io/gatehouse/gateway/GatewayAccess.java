package io.gatehouse.gateway;

import io.gatehouse.door.Credentials;
import io.gatehouse.door.Door;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.http.ApiError;
import io.gatehouse.http.Guard;
import io.gatehouse.store.Sealer;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may reach a server, and what the upstream is told about them. The door decides the
 * credential (format, state, plan, permission, server scope); this adds what only a server knows:
 * an organisation's server is invisible to other organisations, a server shown to some workspaces
 * is reached only by callers in one of them, and a public server needs no credential at all.
 */
final class GatewayAccess {
    private final Guard guard;
    private final UpstreamAssertions assertions;
    private final Sealer sealer;
    private final Map<String, String> openedStatics = new ConcurrentHashMap<>();

    GatewayAccess(Guard guard, UpstreamAssertions assertions, Sealer sealer) {
        this.guard = guard;
        this.assertions = assertions;
        this.sealer = sealer;
    }

    /** The caller, or empty for an anonymous call to a public server. */
    Optional<Principal> admit(ServerRequest req, Server server, String permission) {
        if (server.isPublic() && Credentials.extract(req.headers()).isEmpty()) {
            return Optional.empty();
        }
        Principal p = guard.admit(req, requirement(server, permission));
        checkServer(server, p);
        return Optional.of(p);
    }

    /**
     * {@link #admit} from memory and without side effects, for a credential that was sent: empty
     * when the answer is no or needs the store, and then the caller asks {@link #admit}.
     */
    Optional<Door.Admission> peek(String credential, Server server, String permission) {
        Optional<Door.Admission> admission = guard.door().peek(credential, requirement(server, permission));
        try {
            admission.ifPresent(a -> checkServer(server, a.principal()));
            return admission;
        } catch (ApiError denied) {
            return Optional.empty();
        }
    }

    /** Whether {@link #peek} answers {@code credential} from memory; see {@link Door#remembers}. */
    boolean remembers(String credential) {
        return guard.door().remembers(credential);
    }

    /** Brings what {@link #peek} needs into memory; blocks on the store. See {@link Door#load}. */
    void load(String credential) {
        guard.door().load(credential);
    }

    private static Requirement requirement(Server server, String permission) {
        return Requirement.dataPlane().withPermission(permission).withServer(server.id(), server.slug());
    }

    private static void checkServer(Server server, Principal p) {
        if (server.orgId().isPresent() && !server.orgId().get().equals(p.orgId()) && !p.operator()) {
            throw ApiError.notFound("server"); // another organisation's server does not exist for this caller
        }
        if (!server.workspaces().all() && Collections.disjoint(server.workspaces().ids(), p.workspaces())) {
            throw ApiError.forbidden("out_of_scope", "This server is not available to the workspaces your key reaches");
        }
    }

    /** The headers that tell the upstream who is calling (never the client's own credential). */
    Map<HeaderName, String> identityHeaders(Server server, Optional<Principal> caller) {
        Map<HeaderName, String> out = new HashMap<>(2);
        switch (server.auth().mode()) {
            case ASSERTION -> caller.ifPresent(p ->
                    out.put(HeaderNames.AUTHORIZATION, "Bearer " + assertions.forCall(p, server)));
            case STATIC -> {
                String sealed = server.auth().sealedValue().orElseThrow();
                String value = openedStatics.computeIfAbsent(sealed, sealer::open);
                out.put(HeaderNames.create(server.auth().header().orElse("Authorization")), value);
            }
            case NONE -> {
                // the upstream trusts the network path; it is told nothing
            }
        }
        return out;
    }
}
