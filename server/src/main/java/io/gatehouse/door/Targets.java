package io.gatehouse.door;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a credential may reach along one axis (workspaces, servers): everything ({@code "*"}, current
 * and future) or a fixed set of ids. Stored as {@code *} or space-separated ids.
 */
public record Targets(boolean all, Set<String> ids) {
    public static final Targets ALL = new Targets(true, Set.of());

    public Targets {
        ids = Set.copyOf(ids);
    }

    public static Targets of(Set<String> ids) {
        return new Targets(false, ids);
    }

    public boolean allows(String id) {
        return all || ids.contains(id);
    }

    public static Targets parse(String stored) {
        if ("*".equals(stored)) {
            return ALL;
        }
        return of(Arrays.stream(stored.split(" ")).filter(s -> !s.isEmpty()).collect(Collectors.toSet()));
    }

    public String format() {
        return all ? "*" : String.join(" ", new TreeSet<>(ids));
    }
}
