package io.gatehouse.gateway;

import io.gatehouse.store.Database;
import io.gatehouse.store.Invalidation;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every registered server, held in memory so the data plane resolves a server without a query.
 * A change anywhere (this node or, through the database, another) replaces the whole snapshot: the
 * list is small and changes rarely, and readers never lock.
 */
public final class ServerRegistry {
    private record Snapshot(Map<String, Server> bySlug, Map<String, Server> byId, Optional<Server> defaultMcp,
                            List<Server> mounted) {
    }

    private final Database db;
    private final ServerStore store;
    private volatile Snapshot snapshot;

    ServerRegistry(Database db, ServerStore store) {
        this.db = db;
        this.store = store;
        reload();
    }

    /**
     * Synchronized so two reloads (one after a commit here, one from the change feed) never finish out
     * of order: the one that read the database last is the one that stays. Readers take no lock.
     */
    synchronized void reload() {
        List<Server> all = db.withHandle(store::all);
        Map<String, Server> bySlug = new HashMap<>();
        Map<String, Server> byId = new HashMap<>();
        for (Server s : all) {
            bySlug.put(s.slug(), s);
            byId.put(s.id(), s);
        }
        Optional<Server> dflt = all.stream().filter(s -> s.kind() == Server.Kind.MCP && s.isDefault()).findFirst();
        List<Server> mounted = all.stream().filter(s -> s.mount().isPresent())
                .sorted(Comparator.comparingInt((Server s) -> s.mount().orElseThrow().length()).reversed()).toList();
        snapshot = new Snapshot(Map.copyOf(bySlug), Map.copyOf(byId), dflt, mounted);
    }

    /** Listens for changes made by any node. */
    public void onInvalidation(Invalidation invalidation) {
        if (invalidation instanceof Invalidation.Servers || invalidation instanceof Invalidation.All) {
            reload();
        }
    }

    public Optional<Server> bySlug(String slug) {
        return Optional.ofNullable(snapshot.bySlug().get(slug));
    }

    public Optional<Server> byId(String id) {
        return Optional.ofNullable(snapshot.byId().get(id));
    }

    public Optional<Server> defaultMcp() {
        return snapshot.defaultMcp();
    }

    /** The HTTP API whose mount is the longest prefix of {@code path} (on a segment boundary). */
    public Optional<Server> mountedAt(String path) {
        for (Server s : snapshot.mounted()) {
            String mount = s.mount().orElseThrow();
            if (path.equals(mount) || path.startsWith(mount + "/")) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
