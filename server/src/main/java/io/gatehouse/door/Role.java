package io.gatehouse.door;

import java.util.Locale;
import java.util.Optional;

/** A member's role in an organisation. Owners and admins manage it; members manage their own keys. */
public enum Role {
    OWNER, ADMIN, MEMBER;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> parse(String s) {
        for (Role r : values()) {
            if (r.wire().equals(s)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
