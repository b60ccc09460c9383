package io.gatehouse.oauth;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which redirect URIs a client may have, and whether one presented at authorization is one it has.
 *
 * <p>Registrable: {@code https} URLs; {@code http} on a loopback host only (a native app's own
 * listener, RFC 8252 §7.3); and private-use schemes on the operator's allow-list
 * ({@code cursor://…}, RFC 8252 §7.1). Never a fragment (RFC 6749 §3.1.2), never user info.
 *
 * <p>Matching is exact string comparison (OAuth 2.1 §4.1.1), with one exception: a loopback
 * redirect matches on any port (RFC 8252 §7.3), since native apps listen on whatever port is
 * free — Claude Code registers {@code http://localhost/callback} and returns on a random port.
 */
final class Redirects {
    private static final Set<String> LOOPBACK_HOSTS = Set.of("localhost", "127.0.0.1", "[::1]", "::1");
    private final Set<String> privateSchemes;

    Redirects(List<String> privateSchemes) {
        this.privateSchemes = Set.copyOf(privateSchemes);
    }

    /** Why {@code uri} may not be a redirect URI here; null when it may. */
    String refusal(String uri) {
        URI u;
        try {
            u = new URI(uri);
        } catch (URISyntaxException e) {
            return "is not a URI";
        }
        if (!u.isAbsolute() || u.getScheme() == null) {
            return "is not an absolute URI";
        }
        if (u.getRawFragment() != null || uri.contains("#")) {
            return "has a fragment";
        }
        if (u.getRawUserInfo() != null) {
            return "has user information";
        }
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "https" -> u.getHost() == null ? "has no host" : null;
            case "http" -> u.getHost() != null && loopbackHost(u.getHost()) ? null
                    : "uses http on a host that is not loopback (use https, or http://127.0.0.1 or http://localhost)";
            default -> privateSchemes.contains(scheme) ? null
                    : "uses the scheme '" + scheme + "', which this server does not allow (oauth.redirect-schemes)";
        };
    }

    /** Whether {@code presented} is {@code registered}, a loopback port aside. */
    static boolean matches(String registered, String presented) {
        if (registered.equals(presented)) {
            return true;
        }
        URI r;
        URI p;
        try {
            r = new URI(registered);
            p = new URI(presented);
        } catch (URISyntaxException e) {
            return false;
        }
        return "http".equals(r.getScheme()) && "http".equals(p.getScheme())
                && r.getHost() != null && loopbackHost(r.getHost()) && r.getHost().equals(p.getHost())
                && r.getRawUserInfo() == null && p.getRawUserInfo() == null && p.getRawFragment() == null
                && same(r.getRawPath(), p.getRawPath()) && same(r.getRawQuery(), p.getRawQuery());
    }

    /** Whether every redirect URI of a client is on a loopback host: the consent page warns then. */
    static boolean loopbackOnly(List<String> uris) {
        return !uris.isEmpty() && uris.stream().allMatch(Redirects::isLoopback);
    }

    static boolean isLoopback(String uri) {
        try {
            URI u = new URI(uri);
            return "http".equals(u.getScheme()) && u.getHost() != null && loopbackHost(u.getHost());
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** What a person is shown of where they will be sent: the host, or the scheme of an app's own URI. */
    static String shownHost(String uri) {
        try {
            URI u = new URI(uri);
            if (u.getHost() != null) {
                return u.getHost() + (u.getPort() > 0 && !isLoopback(uri) ? ":" + u.getPort() : "");
            }
            return u.getScheme() + ": (an app on your computer)";
        } catch (URISyntaxException e) {
            return uri;
        }
    }

    private static boolean loopbackHost(String host) {
        return LOOPBACK_HOSTS.contains(host.toLowerCase(Locale.ROOT));
    }

    private static boolean same(String a, String b) {
        return a == null ? b == null || b.isEmpty() : a.equals(b) || (a.isEmpty() && b == null);
    }
}
