package io.gatehouse.client;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code PATCH /v1/servers/{id}} ({@code UpdateServerRequest}): any field of a server
 * but its kind and organization; only the fields set here change.
 *
 * @param fields the JSON members to send, as set by the {@code with…} methods
 * @see "docs/gateway.md, Register a server"
 */
public record UpdateServerRequest(Map<String, Object> fields) {
    /** Copies the fields (values may be {@code null}: a JSON null). */
    public UpdateServerRequest {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** @return a patch that changes nothing yet */
    public static UpdateServerRequest changes() {
        return new UpdateServerRequest(Map.of());
    }

    /**
     * @param name 1–200 characters
     * @return a copy with {@code name} set
     */
    public UpdateServerRequest withName(String name) {
        return with("name", name);
    }

    /**
     * @param slug the name in URLs, {@code [a-z0-9][a-z0-9-]{0,62}}
     * @return a copy with {@code slug} set
     */
    public UpdateServerRequest withSlug(String slug) {
        return with("slug", slug);
    }

    /**
     * @param url an absolute http(s) URL without credentials, query or fragment
     * @return a copy with {@code upstream_url} set
     */
    public UpdateServerRequest withUpstreamUrl(String url) {
        return with("upstream_url", url);
    }

    /**
     * @param path HTTP APIs only: a path served as-is, e.g. {@code /api/v1}
     * @return a copy with {@code mount} set
     */
    public UpdateServerRequest withMount(String path) {
        return with("mount", path);
    }

    /**
     * @param on MCP only: whether it is the server behind a bare {@code /mcp}
     * @return a copy with {@code default} set
     */
    public UpdateServerRequest withDefault(boolean on) {
        return with("default", on);
    }

    /**
     * @param on whether it is callable without a credential
     * @return a copy with {@code public} set
     */
    public UpdateServerRequest withPublic(boolean on) {
        return with("public", on);
    }

    /**
     * @param targets the workspaces whose members may reach it
     * @return a copy with {@code workspaces} set
     */
    public UpdateServerRequest withWorkspaces(Targets targets) {
        return with("workspaces", targets);
    }

    /**
     * @param tools MCP only: tools nobody may see or call
     * @return a copy with {@code hidden_tools} set
     */
    public UpdateServerRequest withHiddenTools(String... tools) {
        return with("hidden_tools", List.of(tools));
    }

    /**
     * @param credits credits one call costs
     * @return a copy with {@code credit_cost} set
     */
    public UpdateServerRequest withCreditCost(int credits) {
        return with("credit_cost", credits);
    }

    /**
     * @param costs prices other than {@code credit_cost}: by tool name (MCP) or path prefix such as
     *              {@code /v1/jobs} (HTTP APIs); 0 makes it free
     * @return a copy with {@code costs} set
     */
    public UpdateServerRequest withCosts(java.util.Map<String, Long> costs) {
        return with("costs", java.util.Map.copyOf(costs));
    }

    /**
     * @param rate requests each credential may make to the server, as {@code 100/min}
     * @return a copy with {@code rate_limit} set
     */
    public UpdateServerRequest withRateLimit(String rate) {
        return with("rate_limit", rate);
    }

    /**
     * @param rates requests each credential may make of one tool (MCP, by tool name) or under one
     *              route (HTTP APIs, by path prefix such as {@code /v1/generate}), as {@code 10/min};
     *              the whole map is replaced
     * @return a copy with {@code rate_limits} set
     */
    public UpdateServerRequest withRateLimits(java.util.Map<String, String> rates) {
        return with("rate_limits", java.util.Map.copyOf(rates));
    }

    /**
     * @param auth how the upstream learns who is calling
     * @return a copy with {@code upstream_auth} set
     */
    public UpdateServerRequest withUpstreamAuth(CreateServerRequest.UpstreamAuth auth) {
        return with("upstream_auth", auth);
    }

    /**
     * @param jobs HTTP APIs only: the routes that create and poll jobs
     * @return a copy with {@code jobs} set
     */
    public UpdateServerRequest withJobs(Server.Jobs jobs) {
        return with("jobs", jobs);
    }

    /**
     * @param millis 100–60000
     * @return a copy with {@code connect_timeout_ms} set
     */
    public UpdateServerRequest withConnectTimeoutMs(int millis) {
        return with("connect_timeout_ms", millis);
    }

    /**
     * @param millis 1000–3600000: how long the upstream may take to start answering
     * @return a copy with {@code timeout_ms} set
     */
    public UpdateServerRequest withTimeoutMs(int millis) {
        return with("timeout_ms", millis);
    }

    /** @return a copy that removes the mount (sends {@code null}) */
    public UpdateServerRequest withoutMount() {
        return with("mount", null);
    }

    /** @return a copy that removes the job routes (sends {@code null}) */
    public UpdateServerRequest withoutJobs() {
        return with("jobs", null);
    }

    private UpdateServerRequest with(String field, Object value) {
        Map<String, Object> next = new LinkedHashMap<>(fields);
        next.put(field, value);
        return new UpdateServerRequest(next);
    }

    @JsonValue
    Map<String, Object> json() {
        return fields;
    }
}
