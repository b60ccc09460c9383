package io.gatehouse.client;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The body of {@code POST /v1/keys} ({@code CreateKeyRequest}). Start with {@link #named(String)};
 * every other field is left out unless set, and left out means the server's default (mostly: as
 * far as the calling key reaches). Give at most one of {@code expires}, {@code expiresInDays} and
 * {@code expiresAt}.
 *
 * <pre>{@code
 * CreateKeyRequest.named("CI").withOrganization(orgId).withUser(serviceAccountId)
 *         .withServers(Targets.of("search")).withExpires("90d")
 * }</pre>
 *
 * @param name 1–200 characters, to recognize the key later
 * @param userId the owner; default the caller (someone else: a service account, or with an operator credential)
 * @param organizationId default the caller's organization (another one only with an operator credential)
 * @param workspaces the workspaces the key reaches
 * @param servers the upstream servers the key reaches
 * @param permissions {@code area:action} permissions, e.g. {@code mcp:*}, {@code keys:self}
 * @param expires a preset: {@code never}, {@code 30d}, {@code 90d}, {@code 365d}, {@code 1y}
 * @param expiresInDays 1–3650 days from now
 * @param expiresAt a moment in the future
 * @param tools {@code server/tool} entries the key may use
 * @param kind {@code standard} (default) or {@code operator} (operator credentials only)
 * @param rateLimit the key's own rate limit, as {@code 100/min}; left out: the calling key's own, if it has one
 * @see "docs/keys.md, Create a key"
 */
public record CreateKeyRequest(String name, String userId, String organizationId, Targets workspaces, Targets servers,
                               List<String> permissions, String expires, Integer expiresInDays, Instant expiresAt,
                               Targets tools, String kind, String rateLimit) {

    /** Requires a name. */
    public CreateKeyRequest {
        Objects.requireNonNull(name, "name");
        permissions = permissions == null ? null : List.copyOf(permissions);
    }

    /**
     * A request for a key with this name and every default.
     *
     * @param name 1–200 characters
     * @return the request
     */
    public static CreateKeyRequest named(String name) {
        return new CreateKeyRequest(name, null, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * @param id the organization the key belongs to
     * @return a copy with it set
     */
    public CreateKeyRequest withOrganization(String id) {
        return new CreateKeyRequest(name, userId, id, workspaces, servers, permissions, expires, expiresInDays,
                expiresAt, tools, kind, rateLimit);
    }

    /**
     * @param id the key's owner
     * @return a copy with it set
     */
    public CreateKeyRequest withUser(String id) {
        return new CreateKeyRequest(name, id, organizationId, workspaces, servers, permissions, expires, expiresInDays,
                expiresAt, tools, kind, rateLimit);
    }

    /**
     * @param targets the workspaces the key reaches
     * @return a copy with them set
     */
    public CreateKeyRequest withWorkspaces(Targets targets) {
        return new CreateKeyRequest(name, userId, organizationId, targets, servers, permissions, expires,
                expiresInDays, expiresAt, tools, kind, rateLimit);
    }

    /**
     * @param targets the servers the key reaches, by id or slug
     * @return a copy with them set
     */
    public CreateKeyRequest withServers(Targets targets) {
        return new CreateKeyRequest(name, userId, organizationId, workspaces, targets, permissions, expires,
                expiresInDays, expiresAt, tools, kind, rateLimit);
    }

    /**
     * @param targets the {@code server/tool} entries the key may use
     * @return a copy with them set
     */
    public CreateKeyRequest withTools(Targets targets) {
        return new CreateKeyRequest(name, userId, organizationId, workspaces, servers, permissions, expires,
                expiresInDays, expiresAt, targets, kind, rateLimit);
    }

    /**
     * @param list {@code area:action} permissions
     * @return a copy with them set
     */
    public CreateKeyRequest withPermissions(String... list) {
        return new CreateKeyRequest(name, userId, organizationId, workspaces, servers, List.of(list), expires,
                expiresInDays, expiresAt, tools, kind, rateLimit);
    }

    /**
     * @param preset {@code never}, {@code 30d}, {@code 90d}, {@code 365d} or {@code 1y}
     * @return a copy with it set
     */
    public CreateKeyRequest withExpires(String preset) {
        return new CreateKeyRequest(name, userId, organizationId, workspaces, servers, permissions, preset,
                expiresInDays, expiresAt, tools, kind, rateLimit);
    }

    /**
     * @param days 1–3650 days from now
     * @return a copy with it set
     */
    public CreateKeyRequest withExpiresInDays(int days) {
        return new CreateKeyRequest(name, userId, organizationId, workspaces, servers, permissions, expires, days,
                expiresAt, tools, kind, rateLimit);
    }

    /**
     * @param at a moment in the future
     * @return a copy with it set
     */
    public CreateKeyRequest withExpiresAt(Instant at) {
        return new CreateKeyRequest(name, userId, organizationId, workspaces, servers, permissions, expires,
                expiresInDays, at, tools, kind, rateLimit);
    }

    /**
     * @param value {@code standard} or {@code operator}
     * @return a copy with it set
     */
    public CreateKeyRequest withKind(String value) {
        return new CreateKeyRequest(name, userId, organizationId, workspaces, servers, permissions, expires,
                expiresInDays, expiresAt, tools, value, rateLimit);
    }

    /**
     * @param rate the key's own rate limit, as {@code 100/min}: no looser than the calling key's own
     * @return a copy with it set
     */
    public CreateKeyRequest withRateLimit(String rate) {
        return new CreateKeyRequest(name, userId, organizationId, workspaces, servers, permissions, expires,
                expiresInDays, expiresAt, tools, kind, rate);
    }
}
