package io.gatehouse.door;

import io.gatehouse.config.GatehouseConfig;
import java.util.Optional;

/**
 * What a route asks of the caller's credential.
 *
 * @param permission a permission the credential must grant, if any
 * @param workspace  a workspace the call acts in, if any
 * @param server     an upstream server the call reaches, if any (its id)
 * @param serverAlias another name of that server a scope may use (its slug)
 * @param planGated  whether the organisation's plan must allow the call (data-plane calls): MCP access
 *                   for {@code mcp:use}, API access for an {@code api:} permission, either without one
 */
public record Requirement(Optional<String> permission, Optional<String> workspace, Optional<String> server,
                          Optional<String> serverAlias, boolean planGated) {

    /** A data-plane call: the plan must allow it (see {@link GatehouseConfig.Plan.Access}). */
    public static Requirement dataPlane() {
        return new Requirement(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), true);
    }

    /**
     * A management call whose permission depends on what it touches (one's own keys, or others'):
     * any valid credential passes the door, and the service checks the permission.
     */
    public static Requirement management() {
        return new Requirement(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false);
    }

    /** A management call needing {@code permission}; not gated by plan, so a downgraded org can still manage. */
    public static Requirement management(String permission) {
        return new Requirement(Optional.of(permission), Optional.empty(), Optional.empty(), Optional.empty(), false);
    }

    public Requirement withPermission(String p) {
        return new Requirement(Optional.of(p), workspace, server, serverAlias, planGated);
    }

    public Requirement withWorkspace(String w) {
        return new Requirement(permission, Optional.of(w), server, serverAlias, planGated);
    }

    public Requirement withServer(String s) {
        return new Requirement(permission, workspace, Optional.of(s), Optional.empty(), planGated);
    }

    /** A server known by its id and its slug: a scope naming either reaches it. */
    public Requirement withServer(String id, String slug) {
        return new Requirement(permission, workspace, Optional.of(id), Optional.of(slug), planGated);
    }
}
