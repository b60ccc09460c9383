package io.gatehouse.oauth;

import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationErrorResponse;
import com.nimbusds.oauth2.sdk.AuthorizationRequest;
import com.nimbusds.oauth2.sdk.AuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.OAuth2Error;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseMode;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.openid.connect.sdk.Prompt;
import io.gatehouse.accounts.AccountStore;
import io.gatehouse.accounts.Accounts;
import io.gatehouse.audit.Actor;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.Targets;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.gatehouse.signin.Sessions;
import io.gatehouse.store.Database;
import io.gatehouse.store.Invalidations;
import io.gatehouse.store.Tx;
import org.jdbi.v3.core.Handle;
import io.gatehouse.web.Browser;
import io.gatehouse.web.Pages;
import io.gatehouse.web.Views;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The authorization endpoint (OAuth 2.1 §4.1.1): {@code GET /oauth/authorize} checks the request,
 * sends a person who is not signed in to {@code /login} and back, then shows the consent page (or
 * answers at once when this person already consented to this much for this client);
 * {@code POST /oauth/authorize} is the consent form.
 *
 * <p>Until the client and its redirect URI are known to match, nothing is redirected: an unknown
 * client or an unregistered redirect URI is a page for the person (RFC 6749 §4.1.2.1), so Gatehouse
 * never sends anyone to a URI nobody verified. After that, every error goes back to the client,
 * with {@code state} and {@code iss} (RFC 9207) like every answer. Only PKCE with S256 is accepted.
 */
final class AuthorizeEndpoint {
    private final Clients clients;
    private final Tokens tokens;
    private final Resources resources;
    private final Sessions sessions;
    private final Browser browser;
    private final Pages pages;
    private final Database db;
    private final AccountStore accounts;
    private final PublicUrl publicUrl;
    private final GatehouseConfig.OAuth config;
    private final Invalidations invalidations;

    /** The parameters of an authorization request that the consent form carries through. */
    private static final Set<String> REQUEST_PARAMETERS = Set.of("response_type", "client_id", "redirect_uri", "scope",
            "state", "code_challenge", "code_challenge_method", "resource", "prompt", "response_mode", "nonce");

    /** A checked authorization request. */
    private record Asked(OAuthClient client, String redirectUri, Optional<String> state, String codeChallenge,
                        Set<String> scopes, Resources.Audience audience, Optional<String> resource, boolean promptConsent,
                        boolean promptNone, boolean promptLogin, List<Views.Field> fields) {
    }

    /** The request cannot be answered to the client: the person is shown why. */
    private static final class Unanswerable extends RuntimeException {
        Unanswerable(String message) {
            super(message, null, false, false);
        }
    }

    /** The request is answered to the client with an error. */
    private static final class Answered extends RuntimeException {
        final URI location;
        final String error;
        /** The client's redirect URI is anyone's to register (dynamic, metadata document). */
        final boolean untrusted;

        Answered(URI location, String error, boolean untrusted) {
            super(null, null, false, false);
            this.location = location;
            this.error = error;
            this.untrusted = untrusted;
        }
    }

    AuthorizeEndpoint(Clients clients, Tokens tokens, Resources resources, Sessions sessions, Browser browser,
                      Pages pages, Database db, Invalidations invalidations, AccountStore accounts, PublicUrl publicUrl,
                      GatehouseConfig.OAuth config) {
        this.invalidations = invalidations;
        this.clients = clients;
        this.tokens = tokens;
        this.resources = resources;
        this.sessions = sessions;
        this.browser = browser;
        this.pages = pages;
        this.db = db;
        this.accounts = accounts;
        this.publicUrl = publicUrl;
        this.config = config;
    }

    void register(Routes routes) {
        routes.operational(Method.GET, "/oauth/authorize", this::get);
        routes.operational(Method.POST, "/oauth/authorize", this::post);
    }

