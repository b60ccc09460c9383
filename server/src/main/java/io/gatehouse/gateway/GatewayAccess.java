package io.gatehouse.gateway;

import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.edge.Call;
import io.gatehouse.errors.ApiError;
import io.gatehouse.keys.LoopDoor;
import io.gatehouse.store.Sealer;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Who may reach a server, and what the upstream is told about them. The door decides the
 * credential (format, state, plan, permission, server scope); this adds what only a server knows:
 * an organisation's server is invisible to other organisations, a server shown to some workspaces
 * is reached only by callers in one of them, and a public server needs no credential at all.
 *
 * <p>The decision is taken on the event loop from memory; a credential memory cannot answer for
 * is decided off the loop (the door reads the store), and the call resumes on its loop.
 */
final class GatewayAccess {
    private final LoopDoor door;
    private final UpstreamAssertions assertions;
    private final Sealer sealer;
    private final Map<String, String> openedStatics = new ConcurrentHashMap<>();

    GatewayAccess(LoopDoor door, UpstreamAssertions assertions, Sealer sealer) {
        this.door = door;
        this.assertions = assertions;
        this.sealer = sealer;
    }

    /**
     * Decides the call's caller for {@code server}, then goes on with it (empty: an anonymous call
     * to a public server); a refusal is thrown, or answered when it comes off the loop.
     */
    void admit(Call call, Server server, String permission, Consumer<Optional<Principal>> then) {
        Optional<String> credential = LoopDoor.credential(call);
        if (credential.isEmpty() && server.isPublic()) {
            then.accept(Optional.empty());
            return;
        }
        door.admit(call, credential, requirement(server, permission), p -> {
            checkServer(server, p);
            then.accept(Optional.of(p));
        });
    }

    /** A value HTTP/1.1 can carry: Latin-1, no line break, no NUL. */
    private static boolean travels(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 0xff || c == '\r' || c == '\n' || c == 0) {
                return false;
            }
        }
        return true;
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

    /** The fields that tell the upstream who is calling (never the client's own credential), by name. */
    Map<String, CharSequence> identityHeaders(Server server, Optional<Principal> caller) {
        Map<String, CharSequence> out = new HashMap<>(2);
        switch (server.auth().mode()) {
            case ASSERTION -> caller.ifPresent(p -> out.put("Authorization", assertions.authorization(p, server)));
            case STATIC -> {
                String sealed = server.auth().sealedValue().orElseThrow();
                String value = openedStatics.computeIfAbsent(sealed, sealer::open);
                if (!travels(value)) {
                    throw ApiError.of(io.gatehouse.errors.ErrorCode.BAD_GATEWAY, "upstream_unreachable",
                            "The server's upstream credential cannot be sent in an HTTP header");
                }
                out.put(server.auth().header().orElse("Authorization"), value);
            }
            case NONE -> {
                // the upstream trusts the network path; it is told nothing
            }
        }
        return out;
    }
}
