package io.gatehouse.web;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.gatehouse.http.PublicUrl;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * Gatehouse's HTML pages: JTE templates compiled at build time ({@code src/main/jte}), written with
 * the headers every page carries. The console reuses both.
 *
 * <p>The policy: nothing but the page's own stylesheet and images loads, no script runs, no page
 * may be framed (clickjacking on a consent button), forms post only to this origin (and, on a page
 * that ends in a redirect to a client, that client's origin: browsers apply {@code form-action} to
 * the redirect after a form too), no referrer leaves for another site (an authorization URL carries
 * a state and a code challenge, an invitation link a token), and nothing is cached. The referrer
 * policy is {@code same-origin}, not {@code no-referrer}: under {@code no-referrer} browsers send
 * {@code Origin: null} with every form (Fetch Standard, "serializing a request origin"), and
 * {@link Browser#fromOurPage} refuses that, so nobody could sign in; under {@code same-origin} a
 * form posted to this origin says where it came from, and the client's site is told nothing.
 */
public final class Pages {
    private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);
    private final PublicUrl publicUrl;
    private final byte[] stylesheet;

    public Pages(PublicUrl publicUrl) {
        this.publicUrl = publicUrl;
        try (InputStream in = Pages.class.getResourceAsStream("/web/gatehouse.css")) {
            if (in == null) {
                throw new IllegalStateException("web/gatehouse.css is missing from the jar");
            }
            this.stylesheet = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Renders {@code template} with {@code model} as a page, with {@code formTargets} besides this origin. */
    public void render(ServerResponse res, Status status, String template, Object model, Collection<String> formTargets) {
        StringOutput out = new StringOutput();
        engine.render(template, model, out);
        securityHeaders(res, formTargets);
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
        res.send(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    public void render(ServerResponse res, Status status, String template, Object model) {
        render(res, status, template, model, java.util.List.of());
    }

    /** A page with a title and one sentence. */
    public void message(ServerResponse res, Status status, String title, String text, String requestId) {
        render(res, status, "message.jte", new Views.Message(title, text, requestId));
    }

    /** The headers of every page, and of redirects that end a form. */
    public void securityHeaders(ServerResponse res, Collection<String> formTargets) {
        StringBuilder formAction = new StringBuilder("'self'");
        for (String target : formTargets) {
            formAction.append(' ').append(target);
        }
        res.header(HeaderNames.create("Content-Security-Policy"), "default-src 'none'; style-src 'self'; "
                + "img-src 'self'; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'");
        res.header(HeaderNames.create("X-Frame-Options"), "DENY");
        res.header(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
        res.header(HeaderNames.create("Referrer-Policy"), "same-origin");
        res.header(HeaderNames.create("Cross-Origin-Opener-Policy"), "same-origin");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        if (secure()) {
            res.header(HeaderNames.STRICT_TRANSPORT_SECURITY, "max-age=31536000");
        }
    }

    /** The stylesheet, cacheable for a day. */
    public void stylesheet(ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "text/css; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=86400");
        res.header(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
        res.send(stylesheet);
    }

    /** Whether Gatehouse is reached over https: cookies are then {@code Secure} and {@code __Host-}. */
    public boolean secure() {
        return "https".equals(publicUrl.get().getScheme());
    }
}
