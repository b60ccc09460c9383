package io.gatehouse.http;

import io.gatehouse.audit.Actor;
import io.gatehouse.door.Credentials;
import io.gatehouse.door.Door;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.helidon.webserver.http.ServerRequest;

/** What every protected endpoint does first: pass the door; then, for changes, name the actor. */
public final class Guard {
    private final Door door;
    private final long maxBodyBytes;

    public Guard(Door door, long maxBodyBytes) {
        this.door = door;
        this.maxBodyBytes = maxBodyBytes;
    }

    public Principal admit(ServerRequest req, Requirement requirement) {
        RequestInfo info = RequestInfo.of(req);
        Principal principal = door.admit(Credentials.extract(req.headers()), requirement, info.clientAddress());
        info.credentialId(principal.credentialId());
        return principal;
    }

    /** Admits the request's credential if it sent one; empty when it sent none (a credential that fails is refused). */
    public java.util.Optional<Principal> admitIfPresent(ServerRequest req, Requirement requirement) {
        if (Credentials.extract(req.headers()).isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(admit(req, requirement));
    }

    public Actor actor(ServerRequest req, Principal principal) {
        RequestInfo info = RequestInfo.of(req);
        return Actor.of(principal, info.clientAddress(), info.requestId());
    }

    public Body body(ServerRequest req) {
        return Json.body(req, maxBodyBytes);
    }

    public Body optionalBody(ServerRequest req) {
        return Json.optionalBody(req, maxBodyBytes);
    }

    public Door door() {
        return door;
    }
}
