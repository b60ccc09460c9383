package io.gatehouse.gateway;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The name an MCP {@code tools/call} is counted under in usage and the credit ledger. A client names
 * any tool it likes (an unknown one still reaches the upstream, which answers an error), and each
 * name counted is a row: left alone, a credential could make as many usage rows a minute, and ledger
 * rows a flush, as it makes calls. So on this node each credential's calls on a server are counted
 * under at most {@link #PER_MINUTE} names it chose in a minute; later new names that minute are
 * counted as {@link #OTHER}. A name the server's configuration gives a price or a rate limit is always
 * its own: those are never lumped together, and the operator chose them.
 */
final class ToolNames {
    /** What calls of names past the bound are counted under. */
    static final String OTHER = "(other)";
    /** Distinct unconfigured names a credential's calls on one server are counted under, per minute. */
    static final int PER_MINUTE = 100;

    private record Minute(long minute, Map<String, Set<String>> seen) {
    }

    private final java.util.concurrent.atomic.AtomicReference<Minute> current =
            new java.util.concurrent.atomic.AtomicReference<>(new Minute(-1, Map.of()));

    /**
     * {@code tool} as {@code credentialId}'s call of it on {@code server} at {@code epochMillis} is
     * counted. Calls of one credential on several event loops at once can each add a name past the
     * bound (at most one per loop): the bound is a cap on rows, not an exact count.
     */
    String label(String credentialId, Server server, String tool, long epochMillis) {
        if (tool.isEmpty() || server.costs().containsKey(tool) || server.toolRate(tool).isPresent()) {
            return tool;
        }
        long minute = epochMillis / 60_000;
        Minute m = current.get();
        while (m.minute() < minute) { // only forward: a thread with an older reading never starts a minute over
            Minute next = new Minute(minute, new ConcurrentHashMap<>());
            m = current.compareAndSet(m, next) ? next : current.get();
        }
        Set<String> names = m.seen().computeIfAbsent(credentialId + " " + server.id(), k -> ConcurrentHashMap.newKeySet());
        if (names.contains(tool)) {
            return tool;
        }
        if (names.size() >= PER_MINUTE) {
            return OTHER;
        }
        names.add(tool);
        return tool;
    }
}
