package io.gatehouse.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.oauth.OAuthSteps;
import io.gatehouse.testing.GatewayNode;
import io.gatehouse.testing.NodeClients;
import io.gatehouse.testing.TestNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13: Gatehouse's own pages (sign-in, consent, an invitation, the error a bad link gets) are
 * readable without scripts at phone width, in a real browser. The HTTP-level tests read the markup
 * but cannot see a layout: a long client name or email that pushes the page sideways, a button too
 * small for a thumb, a field iOS zooms into, a stylesheet the page's own CSP blocks. So Debian's
 * Chromium, with JavaScript off, opens each page at 390 and 320 CSS pixels wide
 * ({@code phone-pages.mjs}), signs in through the form and taps "Allow"; this test judges what it
 * measured. Names and emails are long on purpose, with words no phone line holds. The screenshots
 * are kept in {@code target/phone-pages/DATABASE/} for a person to look at.
 */
class PhonePagesIT {
    private static final String EMAIL = "grace.brewster.murray.hopper@phone-pages.test";
    private static final String INVITEE = "margaret.heafield.hamilton.apollo@phone-pages.test";
    private static final String CLIENT_NAME = "Northwind Traders Quarterly Reporting Assistant for the Model Context "
            + "Protocol, ExtraordinarilyLongUnbrokenProductIdentifier2026 (beta build)";
    private static final String ORG = "Analytical Engines and Difference Machines of Greater Manchester, Limited";
    private static final String WORKSPACE = "Guidance, Navigation and Control: LunarModuleDescentSoftware";
    private static final String UNREGISTERED = "https://northwind-traders.example/integrations/model-context-protocol/"
            + "oauth/callback/v2";
    private static final String VERIFIER = "phone-pages-verifier-" + "0123456789".repeat(4);
    private static final String STATE = "phone-pages-state";
    private static final List<String> VIEWPORTS = List.of("390x844", "320x640");
    /** The smallest tap target Apple's and Google's guidelines allow, in CSS pixels. */
    private static final double THUMB = 44;
    /** Below this, iOS Safari zooms into a field when it gets focus. */
    private static final double NO_ZOOM_FONT = 16;

    private static GatewayNode gw;
    private static HttpServer application;
    private static final List<String> codes = new CopyOnWriteArrayList<>();
    private static String clientId;
    private static String callback;
    private static JsonNode seen;

