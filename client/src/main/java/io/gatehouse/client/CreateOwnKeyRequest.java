package io.gatehouse.client;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The body of {@code POST /v1/me/keys} ({@code CreateOwnKeyRequest}): a key for the calling key's
 * owner, in the calling key's organization, never reaching further than the calling key. Start
 * with {@link #named(String)}; fields left out take the calling key's reach.
 *
 * @param name 1–200 characters
 * @param workspaces the workspaces the key reaches
 * @param servers the upstream servers the key reaches
 * @param permissions {@code area:action} permissions
 * @param expires a preset: {@code never}, {@code 30d}, {@code 90d}, {@code 365d}, {@code 1y}
 * @param expiresInDays 1–3650 days from now
 * @param expiresAt a moment in the future
 * @param tools {@code server/tool} entries the key may use
 * @param rateLimit the key's own rate limit, as {@code 100/min}; left out: the calling key's own, if it has one
 * @see "docs/keys.md, Your own keys"
 */
public record CreateOwnKeyRequest(String name, Targets workspaces, Targets servers, List<String> permissions,
                                  String expires, Integer expiresInDays, Instant expiresAt, Targets tools,
                                  String rateLimit) {

    /** Requires a name. */
    public CreateOwnKeyRequest {
        Objects.requireNonNull(name, "name");
        permissions = permissions == null ? null : List.copyOf(permissions);
    }

    /**
     * @param name 1–200 characters
     * @return a request with every default
     */
    public static CreateOwnKeyRequest named(String name) {
        return new CreateOwnKeyRequest(name, null, null, null, null, null, null, null, null);
    }

    /**
     * @param targets the workspaces
     * @return a copy with them set
     */
    public CreateOwnKeyRequest withWorkspaces(Targets targets) {
        return new CreateOwnKeyRequest(name, targets, servers, permissions, expires, expiresInDays,
                expiresAt, tools, rateLimit);
    }

    /**
     * @param targets the servers, by id or slug
     * @return a copy with them set
     */
    public CreateOwnKeyRequest withServers(Targets targets) {
        return new CreateOwnKeyRequest(name, workspaces, targets, permissions, expires, expiresInDays,
                expiresAt, tools, rateLimit);
    }

    /**
     * @param targets {@code server/tool} entries
     * @return a copy with them set
     */
    public CreateOwnKeyRequest withTools(Targets targets) {
        return new CreateOwnKeyRequest(name, workspaces, servers, permissions, expires, expiresInDays, expiresAt,
                targets, rateLimit);
    }

    /**
     * @param list {@code area:action} permissions
     * @return a copy with them set
     */
    public CreateOwnKeyRequest withPermissions(String... list) {
        return new CreateOwnKeyRequest(name, workspaces, servers, List.of(list), expires, expiresInDays, expiresAt,
                tools, rateLimit);
    }

    /**
     * @param preset {@code never}, {@code 30d}, {@code 90d}, {@code 365d} or {@code 1y}
     * @return a copy with it set
     */
    public CreateOwnKeyRequest withExpires(String preset) {
        return new CreateOwnKeyRequest(name, workspaces, servers, permissions, preset, expiresInDays,
                expiresAt, tools, rateLimit);
    }

    /**
     * @param days 1–3650 days from now
     * @return a copy with it set
     */
    public CreateOwnKeyRequest withExpiresInDays(int days) {
        return new CreateOwnKeyRequest(name, workspaces, servers, permissions, expires, days, expiresAt,
                tools, rateLimit);
    }

    /**
     * @param at a moment in the future
     * @return a copy with it set
     */
    public CreateOwnKeyRequest withExpiresAt(Instant at) {
        return new CreateOwnKeyRequest(name, workspaces, servers, permissions, expires, expiresInDays, at,
                tools, rateLimit);
    }

    /**
     * @param rate the key's own rate limit, as {@code 100/min}: no looser than the calling key's own
     * @return a copy with it set
     */
    public CreateOwnKeyRequest withRateLimit(String rate) {
        return new CreateOwnKeyRequest(name, workspaces, servers, permissions, expires, expiresInDays, expiresAt, tools,
                rate);
    }
}