    private void get(ServerRequest req, ServerResponse res) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (String name : req.query().names()) {
            params.put(name, req.query().all(name));
        }
        handle(req, res, params, Optional.empty());
    }

    private void post(ServerRequest req, ServerResponse res) {
        Parameters form = Browser.form(req);
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (String name : form.names()) {
            if (REQUEST_PARAMETERS.contains(name)) {
                params.put(name, form.all(name));
            }
        }
        if (!browser.fromOurPage(req, form)) {
            pages.message(res, Status.FORBIDDEN_403, "This form has expired",
                    "The page did not come from this server, or it is too old. Start again from the application.",
                    RequestInfo.of(req).requestId());
            return;
        }
        handle(req, res, params, Optional.of(form));
    }

    private void handle(ServerRequest req, ServerResponse res, Map<String, List<String>> params,
                        Optional<Parameters> consent) {
        String requestId = RequestInfo.of(req).requestId();
        Optional<Sessions.Session> session = sessions.find(browser.cookie(req, Sessions.COOKIE));
        Asked asked;
        try {
            asked = check(params, RequestInfo.of(req).clientAddress());
        } catch (Unanswerable e) {
            pages.message(res, Status.BAD_REQUEST_400, "This sign-in link cannot be used", e.getMessage(), requestId);
            return;
        } catch (Answered a) {
            if (session.isEmpty() && a.untrusted) {
                // RFC 9700 §4.11.2: anyone may register a redirect URI, so a link to a refused request
                // must not bounce a stranger's browser to one. A signed-in person gets the redirect.
                pages.message(res, Status.BAD_REQUEST_400, "This sign-in link cannot be used",
                        "The application's request was refused (" + a.error + "). Start again from the application.",
                        requestId);
                return;
            }
            redirect(res, a.location, List.of());
            return;
        }
        if (session.isPresent() && asked.promptLogin() && consent.isEmpty()) {
            // prompt=login: sign in again, then come back asking for consent (not for another sign-in).
            Map<String, List<String>> again = new LinkedHashMap<>(params);
            again.put("prompt", List.of("consent"));
            toSignIn(res, again, "again=1&");
            return;
        }
        if (session.isEmpty()) {
            if (asked.promptNone() && asked.client().kind() == OAuthClient.Kind.ADMIN) {
                redirect(res, error(asked, new ErrorObject("login_required", "The person is not signed in")), List.of());
                return;
            }
            toSignIn(res, params, "");
            return;
        }
        String userId = session.get().userId();
        List<Accounts.Organization> orgs = db.withHandle(h -> accounts.organizationsOf(h, userId));
        if (orgs.isEmpty()) {
            redirect(res, error(asked, new ErrorObject("access_denied", "The person belongs to no organization")),
                    List.of());
            return;
        }
        Actor actor = new Actor(Optional.of(userId), Optional.of(session.get().id()), false,
                RequestInfo.of(req).clientAddress(), requestId);
        if (consent.isPresent()) {
            decide(res, asked, consent.get(), orgs, userId, actor);
            return;
        }
        List<Grant> granted = db.withHandle(h -> tokens.liveGrants(h, userId, asked.client().id()));
        Optional<Grant> covering = granted.stream()
                .filter(g -> orgs.stream().anyMatch(o -> g.covers(o.id(), asked.scopes()))).findFirst();
        if (covering.isPresent() && !asked.promptConsent()) {
            Grant g = covering.get();
            answer(res, asked, db.inTransaction(h -> {
                clients.touch(h, asked.client().id());
                return tokens.issueCode(h, g, asked.client().id(), asked.redirectUri(), asked.codeChallenge(),
                        asked.audience(), asked.scopes());
            }));
            return;
        }
        if (asked.promptNone()) {
            redirect(res, error(asked, new ErrorObject("consent_required", "The person has not consented")), List.of());
            return;
        }
        showConsent(req, res, asked, session.get(), orgs, granted);
    }

    private void showConsent(ServerRequest req, ServerResponse res, Asked asked, Sessions.Session session,
                             List<Accounts.Organization> orgs, List<Grant> granted) {
        Optional<Grant> previous = granted.stream().findFirst();
        String selectedOrg = previous.map(Grant::orgId).orElse(orgs.getFirst().id());
        List<Views.OrgChoice> orgChoices = orgs.stream()
                .map(o -> new Views.OrgChoice(o.id(), o.name(), o.id().equals(selectedOrg))).toList();
        List<Views.WorkspaceChoice> workspaces = new ArrayList<>();
        db.withHandle(h -> {
            for (Accounts.Organization o : orgs) {
                for (Accounts.Workspace w : memberWorkspaces(h, o.id(), session.userId())) {
                    boolean checked = previous.filter(p -> p.orgId().equals(o.id()))
                            .map(p -> p.workspaces().allows(w.id())).orElse(true);
                    workspaces.add(new Views.WorkspaceChoice(w.id(), w.name(), o.name(), checked));
                }
            }
            return null;
        });
        List<Views.ScopeLine> scopes = asked.scopes().stream()
                .map(s -> new Views.ScopeLine(s, Scopes.SUPPORTED.getOrDefault(s, s))).toList();
        String csrf = browser.csrfToken(browser.browserId(req, res));
        pages.render(res, Status.OK_200, "consent.jte", new Views.Consent(csrf, session.email(), asked.client().name(),
                        asked.client().id(), Redirects.shownHost(asked.redirectUri()),
                        Redirects.loopbackOnly(asked.client().redirectUris()), asked.audience().resource(), scopes,
                        orgChoices, workspaces, asked.fields()),
                formTargets(asked.redirectUri()));
    }

    private void decide(ServerResponse res, Asked asked, Parameters form, List<Accounts.Organization> orgs,
                        String userId, Actor actor) {
        if (!"approve".equals(form.first("decision").orElse(""))) {
            redirect(res, error(asked, new ErrorObject("access_denied", "The person denied the request")),
                    formTargets(asked.redirectUri()));
            return;
        }
        String orgId = form.first("org").orElse("");
        if (orgs.stream().noneMatch(o -> o.id().equals(orgId))) {
            redirect(res, error(asked, OAuth2Error.INVALID_REQUEST.setDescription("No organization was chosen")),
                    formTargets(asked.redirectUri()));
            return;
        }
        Set<String> chosen = new LinkedHashSet<>(form.all("workspace", List::of));
        String code = Tx.run(db, invalidations, tx -> {
            Handle h = tx.handle();
            Set<String> mine = new LinkedHashSet<>();
            memberWorkspaces(h, orgId, userId).forEach(w -> mine.add(w.id()));
            chosen.retainAll(mine);
            // Every workspace ticked means all of them, new ones included; otherwise exactly those ticked.
            Targets workspaces = chosen.containsAll(mine) ? Targets.ALL : Targets.of(chosen);
            Grant grant = tokens.consent(tx, actor, userId, orgId, asked.client().id(), asked.scopes(), workspaces,
                    asked.redirectUri());
            clients.touch(h, asked.client().id());
            return tokens.issueCode(h, grant, asked.client().id(), asked.redirectUri(), asked.codeChallenge(),
                    asked.audience(), asked.scopes());
        });
        answer(res, asked, code);
    }

    /** The workspaces of {@code orgId} the person is a member of: those a grant may reach. */
    private List<Accounts.Workspace> memberWorkspaces(Handle h, String orgId, String userId) {
        return accounts.workspaces(h, orgId).stream()
                .filter(w -> accounts.workspaceMembers(h, w.id()).stream().anyMatch(m -> m.userId().equals(userId)))
                .toList();
    }

    /** To the sign-in page, coming back to this authorization request afterwards. */
    private static void toSignIn(ServerResponse res, Map<String, List<String>> params, String loginQuery) {
        String here = "/oauth/authorize?" + query(params);
        res.status(Status.FOUND_302);
        res.header(HeaderNames.LOCATION, "/login?" + loginQuery + "return_to=" + URLEncoder.encode(here, StandardCharsets.UTF_8));
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send();
    }

    private void answer(ServerResponse res, Asked asked, String code) {
        URI location = new AuthorizationSuccessResponse(URI.create(asked.redirectUri()), new AuthorizationCode(code),
                null, asked.state().map(State::new).orElse(null), issuer(), ResponseMode.QUERY).toURI();
        redirect(res, location, formTargets(asked.redirectUri()));
    }

    /** Checks everything; throws {@link Unanswerable} or {@link Answered}. */
    private Asked check(Map<String, List<String>> params, String address) {
        for (Map.Entry<String, List<String>> p : params.entrySet()) {
            if (p.getValue().size() > 1) {
                throw new Unanswerable("The parameter " + Scopes.printable(p.getKey()) + " is repeated.");
            }
        }
        String clientId = first(params, "client_id");
        if (clientId == null) {
            throw new Unanswerable("The application did not say who it is (no client_id).");
        }
        OAuthClient client;
        try {
            client = clients.find(clientId, address).orElseThrow(() -> new Unanswerable(
                    "This application is not registered here (any more). Remove the server from the application and "
                            + "add it again, so that it registers anew."));
        } catch (OAuthError e) {
            throw new Unanswerable(e.description());
        }
        String presented = first(params, "redirect_uri");
        String redirectUri;
        if (presented == null) {
            if (client.redirectUris().size() != 1) {
                throw new Unanswerable("The application did not say where to return (no redirect_uri).");
            }
            redirectUri = client.redirectUris().getFirst();
        } else {
            if (client.redirect(presented).isEmpty()) {
                throw new Unanswerable("The application asked to return to an address it did not register: "
                        + Scopes.printable(presented));
            }
            redirectUri = presented;
        }
        Optional<String> state = Optional.ofNullable(first(params, "state"));
        Asked partial = new Asked(client, redirectUri, state, null, Set.of(), null, Optional.empty(), false, false,
                false, List.of());
        AuthorizationRequest request;
        try {
            Map<String, List<String>> copy = new LinkedHashMap<>(params);
            copy.put("redirect_uri", List.of(redirectUri));
            request = AuthorizationRequest.parse(copy);
        } catch (ParseException e) {
            ErrorObject error = e.getErrorObject() != null ? e.getErrorObject() : OAuth2Error.INVALID_REQUEST;
            throw answered(partial, error.setDescription(Scopes.printable(String.valueOf(e.getMessage()))));
        }
        if (!request.getResponseType().equals(ResponseType.CODE)) {
            throw answered(partial, OAuth2Error.UNSUPPORTED_RESPONSE_TYPE
                    .setDescription("Only response_type=code is supported"));
        }
        if (request.getCodeChallenge() == null || !CodeChallengeMethod.S256.equals(request.getCodeChallengeMethod())) {
            throw answered(partial, OAuth2Error.INVALID_REQUEST
                    .setDescription("PKCE is required: send code_challenge with code_challenge_method=S256"));
        }
        // RFC 7636 §4.2: an S256 challenge is 43 base64url characters; anything else matches no verifier.
        if (!request.getCodeChallenge().getValue().matches("[A-Za-z0-9_-]{43}")) {
            throw answered(partial, OAuth2Error.INVALID_REQUEST
                    .setDescription("code_challenge is not an S256 challenge (43 base64url characters)"));
        }
        Set<String> scopes;
        Resources.Audience audience;
        List<URI> asked = request.getResources() == null ? List.of() : request.getResources();
        if (asked.size() > 1) {
            throw answered(partial, new ErrorObject("invalid_target", "Ask for one resource at a time"));
        }
        Optional<String> resource = asked.stream().findFirst().map(URI::toString);
        try {
            scopes = Scopes.parse(request.getScope() == null ? null : request.getScope().toString(),
                    client.scope().map(List::copyOf).orElse(config.defaultScopes()));
            if (client.scope().isPresent() && !client.scope().get().containsAll(scopes)) {
                throw OAuthError.invalidScope("The client registered for " + Scopes.format(client.scope().get())
                        + " only");
            }
            audience = resources.audience(resource);
        } catch (OAuthError e) {
            throw answered(partial, new ErrorObject(e.error(), e.description()));
        }
        Prompt prompt = request.getPrompt();
        // The consent form carries the authorization request and nothing else: a parameter named like
        // one of the form's own fields (decision, org, workspace, csrf) must not answer for the person.
        List<Views.Field> fields = new ArrayList<>();
        params.forEach((k, v) -> {
            if (REQUEST_PARAMETERS.contains(k)) {
                fields.add(new Views.Field(k, v.getFirst()));
            }
        });
        return new Asked(client, redirectUri, state, request.getCodeChallenge().getValue(), scopes, audience, resource,
                prompt != null && (prompt.contains(Prompt.Type.CONSENT) || prompt.contains(Prompt.Type.LOGIN)),
                prompt != null && prompt.contains(Prompt.Type.NONE), prompt != null && prompt.contains(Prompt.Type.LOGIN),
                fields);
    }

    private Answered answered(Asked asked, ErrorObject error) {
        return new Answered(error(asked, error), error.getCode(), asked.client().kind() != OAuthClient.Kind.ADMIN);
    }

    private URI error(Asked asked, ErrorObject error) {
        return new AuthorizationErrorResponse(URI.create(asked.redirectUri()), error,
                asked.state().map(State::new).orElse(null), issuer(), ResponseMode.QUERY).toURI();
    }

    private Issuer issuer() {
        return new Issuer(publicUrl.get().toString());
    }

    /** Browsers apply a page's {@code form-action} to the redirect that ends its form: allow the client's origin. */
    private static List<String> formTargets(String redirectUri) {
        URI u = URI.create(redirectUri);
        if (u.getHost() != null) {
            return List.of(u.getScheme() + "://" + u.getRawAuthority(), u.getScheme() + "://" + u.getHost() + ":*");
        }
        return List.of(u.getScheme() + ":");
    }

    private void redirect(ServerResponse res, URI location, List<String> formTargets) {
        pages.securityHeaders(res, formTargets);
        res.status(Status.SEE_OTHER_303);
        res.header(HeaderNames.LOCATION, location.toString());
        res.send();
    }

    private static String first(Map<String, List<String>> params, String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() || v.getFirst().isEmpty() ? null : v.getFirst();
    }

    private static String query(Map<String, List<String>> params) {
        StringBuilder q = new StringBuilder();
        params.forEach((k, vs) -> vs.forEach(v -> {
            if (!q.isEmpty()) {
                q.append('&');
            }
            q.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        }));
        return q.toString();
    }
}
