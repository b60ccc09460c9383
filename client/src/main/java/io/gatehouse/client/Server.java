package io.gatehouse.client;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An upstream registered under {@code /v1/servers}: an MCP server or an HTTP API reached through
 * the gateway ({@code Server}).
 *
 * @param id the server's id, {@code srv_…}
 * @param object always {@code server}
 * @param name its name
 * @param slug its name in URLs ({@code /mcp/{slug}}, {@code /api/{slug}/…})
 * @param kind {@code mcp} or {@code http}
 * @param organizationId the owning organization; empty for the instance's own servers
 * @param upstreamUrl the upstream's URL
 * @param endpoint where clients reach it through Gatehouse
 * @param mount HTTP APIs only: a path served as-is besides {@code /api/{slug}}
 * @param isDefault MCP only: whether it is the server behind a bare {@code /mcp}
 * @param isPublic whether it is callable without a credential
 * @param workspaces the workspaces whose members may reach it
 * @param hiddenTools MCP only: tools nobody may see or call through Gatehouse
 * @param creditCost credits one call costs (an HTTP request; an MCP {@code tools/call})
 * @param costs prices other than {@code creditCost}: by tool name (MCP) or path prefix (HTTP APIs)
 * @param rateLimit requests each credential may make to it, as {@code 100/min}, if limited
 * @param rateLimits requests each credential may make of one tool (MCP) or under one route (HTTP APIs)
 * @param upstreamAuth how the upstream learns who is calling
 * @param jobs HTTP APIs only: the routes that create and poll jobs
 * @param connectTimeoutMs the connect timeout to the upstream
 * @param timeoutMs how long the upstream may take to start answering
 * @param createdAt when it was registered
 * @param updatedAt when it last changed
 * @see "docs/gateway.md, Register a server"
 */
public record Server(String id, String object, String name, String slug, String kind, Optional<String> organizationId,
                     String upstreamUrl, String endpoint, Optional<String> mount,
                     @JsonProperty("default") boolean isDefault, @JsonProperty("public") boolean isPublic,
                     Targets workspaces, List<String> hiddenTools, int creditCost, Map<String, Long> costs,
                     Optional<String> rateLimit, Map<String, String> rateLimits, UpstreamAuth upstreamAuth,
                     Optional<Jobs> jobs, int connectTimeoutMs, int timeoutMs, Instant createdAt, Instant updatedAt) {
        /** Unmodifiable, like every answer: readers may share it. */
        public Server {
            hiddenTools = hiddenTools == null ? List.of() : List.copyOf(hiddenTools);
            costs = costs == null ? Map.of() : Map.copyOf(costs);
            rateLimits = rateLimits == null ? Map.of() : Map.copyOf(rateLimits);
        }


    /**
     * How the upstream learns who is calling, as a server view shows it: never the static value.
     *
     * @param type {@code assertion}, {@code static} or {@code none}
     * @param header {@code static} only: the header sent
     * @param valueSet whether a static value is stored
     */
    public record UpstreamAuth(String type, Optional<String> header, boolean valueSet) {
    }

    /**
     * The routes of an HTTP API that create and poll jobs, relative to the server's base. A job is
     * then polled only with the credential that created it.
     *
     * @param create e.g. {@code POST /generate}
     * @param poll e.g. {@code GET /jobs/{id}}
     * @param idField the answer field holding the job id; {@code null} in a request means the default {@code id}
     */
    public record Jobs(String create, String poll, String idField) {
    }
}
