package io.gatehouse.oauth;

import io.gatehouse.door.Targets;
import io.gatehouse.gateway.Server;
import io.gatehouse.gateway.ServerRegistry;
import io.gatehouse.http.PublicUrl;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The resources Gatehouse protects, as RFC 8707 names them: the URL a client connects to. A token
 * is bound to one: {@code <public url>/mcp/{server}} or {@code /api/{server}} reaches that server,
 * {@code /mcp} the default MCP server, and the bare origin every server the grant reaches. The URL
 * is compared as clients write it, case of scheme and host and a trailing slash aside (Claude Code
 * adds one). Anything else is {@code invalid_target}.
 */
final class Resources {
    private final PublicUrl publicUrl;
    private final ServerRegistry registry;

    /** A resource and the servers a token for it reaches ('*' or server slugs). */
    record Audience(String resource, Targets servers) {
    }

    Resources(PublicUrl publicUrl, ServerRegistry registry) {
        this.publicUrl = publicUrl;
        this.registry = registry;
    }

    /**
     * The audience {@code resource} names; the whole origin when the client named none (the
     * conformance suite sends none; MCP clients always do).
     */
    Audience audience(Optional<String> resource) {
        String base = canonical(publicUrl.get().toString());
        if (resource.isEmpty() || resource.get().isBlank()) {
            return new Audience(base, Targets.ALL);
        }
        String asked = canonical(resource.get());
        if (asked == null || !asked.startsWith(base)) {
            throw OAuthError.invalidTarget("This server does not protect " + Scopes.printable(resource.get()));
        }
        String path = asked.substring(base.length());
        if (path.isEmpty()) {
            return new Audience(asked, Targets.ALL);
        }
        if (path.equals("/mcp")) {
            Server s = registry.defaultMcp().orElseThrow(() ->
                    OAuthError.invalidTarget("There is no default MCP server at " + asked));
            return new Audience(asked, Targets.of(Set.of(s.slug())));
        }
        for (String prefix : new String[]{"/mcp/", "/api/"}) {
            if (path.startsWith(prefix)) {
                String slug = path.substring(prefix.length());
                Server.Kind kind = prefix.equals("/mcp/") ? Server.Kind.MCP : Server.Kind.HTTP;
                Optional<Server> server = registry.bySlug(slug).filter(s -> s.kind() == kind);
                if (server.isPresent() && slug.indexOf('/') < 0) {
                    return new Audience(asked, Targets.of(Set.of(server.get().slug())));
                }
            }
        }
        throw OAuthError.invalidTarget("This server does not protect " + Scopes.printable(resource.get()));
    }

    /** Whether two resource URLs are the same resource. */
    static boolean same(String a, String b) {
        String ca = canonical(a);
        return ca != null && ca.equals(canonical(b));
    }

    /** Lower-case scheme and host, default port dropped, no trailing slash, no query or fragment; null if not a URL. */
    static String canonical(String url) {
        try {
            URI u = new URI(url.strip());
            if (u.getScheme() == null || u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null
                    || u.getRawUserInfo() != null) {
                return null;
            }
            String scheme = u.getScheme().toLowerCase(Locale.ROOT);
            int port = u.getPort();
            boolean defaultPort = port < 0 || (scheme.equals("https") && port == 443) || (scheme.equals("http") && port == 80);
            String path = u.getRawPath() == null ? "" : u.getRawPath();
            while (path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port) + path;
        } catch (URISyntaxException e) {
            return null;
        }
    }
}
