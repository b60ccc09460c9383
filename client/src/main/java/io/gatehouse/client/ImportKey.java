package io.gatehouse.client;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One key of {@code POST /v1/keys/import} ({@code ImportKey}): a key your users already hold,
 * brought over by its SHA-256 so that Gatehouse never needs the plaintext. Start with
 * {@link #of(String, String, String)}.
 *
 * @param sha256 64 hex characters: SHA-256 of the plaintext key
 * @param prefix 3–32 characters the imported keys start with
 * @param displayPrefix what lists show before {@code …} (default {@code prefix})
 * @param last4 what lists show after {@code …}
 * @param name up to 200 characters
 * @param userId the owner; default the caller
 * @param organizationId default the caller's organization
 * @param kind {@code standard} (default) or {@code legacy} (operator credentials only)
 * @param workspaces as for create; ignored for legacy keys
 * @param servers as for create; ignored for legacy keys
 * @param permissions as for create; ignored for legacy keys
 * @param expiresAt when it expires; default never
 * @param createdAt when it was made; default now
 * @param tools as for create; ignored for legacy keys
 * @see "docs/keys.md, Import keys from another system"
 */
public record ImportKey(String sha256, String prefix, String displayPrefix, String last4, String name, String userId,
                        String organizationId, String kind, Targets workspaces, Targets servers,
                        List<String> permissions, Instant expiresAt, Instant createdAt, Targets tools) {

    /** Requires the hash, the prefix and the name. */
    public ImportKey {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(name, "name");
        permissions = permissions == null ? null : List.copyOf(permissions);
    }

    /**
     * A key to import with every default.
     *
     * @param sha256 the hex SHA-256 of the plaintext
     * @param prefix what the imported keys start with
     * @param name the key's name
     * @return the key to import
     */
    public static ImportKey of(String sha256, String prefix, String name) {
        return new ImportKey(sha256, prefix, null, null, name, null, null, null, null, null, null, null, null, null);
    }

    /**
     * @param orgId the organization
     * @param user the owner
     * @return a copy with both set
     */
    public ImportKey withOwner(String orgId, String user) {
        return new ImportKey(sha256, prefix, displayPrefix, last4, name, user, orgId, kind, workspaces, servers,
                permissions, expiresAt, createdAt, tools);
    }

    /**
     * @param value {@code standard} or {@code legacy}
     * @return a copy with it set
     */
    public ImportKey withKind(String value) {
        return new ImportKey(sha256, prefix, displayPrefix, last4, name, userId, organizationId, value, workspaces,
                servers, permissions, expiresAt, createdAt, tools);
    }

    /**
     * @param display what lists show before {@code …}
     * @param last what they show after
     * @return a copy with both set
     */
    public ImportKey withDisplay(String display, String last) {
        return new ImportKey(sha256, prefix, display, last, name, userId, organizationId, kind, workspaces, servers,
                permissions, expiresAt, createdAt, tools);
    }

    /**
     * @param ws the workspaces
     * @param srv the servers
     * @param tls the tools
     * @return a copy with the scope set
     */
    public ImportKey withScope(Targets ws, Targets srv, Targets tls) {
        return new ImportKey(sha256, prefix, displayPrefix, last4, name, userId, organizationId, kind, ws, srv,
                permissions, expiresAt, createdAt, tls);
    }

    /**
     * @param list {@code area:action} permissions
     * @return a copy with them set
     */
    public ImportKey withPermissions(String... list) {
        return new ImportKey(sha256, prefix, displayPrefix, last4, name, userId, organizationId, kind, workspaces,
                servers, List.of(list), expiresAt, createdAt, tools);
    }

    /**
     * @param created when it was made
     * @param expires when it expires
     * @return a copy with both set
     */
    public ImportKey withTimes(Instant created, Instant expires) {
        return new ImportKey(sha256, prefix, displayPrefix, last4, name, userId, organizationId, kind, workspaces,
                servers, permissions, expires, created, tools);
    }
}
