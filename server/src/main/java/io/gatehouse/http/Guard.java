package io.gatehouse.http;

import io.gatehouse.door.Credentials;
import io.gatehouse.door.Door;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.helidon.webserver.http.ServerRequest;

/** What every protected control-plane endpoint does first: pass the door. */
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
