package io.gatehouse.oauth;

import io.gatehouse.door.Permissions;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scopes a client may ask for. They are the data-plane permissions of keys, so a token's scope
 * is checked by the door exactly as a key's permissions are ({@code mcp:use} for MCP, {@code api:read}
 * and {@code api:write} for HTTP APIs). Management permissions are never granted by OAuth: a token
 * acts for its person on the servers they reach, not on the organization. {@code offline_access}
 * (OpenID's "give me a refresh token") is accepted and ignored: every grant gets a refresh token.
 */
public final class Scopes {
    public static final Map<String, String> SUPPORTED;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(Permissions.MCP_USE, "use the MCP servers you can use, with your access");
        m.put(Permissions.API_READ, "read through the HTTP APIs you can use");
        m.put(Permissions.API_WRITE, "change things through the HTTP APIs you can use");
        SUPPORTED = java.util.Collections.unmodifiableMap(m);
    }

    private Scopes() {
    }

    /**
     * The scopes asked for: {@code requested} split on spaces, or {@code defaults} when empty.
     *
     * @throws OAuthError {@code invalid_scope} naming a scope Gatehouse does not grant
     */
    public static Set<String> parse(String requested, List<String> defaults) {
        Set<String> scopes = new LinkedHashSet<>();
        if (requested != null) {
            for (String s : requested.trim().split(" +")) {
                if (s.isEmpty() || s.equals("offline_access")) {
                    continue;
                }
                if (!SUPPORTED.containsKey(s) && !s.equals("mcp:*") && !s.equals("api:*")) {
                    throw OAuthError.invalidScope("Gatehouse does not grant the scope '" + printable(s)
                            + "'; it grants " + String.join(", ", SUPPORTED.keySet()));
                }
                if (s.endsWith(":*")) {
                    String area = s.substring(0, s.length() - 1);
                    SUPPORTED.keySet().stream().filter(k -> k.startsWith(area)).forEach(scopes::add);
                } else {
                    scopes.add(s);
                }
            }
        }
        if (scopes.isEmpty()) {
            scopes.addAll(defaults);
        }
        return scopes;
    }

    public static String format(Set<String> scopes) {
        return String.join(" ", scopes);
    }

    public static Set<String> split(String stored) {
        Set<String> out = new LinkedHashSet<>();
        for (String s : stored.split(" ")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