    @BeforeAll
    static void start() throws IOException {
        NodeClients clients = NodeClients.require();
        gw = GatewayNode.start();
        TestNode node = gw.node;
        OAuthSteps steps = new OAuthSteps(node);
        JsonNode grace = steps.signUp(EMAIL, ORG);
        String userId = grace.path("member").path("user_id").asText();
        String orgId = grace.path("organization").path("id").asText();
        node.createOrg("Compilers", "free", userId); // two organizations: the page offers a choice
        // One workspace whose name wraps, one whose check box line is short: both must suit a thumb.
        node.addToWorkspace(node.createWorkspace(orgId, WORKSPACE), userId);
        node.addToWorkspace(node.createWorkspace(orgId, "Ops"), userId);
        String invitation = node.invite(grace.path("key").path("key").asText(), orgId, INVITEE, "member");

        // The application's loopback listener (RFC 8252 §7.3): where the browser lands after "Allow".
        application = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        application.createContext("/callback", exchange -> {
            String query = exchange.getRequestURI().getRawQuery();
            for (String pair : query == null ? new String[0] : query.split("&")) {
                if (pair.startsWith("code=")) {
                    codes.add(URLDecoder.decode(pair.substring(5), StandardCharsets.UTF_8));
                }
            }
            byte[] body = "Signed in. You can close this window.".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        application.start();
        callback = "http://127.0.0.1:" + application.getAddress().getPort() + "/callback";
        clientId = steps.register(Map.of("client_name", CLIENT_NAME, "redirect_uris", List.of(callback),
                "token_endpoint_auth_method", "none"));
        String mcpUrl = gw.url("/mcp/demo").toString();
        // prompt=consent: the second viewport sees the consent page too, not an answer at once.
        URI authorize = URI.create(steps.authorizeUrl(clientId, callback, VERIFIER, STATE, mcpUrl) + "&prompt=consent");

        Path screenshots = Path.of("target", "phone-pages", System.getProperty("gatehouse.test.database", "sqlite"))
                .toAbsolutePath();
        // Secrets and the person's email travel in the environment, named on the command line as ${…}.
        Map<String, String> env = new HashMap<>(NodeClients.person(EMAIL, OAuthSteps.PASSWORD));
        env.put("GATEHOUSE_TEST_INVITATION", invitation);
        NodeClients.Result result = clients.phonePages(env,
                "--screenshots", screenshots.toString(),
                "--page", "invitation=" + node.server.publicUrl().resolve("/invitations/accept")
                        + "?token=${GATEHOUSE_TEST_INVITATION}",
                "--page", "unknown-client=" + steps.authorizeUrl("gh_client_nobody", callback, VERIFIER, STATE, mcpUrl),
                "--page", "unregistered-redirect=" + steps.authorizeUrl(clientId, UNREGISTERED, VERIFIER, STATE, mcpUrl),
                "--authorize", authorize.toString(),
                "--expect", "login=Sign in to Gatehouse", "--expect", "login=Email", "--expect", "login=Password",
                "--expect", "consent=" + CLIENT_NAME, "--expect", "consent=127.0.0.1",
                "--expect", "consent=${" + NodeClients.EMAIL_VARIABLE + "}",
                "--expect", "consent=" + ORG, "--expect", "consent=" + WORKSPACE, "--expect", "consent=mcp:use",
                "--expect", "invitation=Join " + ORG, "--expect", "invitation=" + INVITEE,
                "--expect", "invitation=Choose a password",
                "--expect", "unknown-client=This sign-in link cannot be used",
                "--expect", "unknown-client=not registered here",
                "--expect", "unregistered-redirect=did not register: " + UNREGISTERED.substring(0, 40));
        assertThat(result.ok()).as("phone-pages.mjs: %s\n%s", result.json(), result.stderr()).isTrue();
        seen = result.json();
    }

    @AfterAll
    static void stop() {
        if (application != null) {
            application.stop(0);
        }
        if (gw != null) {
            gw.close();
        }
    }

    /** What the browser saw at {@code name}, having gone the whole way (else why it stopped). */
    private static JsonNode viewport(String name) {
        JsonNode viewport = seen.path("viewports").path(name);
        assertThat(viewport.has("error")).as("%s: %s\n%s", name, viewport.path("error").asText(), seen.path("trace"))
                .isFalse();
        return viewport;
    }

    /** Each page the browser measured, at each phone width, named "390x844 consent". */
    private static Map<String, JsonNode> pages() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (String viewport : VIEWPORTS) {
            JsonNode pages = seen.path("viewports").path(viewport).path("pages");
            for (String name : List.of("login", "consent", "invitation", "unknown-client", "unregistered-redirect")) {
                assertThat(pages.has(name)).as("%s %s measured; %s", viewport, name,
                        seen.path("viewports").path(viewport).path("error").asText()).isTrue();
                out.put(viewport + " " + name, pages.path(name));
            }
        }
        return out;
    }

    private static int width(String page) {
        return Integer.parseInt(page.substring(0, page.indexOf('x')));
    }

    @Test
    void everyPageFitsAPhoneScreenWithoutScrollingSideways() {
        SoftAssertions softly = new SoftAssertions();
        pages().forEach((name, page) -> {
            int width = width(name);
            softly.assertThat(page.path("viewportMeta").asText()).as("%s viewport meta", name)
                    .startsWith("width=device-width");
            softly.assertThat(page.path("innerWidth").asInt()).as("%s is laid out at the phone's width", name)
                    .isEqualTo(width);
            softly.assertThat(page.path("scrollWidth").asInt()).as("%s scrolls sideways", name)
                    .isLessThanOrEqualTo(width);
            softly.assertThat(TestNode.texts(page.path("outside"))).as("%s: parts of the page past its edges", name)
                    .isEmpty();
            softly.assertThat(page.path("cssRules").asInt()).as("%s: the stylesheet applies under the CSP", name)
                    .isGreaterThan(0);
            softly.assertThat(page.path("scripts").asInt()).as("%s: scripts", name).isZero();
        });
        softly.assertAll();
    }

    @Test
    void everyControlIsOnScreenAndBigEnoughForAThumb() {
        SoftAssertions softly = new SoftAssertions();
        pages().forEach((name, page) -> {
            int width = width(name);
            for (JsonNode control : page.path("controls")) {
                String what = name + ": " + control.path("what").asText();
                String kind = control.path("kind").asText();
                softly.assertThat(control.path("visible").asBoolean()).as("%s is visible", what).isTrue();
                softly.assertThat(control.path("left").asDouble()).as("%s left edge", what).isGreaterThanOrEqualTo(0);
                softly.assertThat(control.path("right").asDouble()).as("%s right edge", what).isLessThanOrEqualTo(width);
                if (!kind.equals("link") && !kind.equals("box")) {
                    softly.assertThat(control.path("height").asDouble()).as("%s height", what)
                            .isGreaterThanOrEqualTo(THUMB);
                }
                if (kind.equals("field")) {
                    softly.assertThat(control.path("fontSize").asDouble()).as("%s font size", what)
                            .isGreaterThanOrEqualTo(NO_ZOOM_FONT);
                }
            }
        });
        softly.assertAll();
        // The forms are there to be measured: fields and buttons where each page has them.
        for (String viewport : VIEWPORTS) {
            JsonNode pages = viewport(viewport).path("pages");
            assertThat(kinds(pages.path("login"))).as("%s login", viewport).containsExactly("field", "field", "button");
            assertThat(kinds(pages.path("consent"))).as("%s consent", viewport)
                    .containsExactly("field", "check", "box", "check", "box", "button", "button");
            assertThat(kinds(pages.path("invitation"))).as("%s invitation", viewport).containsExactly("field", "button");
        }
    }

    @Test
    void eachPageSaysWhatItMustWithItsStatus() {
        SoftAssertions softly = new SoftAssertions();
        pages().forEach((name, page) -> {
            softly.assertThat(TestNode.texts(page.path("missing"))).as("%s: expected text not shown", name).isEmpty();
            int status = name.endsWith("client") || name.endsWith("redirect") ? 400 : 200;
            softly.assertThat(page.path("status").asInt()).as("%s status", name).isEqualTo(status);
        });
        softly.assertAll();
    }

    @Test
    void allowWorksWithScriptsOffAndBringsACodeTheApplicationRedeems() {
        for (String viewport : VIEWPORTS) {
            JsonNode approved = viewport(viewport).path("approved");
            assertThat(approved.path("origin").asText() + approved.path("path").asText()).as(viewport)
                    .isEqualTo(callback);
            assertThat(approved.path("status").asInt()).as(viewport).isEqualTo(200);
            assertThat(approved.path("code").asBoolean()).as(viewport).isTrue();
            assertThat(approved.path("state").asText()).as(viewport).isEqualTo(STATE);
            assertThat(approved.path("iss").asText()).as(viewport).isEqualTo(gw.node.server.publicUrl().toString());
        }
        assertThat(codes).hasSize(VIEWPORTS.size());
        OAuthSteps steps = new OAuthSteps(gw.node);
        for (String code : codes) {
            JsonNode tokens = ok(steps.token(Map.of("grant_type", "authorization_code", "code", code,
                    "redirect_uri", callback, "client_id", clientId, "code_verifier", VERIFIER,
                    "resource", gw.url("/mcp/demo").toString())), 200);
            assertThat(tokens.path("access_token").asText()).startsWith("gh_at_");
        }
    }

    private static List<String> kinds(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.path("controls").forEach(c -> out.add(c.path("kind").asText()));
        return out;
    }
}
