package io.gatehouse.audit;

import io.gatehouse.door.Principal;
import java.util.Optional;

/**
 * Who did something, for the audit log: the user and credential behind a call, and where it came from.
 *
 * @param userId       acting user; empty for the operator at the command line
 * @param credentialId credential used; empty for the operator at the command line
 * @param address      client address
 * @param requestId    request id the action was part of
 */
public record Actor(Optional<String> userId, Optional<String> credentialId, String address, String requestId) {

    public static Actor of(Principal principal, String address, String requestId) {
        return new Actor(Optional.of(principal.userId()), Optional.of(principal.credentialId()), address, requestId);
    }

    /** The operator acting on the local store ({@code gatehouse admin init}). */
    public static Actor operator() {
        return new Actor(Optional.empty(), Optional.empty(), "local", "cli");
    }
}
