package io.gatehouse.gateway;

import io.gatehouse.door.Targets;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An upstream MCP server or HTTP API that Gatehouse fronts.
 *
 * @param orgId      owning organisation; empty for the instance's own servers, which every organisation reaches
 * @param slug       the name in URLs: {@code /mcp/{slug}}, {@code /api/{slug}/…}
 * @param mount      HTTP APIs only: a path served as-is ({@code /api/v1}), besides {@code /api/{slug}}
 * @param isDefault  MCP only: the server behind a bare {@code /mcp}
 * @param isPublic   callable without a credential (a credential that is sent is still checked)
 * @param workspaces the workspaces whose members may reach it: all, or these
 * @param hiddenTools MCP tools nobody may see or call through Gatehouse
 * @param creditCost credits one call costs: for an HTTP API, each request; for an MCP server, each
 *                   {@code tools/call} (its other messages are free)
 * @param costs      prices other than {@code creditCost}: by tool name on an MCP server, by path prefix
 *                   ({@code /v1/jobs}, relative to the server) on an HTTP API; 0 makes it free
 * @param rateLimit  requests each credential may make to this server (besides its plan's limits)
 * @param rateLimits requests each credential may make of one tool (MCP, by tool name) or under one route
 *                   (HTTP API, by path prefix relative to the server; the longest matching prefix wins)
 * @param auth       how the upstream learns who is calling
 * @param jobs       HTTP APIs only: routes that create and poll jobs, polled only by the creating credential
 * @param connectTimeout how long to wait for a connection to the upstream (502 past it)
 * @param timeout    how long to wait for the upstream's answer to start (504 past it); a started stream runs on
 */
public record Server(String id, Optional<String> orgId, String slug, String name, Kind kind, URI upstream,
                     Optional<String> mount, boolean isDefault, boolean isPublic, Targets workspaces,
                     Set<String> hiddenTools, long creditCost, Map<String, Long> costs,
                     Optional<io.gatehouse.limits.Rate> rateLimit, Map<String, io.gatehouse.limits.Rate> rateLimits,
                     UpstreamAuth auth, Optional<JobRoutes> jobs,
                     Duration connectTimeout, Duration timeout, Instant createdAt, Instant updatedAt) {

    public enum Kind {
        MCP, HTTP;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param mode        assertion (a JWT Gatehouse signs, the default), static (a fixed header), or none
     * @param header      static only: the header to set, e.g. {@code Authorization}
     * @param sealedValue static only: the header's value, sealed; opened only to send it
     */
    public record UpstreamAuth(Mode mode, Optional<String> header, Optional<String> sealedValue) {
        public enum Mode {
            ASSERTION, STATIC, NONE;

            public String wire() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        public static final UpstreamAuth ASSERTION = new UpstreamAuth(Mode.ASSERTION, Optional.empty(), Optional.empty());

        @Override
        public String toString() {
            return "UpstreamAuth[" + mode.wire() + header.map(h -> ", " + h).orElse("") + "]";
        }
    }

    /**
     * Seed 001: "Use the same API key to poll a job that created it." Paths are relative to the
     * server's base ({@code /generate}, {@code /jobs/{id}}).
     *
     * @param idField the field of the create answer that holds the job's id
     */
    public record JobRoutes(String createMethod, String createPath, String pollMethod, String pollPath,
                            String idField) {
        /** Poll paths as patterns, compiled once per distinct path rather than per request. */
        private static final java.util.Map<String, java.util.regex.Pattern> POLL_PATTERNS =
                new java.util.concurrent.ConcurrentHashMap<>();

        /*
         * Paths match ignoring case: an upstream that routes that way (ASP.NET, say) would serve
         * /JOBS/1 as /jobs/1. The price on a case-sensitive upstream: a distinct route that differs
         * from the poll path only in case (/Jobs/stats) is taken for a poll and answers 404
         * unknown_job. That fails closed, which is the side a guard should err on.
         */

        /** Whether {@code method} on {@code path} (relative to the server's base) creates a job. */
        public boolean creates(String method, String path) {
            return method.equals(createMethod) && path.equalsIgnoreCase(createPath);
        }

        /** The job id, when {@code method} on {@code path} polls a job. */
        public Optional<String> polled(String method, String path) {
            // HEAD is a GET without its body (RFC 9110 §9.3.2): it would still say whether the job exists.
            if (!method.equals(pollMethod) && !(method.equals("HEAD") && pollMethod.equals("GET"))) {
                return Optional.empty();
            }
            java.util.regex.Matcher m = POLL_PATTERNS.computeIfAbsent(pollPath, p -> {
                String[] parts = p.split("\\{id}", -1);
                return java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(parts[0]) + "([^/]+)"
                        + java.util.regex.Pattern.quote(parts[1]),
                        java.util.regex.Pattern.CASE_INSENSITIVE | java.util.regex.Pattern.UNICODE_CASE);
            }).matcher(path);
            return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
        }
    }

    /** What a {@code tools/call} of {@code tool} costs on this (MCP) server. */
    public long toolCost(String tool) {
        Long own = costs.get(tool);
        return own != null ? own : creditCost;
    }

    /** What a request to {@code path} (relative to this HTTP API) costs: the longest matching prefix's price. */
    public long routeCost(String path) {
        String route = longestPrefix(costs, path);
        return route.isEmpty() ? creditCost : costs.get(route);
    }

    /**
     * The route of {@link #rateLimits} that a request to {@code path} (relative to this HTTP API) falls
     * under: its longest matching prefix, or {@code ""} when none does. Its limit is then {@link #toolRate}.
     */
    public String limitedRoute(String path) {
        return rateLimits.isEmpty() ? "" : longestPrefix(rateLimits, path);
    }

    /** The limit on each credential's calls of {@code tool} (MCP), or on a route from {@link #limitedRoute}. */
    public Optional<io.gatehouse.limits.Rate> toolRate(String tool) {
        return Optional.ofNullable(rateLimits.get(tool));
    }

    /**
     * The longest key of {@code byPrefix} that {@code path} falls under, whole segments only
     * ({@code /v1/jobs} covers {@code /v1/jobs/7}, not {@code /v1/jobsx}); {@code ""} when none does.
     * Ignoring case, as job routes are matched (see {@link JobRoutes}): on an upstream that routes
     * that way, {@code /Generate} is {@code /generate}, and must not escape its price or its limit.
     * Two routes of one server never differ in case alone (the servers API refuses them).
     */
    private static String longestPrefix(Map<String, ?> byPrefix, String path) {
        String longest = "";
        for (String prefix : byPrefix.keySet()) {
            boolean matches = path.regionMatches(true, 0, prefix, 0, prefix.length())
                    && (path.length() == prefix.length() || prefix.endsWith("/") || path.charAt(prefix.length()) == '/');
            if (matches && prefix.length() > longest.length()) {
                longest = prefix;
            }
        }
        return longest;
    }

    /** Whether a tool may be seen or called by anyone through Gatehouse. */
    public boolean exposes(String tool) {
        return !hiddenTools.contains(tool);
    }
}
