package io.gatehouse.audit;

import io.gatehouse.door.Principal;
import java.util.Optional;

/**
 * Who did something, for the audit log: the user and credential behind a call, and where it came from.
 *
 * @param userId       acting user; empty for the operator at the command line
 * @param credentialId credential used; empty for the operator at the command line
 * @param operator     whether the actor acted for the whole instance (an operator credential, the command
 *                     line): an organization's audit shows such events as the operator's, with no ids
 * @param address      client address
 * @param requestId    request id the action was part of
 */
public record Actor(Optional<String> userId, Optional<String> credentialId, boolean operator, String address,
                    String requestId) {

    public static Actor of(Principal principal, String address, String requestId) {
        return new Actor(Optional.of(principal.userId()), Optional.of(principal.credentialId()), principal.operator(),
                address, requestId);
    }

    /** The caller of a control-plane request, from where the edge says it came. */
    public static Actor of(Principal principal, io.helidon.webserver.http.ServerRequest req) {
        io.gatehouse.http.RequestInfo info = io.gatehouse.http.RequestInfo.of(req);
        return of(principal, info.clientAddress(), info.requestId());
    }

    /** The operator acting on the local store ({@code gatehouse admin init}). */
    public static Actor localOperator() {
        return new Actor(Optional.empty(), Optional.empty(), true, "local", "cli");
    }

    /** A person acting with no credential yet: accepting an invitation that creates their account. */
    public static Actor newcomer(String userId, String address, String requestId) {
        return new Actor(Optional.of(userId), Optional.empty(), false, address, requestId);
    }
}
