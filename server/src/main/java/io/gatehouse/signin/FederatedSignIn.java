package io.gatehouse.signin;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import io.gatehouse.accounts.AccountService;
import io.gatehouse.accounts.Accounts;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.http.Json;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.gatehouse.store.Sealer;
import io.gatehouse.web.Browser;
import io.gatehouse.web.Pages;
import io.gatehouse.web.Views;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Signing in at an OpenID provider (OpenID Connect Core, authorization code flow with PKCE), with
 * Nimbus' OIDC client: {@code GET /login/{provider}} sends the person there, and
 * {@code GET /login/{provider}/callback} takes them back: the code is exchanged with the client
 * secret, the ID token is checked (signature from the provider's keys, issuer, audience, expiry,
 * nonce), and the person is signed in.
 *
 * <p>The state, nonce and PKCE verifier travel in a cookie sealed with the node secret (AES-GCM),
 * bound to this browser, for ten minutes: any node can finish a sign-in another began, and the
 * callback of another browser or a replayed one is refused.
 *
 * <p>The first sign-in of a verified email creates the person and a personal organization on the
 * default plan. An email that already has an account is not linked to the provider's account
 * (whoever made that account — an invitation's holder, say — must not inherit this sign-in).
 */
public final class FederatedSignIn {
    private static final Logger LOG = Logger.getLogger(FederatedSignIn.class.getName());
    private static final String COOKIE = "gh_oidc";
    private static final Duration FLIGHT = Duration.ofMinutes(10);
    private final GatehouseConfig.SignIn config;
    private final AccountService accounts;
    private final Sessions sessions;
    private final Browser browser;
    private final Pages pages;
    private final Sealer sealer;
    private final PublicUrl publicUrl;
    private final Clock clock;
    private final Map<String, OIDCProviderMetadata> discovered = new ConcurrentHashMap<>();
    private final Map<String, IDTokenValidator> validators = new ConcurrentHashMap<>();

    public FederatedSignIn(GatehouseConfig.SignIn config, AccountService accounts, Sessions sessions, Browser browser,
                           Pages pages, Sealer sealer, PublicUrl publicUrl, Clock clock) {
        this.config = config;
        this.accounts = accounts;
        this.sessions = sessions;
        this.browser = browser;
        this.pages = pages;
        this.sealer = sealer;
        this.publicUrl = publicUrl;
        this.clock = clock;
    }

    public void register(Routes routes) {
        routes.operational(Method.GET, "/login/{provider}", this::start);
        routes.operational(Method.GET, "/login/{provider}/callback", this::callback);
    }

    /** The links the sign-in page shows, one per configured provider. */
    public List<Views.ProviderLink> links(String returnTo) {
        return config.providers().values().stream()
                .map(p -> new Views.ProviderLink(p.label(), "/login/" + p.name() + "?return_to="
                        + java.net.URLEncoder.encode(returnTo, java.nio.charset.StandardCharsets.UTF_8)))
                .toList();
    }

    private void start(ServerRequest req, ServerResponse res) {
        String requestId = RequestInfo.of(req).requestId();
        GatehouseConfig.Provider provider = config.providers().get(req.path().pathParameters().get("provider"));
        if (provider == null) {
            pages.message(res, Status.NOT_FOUND_404, "No such sign-in", "This server has no such way to sign in.",
                    requestId);
            return;
        }
        OIDCProviderMetadata metadata;
        try {
            metadata = metadata(provider);
        } catch (IOException | ParseException e) {
            LOG.log(Level.WARNING, "cannot read the OpenID configuration of " + provider.issuer() + ": " + e.getMessage());
            pages.message(res, Status.BAD_GATEWAY_502, "Sign-in is unavailable",
                    provider.label() + " cannot be reached right now. Try again in a moment.", requestId);
            return;
        }
        State state = new State();
        Nonce nonce = new Nonce();
        CodeVerifier verifier = new CodeVerifier();
        String returnTo = Browser.localPath(req.query().first("return_to").asOptional());
        Map<String, Object> flight = new LinkedHashMap<>();
        flight.put("provider", provider.name());
        flight.put("state", state.getValue());
        flight.put("nonce", nonce.getValue());
        flight.put("verifier", verifier.getValue());
        flight.put("return_to", returnTo);
        flight.put("browser", browser.browserId(req, res));
        flight.put("until", clock.instant().plus(FLIGHT).toEpochMilli());
        browser.setCookie(res, COOKIE, sealer.seal(new String(Json.bytes(flight), java.nio.charset.StandardCharsets.UTF_8)),
                Optional.of(FLIGHT));
        URI location = new AuthenticationRequest.Builder(ResponseType.CODE, new Scope("openid", "email", "profile"),
                new ClientID(provider.clientId()), callbackUri(provider))
                .endpointURI(metadata.getAuthorizationEndpointURI())
                .state(state).nonce(nonce).codeChallenge(verifier, CodeChallengeMethod.S256)
                .build().toURI();
        pages.securityHeaders(res, List.of());
        res.status(Status.FOUND_302);
        res.header(HeaderNames.LOCATION, location.toString());
        res.send();
    }

    private void callback(ServerRequest req, ServerResponse res) {
        RequestInfo info = RequestInfo.of(req);
        String name = req.path().pathParameters().get("provider");
        GatehouseConfig.Provider provider = config.providers().get(name);
        Optional<JsonNode> flight = browser.cookie(req, COOKIE).flatMap(this::open);
        browser.clearCookie(res, COOKIE);
        if (provider == null || flight.isEmpty() || !name.equals(flight.get().path("provider").asText())
                || flight.get().path("until").asLong() < clock.millis()
                || !flight.get().path("browser").asText().equals(browser.browserId(req, res))
                || !flight.get().path("state").asText().equals(req.query().first("state").orElse(""))) {
            pages.message(res, Status.BAD_REQUEST_400, "Sign-in did not finish",
                    "This sign-in was started elsewhere, or too long ago. Start again.", info.requestId());
            return;
        }
        Optional<String> error = req.query().first("error").asOptional();
        Optional<String> code = req.query().first("code").asOptional();
        if (error.isPresent() || code.isEmpty()) {
            pages.message(res, Status.UNAUTHORIZED_401, "Sign-in did not finish", provider.label()
                    + " did not sign you in" + error.map(e -> " (" + printable(e) + ")").orElse("") + ".", info.requestId());
            return;
        }
        IDTokenClaimsSet claims;
        try {
            claims = exchange(provider, code.get(), flight.get());
        } catch (IOException | ParseException | com.nimbusds.jose.JOSEException
                 | com.nimbusds.jose.proc.BadJOSEException | RuntimeException e) {
            LOG.log(Level.INFO, "sign-in at " + provider.name() + " refused: " + e.getMessage());
            pages.message(res, Status.UNAUTHORIZED_401, "Sign-in did not finish", provider.label()
                    + "'s answer could not be verified. Start again.", info.requestId());
            return;
        }
        String issuer = claims.getIssuer().getValue();
        String subject = claims.getSubject().getValue();
        Optional<Accounts.User> known = accounts.federatedPerson(issuer, subject);
        Accounts.User person;
        if (known.isPresent()) {
            person = known.get();
            if (person.disabledAt().isPresent()) {
                pages.message(res, Status.FORBIDDEN_403, "Account disabled", "Your account is disabled.", info.requestId());
                return;
            }
        } else {
            String email = claims.getStringClaim("email");
            Boolean verified = claims.getBooleanClaim("email_verified");
            if (email == null || !(Boolean.TRUE.equals(verified) || provider.trustEmail() && verified == null)) {
                pages.message(res, Status.FORBIDDEN_403, "Email not verified", provider.label()
                        + " did not confirm an email address for your account, which a new account here needs.",
                        info.requestId());
                return;
            }
            if (accounts.userByEmail(email).isPresent()) {
                pages.message(res, Status.CONFLICT_409, "This email has an account",
                        "An account with " + email + " exists already. Sign in the way you did before; it is not "
                                + "linked to " + provider.label() + ".", info.requestId());
                return;
            }
            person = accounts.createFederatedPerson(issuer, subject, email,
                    Optional.ofNullable(claims.getStringClaim("name")), info.clientAddress(), info.requestId());
        }
        sessions.begin(res, person.id(), "oidc:" + provider.name(), info);
        SignInEndpoint.redirect(res, Browser.localPath(Optional.of(flight.get().path("return_to").asText("/"))));
    }

    private IDTokenClaimsSet exchange(GatehouseConfig.Provider provider, String code, JsonNode flight)
            throws IOException, ParseException, com.nimbusds.jose.JOSEException, com.nimbusds.jose.proc.BadJOSEException {
        OIDCProviderMetadata metadata = metadata(provider);
        HTTPRequest request = new TokenRequest(metadata.getTokenEndpointURI(),
                new ClientSecretBasic(new ClientID(provider.clientId()), new Secret(provider.clientSecret())),
                new AuthorizationCodeGrant(new AuthorizationCode(code), callbackUri(provider),
                        new CodeVerifier(flight.path("verifier").asText()))).toHTTPRequest();
        request.setConnectTimeout(5_000);
        request.setReadTimeout(10_000);
        TokenResponse answer = OIDCTokenResponseParser.parse(request.send());
        if (!answer.indicatesSuccess()) {
            ErrorObject error = answer.toErrorResponse().getErrorObject();
            throw new IllegalStateException("token endpoint said " + error.getCode());
        }
        JWT idToken = ((OIDCTokenResponse) answer.toSuccessResponse()).getOIDCTokens().getIDToken();
        List<JWSAlgorithm> algorithms = metadata.getIDTokenJWSAlgs() == null || metadata.getIDTokenJWSAlgs().isEmpty()
                ? List.of(JWSAlgorithm.RS256) : metadata.getIDTokenJWSAlgs();
        // The token names its algorithm; it must be one the provider publishes, and a signature (never "none").
        if (!(idToken instanceof com.nimbusds.jwt.SignedJWT signed)
                || !algorithms.contains(signed.getHeader().getAlgorithm())) {
            throw new IllegalStateException("the ID token is not signed with an algorithm the provider publishes");
        }
        if (metadata.getJWKSetURI() == null || !com.nimbusds.jose.JWSAlgorithm.Family.SIGNATURE.contains(
                signed.getHeader().getAlgorithm())) {
            throw new IllegalStateException("the provider publishes no keys for " + signed.getHeader().getAlgorithm());
        }
        // One validator per provider and algorithm: it keeps the provider's keys, fetched again only
        // when a token names a key it does not have (a rotation).
        IDTokenValidator validator = validators.computeIfAbsent(provider.name() + " " + signed.getHeader().getAlgorithm(),
                k -> {
                    try {
                        return new IDTokenValidator(metadata.getIssuer(), new ClientID(provider.clientId()),
                                signed.getHeader().getAlgorithm(), metadata.getJWKSetURI().toURL());
                    } catch (java.net.MalformedURLException e) {
                        throw new IllegalStateException("the provider's jwks_uri is not a URL", e);
                    }
                });
        return validator.validate(idToken, new Nonce(flight.path("nonce").asText()));
    }

    private OIDCProviderMetadata metadata(GatehouseConfig.Provider provider) throws IOException, ParseException {
        OIDCProviderMetadata known = discovered.get(provider.name());
        if (known == null) {
            try {
                known = OIDCProviderMetadata.resolve(new Issuer(provider.issuer()), 5_000, 10_000);
            } catch (com.nimbusds.oauth2.sdk.GeneralException e) {
                throw new ParseException(e.getMessage(), e);
            }
            discovered.put(provider.name(), known);
        }
        return known;
    }

    private URI callbackUri(GatehouseConfig.Provider provider) {
        return URI.create(publicUrl + "/login/" + provider.name() + "/callback");
    }

    private Optional<JsonNode> open(String sealed) {
        try {
            return Optional.of(Json.MAPPER.readTree(sealer.open(sealed)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) : s;
        return cut.replaceAll("[^A-Za-z0-9_ .-]", "?");
    }
}
