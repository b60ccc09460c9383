package io.gatehouse.signin;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.gatehouse.accounts.AccountService;
import io.gatehouse.accounts.Passwords;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.gatehouse.store.Database;
import io.gatehouse.web.Browser;
import io.gatehouse.web.Pages;
import io.gatehouse.web.Views;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Signing in with an email and a password, and signing out: {@code /login}, {@code /logout}.
 *
 * <p>Nothing tells whether an email has an account: an unknown email, a person without a password,
 * a disabled person and a wrong password get the same page, after the same Argon2 work. Failed
 * attempts are counted per email and per address (an IPv6 address by its /64) for 15 minutes; past
 * {@code signin.max-failures} for an email, or ten times that for an address (offices share one),
 * the attempt is refused before any password is checked (this node's count: a cluster of n nodes
 * allows up to n times as many). Successful sign-ins to one account are counted too (twice the
 * failures allowed, at least 20), for each makes a session and an audit row; past it a right
 * password gets 429, which only its holder sees. An email or a
 * password longer than any account's is wrong at once, without a hash and without its own count.
 */
public final class SignInEndpoint {
    static final String WRONG = "The email or the password is not right.";
    static final String LOCKED = "Too many failed attempts. Wait 15 minutes, then try again.";
    static final String TOO_OFTEN = "This account has signed in too often. Wait 15 minutes, then try again.";
    private static final Duration WINDOW = Duration.ofMinutes(15);
    private final Database db;
    private final Sessions sessions;
    private final Browser browser;
    private final Pages pages;
    private final GatehouseConfig.SignIn config;
    private final FederatedSignIn federated;
    /** RFC 5321's longest address, as accounts accept it: a longer one is no account's, and is not counted. */
    private static final int MAX_EMAIL = 320;
    /** Successful sign-ins allowed per account in the window (each makes a session): at least this many. */
    private static final int MIN_SIGN_INS = 20;
    private final Cache<String, AtomicInteger> failures = Caffeine.newBuilder().expireAfterWrite(WINDOW)
            .maximumSize(100_000).build();
    private final Cache<String, AtomicInteger> signIns = Caffeine.newBuilder().expireAfterWrite(WINDOW)
            .maximumSize(100_000).build();

    public SignInEndpoint(Database db, Sessions sessions, Browser browser, Pages pages,
                          GatehouseConfig.SignIn config, FederatedSignIn federated) {
        this.federated = federated;
        this.db = db;
        this.sessions = sessions;
        this.browser = browser;
        this.pages = pages;
        this.config = config;
    }

    public void register(Routes routes) {
        routes.operational(Method.GET, "/login", this::form);
        routes.operational(Method.POST, "/login", this::signIn);
        routes.operational(Method.POST, "/logout", this::signOut);
        routes.operational(Method.GET, "/assets/gatehouse.css", (req, res) -> pages.stylesheet(res));
        federated.register(routes);
    }

    private void form(ServerRequest req, ServerResponse res) {
        String returnTo = Browser.localPath(req.query().first("return_to").asOptional());
        Optional<Sessions.Session> session = sessions.find(browser.cookie(req, Sessions.COOKIE));
        if (req.query().first("again").orElse("").equals("1")) {
            session = Optional.empty(); // asked to sign in again (OpenID prompt=login): the form, whoever is signed in
        }
        if (session.isPresent() && !returnTo.equals("/")) {
            redirect(res, returnTo);
            return;
        }
        if (session.isPresent()) {
            pages.render(res, Status.OK_200, "signedin.jte", new Views.SignedIn(session.get().email(),
                    browser.csrfToken(browser.browserId(req, res))));
            return;
        }
        showForm(req, res, Status.OK_200, returnTo, "", null);
    }

    private void showForm(ServerRequest req, ServerResponse res, Status status, String returnTo, String email,
                          String message) {
        String csrf = browser.csrfToken(browser.browserId(req, res));
        pages.render(res, status, "login.jte", new Views.Login(csrf, returnTo, email, message, config.local(),
                federated.links(returnTo), null));
    }

