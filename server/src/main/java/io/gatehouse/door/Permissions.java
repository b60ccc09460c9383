package io.gatehouse.door;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Permissions are {@code area:action} strings ({@code api:read}, {@code mcp:use}, {@code admin:write}).
 * A grant of {@code area:*} covers every action of that area. Management permissions ({@code admin:…})
 * take effect only while the key's owner is an owner or admin of its organisation; {@code keys:verify}
 * only on an operator credential (it checks any key of the instance).
 */
public final class Permissions {
    public static final String ADMIN_READ = "admin:read";
    public static final String ADMIN_WRITE = "admin:write";
    public static final String KEYS_VERIFY = "keys:verify";
    /** A person manages their own keys: create (within this key's reach), list, renew, roll, revoke, delete. */
    public static final String KEYS_SELF = "keys:self";
    /** Any MCP request through the gateway. */
    public static final String MCP_USE = "mcp:use";
    /** HTTP API calls that read (GET, HEAD, OPTIONS) and the rest. */
    public static final String API_READ = "api:read";
    public static final String API_WRITE = "api:write";
    /** Given to a new key when its creator names none: every data-plane action. */
    public static final Set<String> DEFAULT_DATA_PLANE = Set.of("api:*", "mcp:*");

    private static final Pattern FORMAT = Pattern.compile("[a-z][a-z0-9_-]{0,31}:(\\*|[a-z0-9][a-z0-9_.-]{0,63})");

    private Permissions() {
    }

    public static boolean isValid(String permission) {
        return FORMAT.matcher(permission).matches();
    }

    public static boolean isManagement(String permission) {
        return permission.startsWith("admin:") || permission.startsWith("keys:");
    }

    /** True when {@code granted} covers {@code needed}, directly or through {@code area:*}. */
    public static boolean grants(Set<String> granted, String needed) {
        if (granted.contains(needed)) {
            return true;
        }
        int colon = needed.indexOf(':');
        return colon > 0 && granted.contains(needed.substring(0, colon) + ":*");
    }
}
