package io.gatehouse.client;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/servers} ({@code CreateServerRequest}): registers an MCP server or
 * an HTTP API behind the gateway. Start with {@link #of(String, String, String)}; fields not set
 * take the server's defaults. Without {@link #withOrganization(String)} it is one of the
 * instance's own servers (operator credentials only).
 *
 * <pre>{@code
 * CreateServerRequest.of("Search", "search", "http://10.0.0.5:3000/mcp").withOrganization(orgId)
 * }</pre>
 *
 * @param fields the JSON members to send, as set by {@link #of} and the {@code with…} methods
 * @see "docs/gateway.md, Register a server"
 */
public record CreateServerRequest(Map<String, Object> fields) {
    /** Copies the fields. */
    public CreateServerRequest {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /**
     * @param name 1–200 characters
     * @param slug the name in URLs
     * @param upstreamUrl the upstream's URL
     * @return a request for an MCP server with every default
     */
    public static CreateServerRequest of(String name, String slug, String upstreamUrl) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("name", name);
        f.put("slug", slug);
        f.put("upstream_url", upstreamUrl);
        return new CreateServerRequest(f);
    }

    /**
     * @param name 1–200 characters
     * @return a copy with {@code name} set
     */
    public CreateServerRequest withName(String name) {
        return with("name", name);
    }

    /**
     * @param slug the name in URLs, {@code [a-z0-9][a-z0-9-]{0,62}}
     * @return a copy with {@code slug} set
     */
    public CreateServerRequest withSlug(String slug) {
        return with("slug", slug);
    }

    /**
     * @param url an absolute http(s) URL without credentials, query or fragment
     * @return a copy with {@code upstream_url} set
     */
    public CreateServerRequest withUpstreamUrl(String url) {
        return with("upstream_url", url);
    }

    /**
     * @param path HTTP APIs only: a path served as-is, e.g. {@code /api/v1}
     * @return a copy with {@code mount} set
     */
    public CreateServerRequest withMount(String path) {
        return with("mount", path);
    }

    /**
     * @param on MCP only: whether it is the server behind a bare {@code /mcp}
     * @return a copy with {@code default} set
     */
    public CreateServerRequest withDefault(boolean on) {
        return with("default", on);
    }

    /**
     * @param on whether it is callable without a credential
     * @return a copy with {@code public} set
     */
    public CreateServerRequest withPublic(boolean on) {
        return with("public", on);
    }

    /**
     * @param targets the workspaces whose members may reach it
     * @return a copy with {@code workspaces} set
     */
    public CreateServerRequest withWorkspaces(Targets targets) {
        return with("workspaces", targets);
    }

    /**
     * @param tools MCP only: tools nobody may see or call
     * @return a copy with {@code hidden_tools} set
     */
    public CreateServerRequest withHiddenTools(String... tools) {
        return with("hidden_tools", List.of(tools));
    }

    /**
     * @param credits credits one call costs
     * @return a copy with {@code credit_cost} set
     */
    public CreateServerRequest withCreditCost(int credits) {
        return with("credit_cost", credits);
    }

    /**
     * @param costs prices other than {@code credit_cost}: by tool name (MCP) or path prefix such as
     *              {@code /v1/jobs} (HTTP APIs); 0 makes it free
     * @return a copy with {@code costs} set
     */
    public CreateServerRequest withCosts(java.util.Map<String, Long> costs) {
        return with("costs", java.util.Map.copyOf(costs));
    }

    /**
     * @param rate requests each credential may make to the server, as {@code 100/min}
     * @return a copy with {@code rate_limit} set
     */
    public CreateServerRequest withRateLimit(String rate) {
        return with("rate_limit", rate);
    }

    /**
     * @param rates requests each credential may make of one tool (MCP, by tool name) or under one
     *              route (HTTP APIs, by path prefix such as {@code /v1/generate}), as {@code 10/min};
     *              the whole map is replaced
     * @return a copy with {@code rate_limits} set
     */
    public CreateServerRequest withRateLimits(java.util.Map<String, String> rates) {
        return with("rate_limits", java.util.Map.copyOf(rates));
    }

    /**
     * @param auth how the upstream learns who is calling
     * @return a copy with {@code upstream_auth} set
     */
    public CreateServerRequest withUpstreamAuth(UpstreamAuth auth) {
        return with("upstream_auth", auth);
    }

    /**
     * @param jobs HTTP APIs only: the routes that create and poll jobs
     * @return a copy with {@code jobs} set
     */
    public CreateServerRequest withJobs(Server.Jobs jobs) {
        return with("jobs", jobs);
    }

    /**
     * @param millis 100–60000
     * @return a copy with {@code connect_timeout_ms} set
     */
    public CreateServerRequest withConnectTimeoutMs(int millis) {
        return with("connect_timeout_ms", millis);
    }

    /**
     * @param millis 1000–3600000: how long the upstream may take to start answering
     * @return a copy with {@code timeout_ms} set
     */
    public CreateServerRequest withTimeoutMs(int millis) {
        return with("timeout_ms", millis);
    }

    /**
     * @param kind {@code mcp} (default) or {@code http}
     * @return a copy with {@code kind} set
     */
    public CreateServerRequest withKind(String kind) {
        return with("kind", kind);
    }

    /**
     * @param id the organization that owns the server
     * @return a copy with {@code organization_id} set
     */
    public CreateServerRequest withOrganization(String id) {
        return with("organization_id", id);
    }

    private CreateServerRequest with(String field, Object value) {
        Map<String, Object> next = new LinkedHashMap<>(fields);
        next.put(field, value);
        return new CreateServerRequest(next);
    }

    @JsonValue
    Map<String, Object> json() {
        return fields;
    }

    /**
     * How the upstream learns who is calling ({@code upstream_auth}). {@link #toString()} masks the value.
     *
     * @param type {@code assertion} (a JWT signed by Gatehouse), {@code static} or {@code none}
     * @param header {@code static} only: the header to send (default {@code Authorization})
     * @param value {@code static} only: its value, stored sealed and never shown again
     */
    public record UpstreamAuth(String type, String header, String value) {
        /** @return Gatehouse's signed assertion (the default) */
        public static UpstreamAuth assertion() {
            return new UpstreamAuth("assertion", null, null);
        }

        /** @return nothing sent to the upstream */
        public static UpstreamAuth none() {
            return new UpstreamAuth("none", null, null);
        }

        /**
         * @param header the header to send
         * @param value its value
         * @return a fixed header and value
         */
        public static UpstreamAuth fixed(String header, String value) {
            return new UpstreamAuth("static", header, value);
        }

        @Override
        public String toString() {
            return "UpstreamAuth[type=" + type + ", header=" + header + ", value="
                    + (value == null ? "null" : "****") + "]";
        }
    }
}