    private void signIn(ServerRequest req, ServerResponse res) {
        Parameters form = Browser.form(req);
        String returnTo = Browser.localPath(form.first("return_to").asOptional());
        String email = AccountService.normalizeEmail(form.first("email").orElse(""));
        String password = form.first("password").orElse("");
        if (!browser.fromOurPage(req, form)) {
            showForm(req, res, Status.FORBIDDEN_403, returnTo, email,
                    "This form has expired or did not come from this page. Sign in again.");
            return;
        }
        if (!config.local()) {
            showForm(req, res, Status.FORBIDDEN_403, returnTo, "", "Signing in with a password is turned off here.");
            return;
        }
        RequestInfo info = RequestInfo.of(req);
        if (email.isEmpty() || email.length() > MAX_EMAIL || password.length() > Passwords.MAX_LENGTH) {
            // No account has such an email or password: wrong, without a hash (nothing to time) or a count
            // (whose key would cost the heap what the body holds). The address still counts it.
            AtomicInteger forAddress = failures.get(byAddress(info), k -> new AtomicInteger());
            boolean locked = forAddress.incrementAndGet() > 10L * config.maxFailures();
            showForm(req, res, locked ? Status.TOO_MANY_REQUESTS_429 : Status.UNAUTHORIZED_401, returnTo,
                    email.length() > MAX_EMAIL ? "" : email, locked ? LOCKED : WRONG);
            return;
        }
        String byEmail = "email:" + email;
        String byAddress = byAddress(info);
        // An address is often shared (an office, a NAT): it may fail ten times as often as one account.
        // The attempt is counted before the password is checked, so parallel guesses count too; a
        // right password takes its count back.
        AtomicInteger forEmail = failures.get(byEmail, k -> new AtomicInteger());
        AtomicInteger forAddress = failures.get(byAddress, k -> new AtomicInteger());
        if (forEmail.incrementAndGet() > config.maxFailures() | forAddress.incrementAndGet() > 10L * config.maxFailures()) {
            showForm(req, res, Status.TOO_MANY_REQUESTS_429, returnTo, email, LOCKED);
            return;
        }
        Optional<Map<String, Object>> account = db.withHandle(h -> h.createQuery(
                        "SELECT id, password_hash FROM users WHERE email = :e AND kind = 'person' AND disabled_at IS NULL")
                .bind("e", email).mapToMap().findOne());
        String stored = account.map(a -> (String) a.get("password_hash")).orElse(null);
        boolean ok;
        try {
            ok = Passwords.verify(password, stored);
        } catch (Passwords.Busy busy) {
            forEmail.decrementAndGet();
            forAddress.decrementAndGet();
            res.header(HeaderNames.RETRY_AFTER, "5");
            showForm(req, res, Status.SERVICE_UNAVAILABLE_503, returnTo, email, "Too many sign-ins at once. Try again.");
            return;
        }
        if (!ok) {
            showForm(req, res, Status.UNAUTHORIZED_401, returnTo, email, WRONG);
            return;
        }
        failures.invalidate(byEmail);
        forAddress.decrementAndGet();
        // Right passwords are counted too, each a session and an audit row; told only to whoever knows
        // the password, so it says nothing about the account to anyone else.
        if (signIns.get(byEmail, k -> new AtomicInteger()).incrementAndGet()
                > Math.max(MIN_SIGN_INS, 2L * config.maxFailures())) {
            showForm(req, res, Status.TOO_MANY_REQUESTS_429, returnTo, email, TOO_OFTEN);
            return;
        }
        String userId = (String) account.get().get("id");
        sessions.begin(res, userId, "password", info);
        redirect(res, returnTo);
    }

    private static String byAddress(RequestInfo info) {
        return "address:" + RequestInfo.counted(info.clientAddress());
    }

    private void signOut(ServerRequest req, ServerResponse res) {
        Parameters form = Browser.form(req);
        if (!browser.fromOurPage(req, form)) {
            pages.message(res, Status.FORBIDDEN_403, "Not signed out",
                    "This form has expired or did not come from this page.", RequestInfo.of(req).requestId());
            return;
        }
        sessions.find(browser.cookie(req, Sessions.COOKIE)).ifPresent(s -> sessions.end(s.id()));
        browser.clearCookie(res, Sessions.COOKIE);
        redirect(res, "/login");
    }

    /** 303 See Other: after a POST, the browser follows with a GET. Nowhere in particular is the sign-in page. */
    static void redirect(ServerResponse res, String location) {
        res.status(Status.SEE_OTHER_303);
        res.header(HeaderNames.LOCATION, location.equals("/") ? "/login" : location);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send();
    }
}
