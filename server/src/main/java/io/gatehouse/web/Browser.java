package io.gatehouse.web;

import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.store.Ids;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.HeaderNames;
import io.helidon.http.SetCookie;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a page needs to know about the browser in front of it: its cookies, the form it posted,
 * and whether that form came from one of Gatehouse's own pages.
 *
 * <p>Forms are protected by a token bound to the browser (OWASP's "signed double-submit cookie"):
 * each browser gets a random id in an HttpOnly cookie, and each form carries an HMAC of that id
 * under a key derived from the node secret, so every node checks it without shared state and no
 * other site can compute it. A POST whose {@code Origin} is another site is refused as well.
 * Cookies are {@code HttpOnly}, {@code SameSite=Lax} (an MCP client sends the person here by a
 * top-level navigation from its own site, which must carry the session), {@code Path=/}, and
 * {@code Secure} with the {@code __Host-} prefix when Gatehouse is served over https.
 */
public final class Browser {
    private static final Pattern BROWSER_ID = Pattern.compile("[A-Za-z0-9]{24}");
    private static final String BROWSER_COOKIE = "gh_browser";
    private final SecretKeySpec csrfKey;
    private final PublicUrl publicUrl;

    public Browser(byte[] csrfKey, PublicUrl publicUrl) {
        this.csrfKey = new SecretKeySpec(csrfKey, "HmacSHA256");
        this.publicUrl = publicUrl;
    }

    /** A cookie's name as set: {@code __Host-name} over https, {@code name} over http. */
    public String cookieName(String name) {
        return secure() ? "__Host-" + name : name;
    }

    public Optional<String> cookie(ServerRequest req, String name) {
        return req.headers().cookies().first(cookieName(name)).asOptional();
    }

    public void setCookie(ServerResponse res, String name, String value, Optional<Duration> maxAge) {
        SetCookie.Builder cookie = SetCookie.builder(cookieName(name), value).path("/").httpOnly(true)
                .secure(secure()).sameSite(SetCookie.SameSite.LAX);
        maxAge.ifPresent(cookie::maxAge);
        res.headers().addCookie(cookie.build());
    }

    public void clearCookie(ServerResponse res, String name) {
        setCookie(res, name, "", Optional.of(Duration.ZERO));
    }

    /** The browser's id: from its cookie, or a new one set on {@code res}. */
    public String browserId(ServerRequest req, ServerResponse res) {
        Optional<String> known = cookie(req, BROWSER_COOKIE).filter(v -> BROWSER_ID.matcher(v).matches());
        if (known.isPresent()) {
            return known.get();
        }
        String id = Ids.random(24);
        setCookie(res, BROWSER_COOKIE, id, Optional.empty());
        return id;
    }

    /** The token a form served to this browser carries. */
    public String csrfToken(String browserId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(csrfKey);
            byte[] tag = mac.doFinal(("csrf v1 " + browserId).getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(tag);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code form} was posted from one of Gatehouse's pages in this browser. */
    public boolean fromOurPage(ServerRequest req, Parameters form) {
        Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
        if (origin.isPresent() && !origin.get().equalsIgnoreCase(publicOrigin())) {
            return false;
        }
        Optional<String> id = cookie(req, BROWSER_COOKIE).filter(v -> BROWSER_ID.matcher(v).matches());
        String presented = form.first("csrf").orElse("");
        return id.isPresent() && MessageDigest.isEqual(csrfToken(id.get()).getBytes(StandardCharsets.US_ASCII),
                presented.getBytes(StandardCharsets.US_ASCII));
    }

    /** The posted form: {@code application/x-www-form-urlencoded}, else a 415. */
    public static Parameters form(ServerRequest req) {
        String type = req.headers().contentType().map(t -> t.mediaType().text()).orElse("");
        if (!type.equalsIgnoreCase("application/x-www-form-urlencoded")) {
            throw ApiError.of(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                    "Send the form as application/x-www-form-urlencoded");
        }
        return req.content().as(Parameters.class);
    }

    /**
     * A path on this server to return to after signing in: a relative reference that starts with one
     * slash (never {@code //host} nor {@code /\host}, which browsers read as another host); else "/".
     */
    public static String localPath(Optional<String> candidate) {
        String v = candidate.orElse("/");
        if (!v.startsWith("/") || v.startsWith("//") || v.startsWith("/\\") || v.length() > 8192) {
            return "/";
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '\\') {
                return "/";
            }
        }
        return v;
    }

    public String publicOrigin() {
        java.net.URI u = publicUrl.get();
        return u.getScheme() + "://" + u.getRawAuthority();
    }

    public boolean secure() {
        return "https".equals(publicUrl.get().getScheme());
    }
}
