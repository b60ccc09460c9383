package io.gatehouse.oauth;

import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;
import io.gatehouse.audit.Actor;
import io.gatehouse.door.Credentials;
import io.gatehouse.door.Door;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Cors;
import io.gatehouse.http.Json;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.gatehouse.keys.KeyHasher;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The token endpoint (OAuth 2.1 §3.2), revocation (RFC 7009) and introspection (RFC 7662). Requests
 * are read by Nimbus' {@link TokenRequest} parser; answers and errors are JSON, never cached, in
 * RFC 6749 §5 form. A public client identifies itself with {@code client_id}; an operator's
 * confidential client with its secret (basic or post). Introspection answers only authenticated
 * callers: an operator credential with {@code keys:verify}, or a confidential client about its own tokens.
 */
final class TokenEndpoint {
    private final Clients clients;
    private final Tokens tokens;
    private final TokenVerifier verifier;
    private final Door door;
    private final KeyHasher hasher;
    private final PublicUrl publicUrl;
    private final long maxBodyBytes;

    TokenEndpoint(Clients clients, Tokens tokens, TokenVerifier verifier, Door door, KeyHasher hasher, PublicUrl publicUrl,
                  long maxBodyBytes) {
        this.clients = clients;
        this.tokens = tokens;
        this.verifier = verifier;
        this.door = door;
        this.hasher = hasher;
        this.publicUrl = publicUrl;
        this.maxBodyBytes = maxBodyBytes;
    }

    void register(Routes routes) {
        routes.operational(Method.POST, "/oauth/token", (req, res) -> answer(res, () -> token(req)));
        routes.operational(Method.POST, "/oauth/revoke", (req, res) -> answer(res, () -> revoke(req)));
        routes.operational(Method.POST, "/oauth/introspect", (req, res) -> answer(res, () -> introspect(req)));
        for (String path : List.of("/oauth/token", "/oauth/revoke", "/oauth/introspect")) {
            routes.operational(Method.OPTIONS, path, TokenEndpoint::preflight);
        }
    }

    /** A browser client may call these from any origin: they carry no cookie and are authenticated by their body. */
    static void preflight(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS");
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type, Accept, "
                + "MCP-Protocol-Version");
        res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, "86400");
        res.status(Status.NO_CONTENT_204).send();
    }

    private interface Work {
        Map<String, Object> run();
    }

    private static void answer(ServerResponse res, Work work) {
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        res.header(HeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, Cors.EXPOSE_HEADERS);
        res.header(HeaderNames.PRAGMA, "no-cache");
        try {
            Json.ok(res, work.run());
        } catch (OAuthError e) {
            if (e.status() == 401) {
                res.header(HeaderNames.WWW_AUTHENTICATE, "Basic realm=\"gatehouse\"");
            }
            if (e.retryAfterSeconds() > 0) {
                res.header(HeaderNames.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
            }
            Json.send(res, Status.create(e.status()), e.body());
        }
    }

    private Map<String, Object> token(ServerRequest req) {
        TokenRequest request = parse(req, "/oauth/token");
        OAuthClient client = authenticate(request.getClientAuthentication(), request.getClientID(), req);
        Actor actor = new Actor(Optional.empty(), Optional.empty(), false, RequestInfo.of(req).clientAddress(),
                RequestInfo.of(req).requestId());
        Optional<String> resource = resource(request.getResources());
        AuthorizationGrant grant = request.getAuthorizationGrant();
        Tokens.Issued issued = switch (grant) {
            case AuthorizationCodeGrant code -> tokens.exchangeCode(actor, client.id(), code.getAuthorizationCode().getValue(),
                    code.getRedirectionURI() == null ? single(client) : code.getRedirectionURI().toString(),
                    code.getCodeVerifier() == null ? null : code.getCodeVerifier().getValue(), resource);
            case RefreshTokenGrant refresh -> tokens.refresh(actor, client.id(), refresh.getRefreshToken().getValue(),
                    Optional.ofNullable(request.getScope()).map(s -> Scopes.parse(s.toString(), List.of()))
                            .filter(s -> !s.isEmpty()), resource);
            default -> throw new OAuthError(400, "unsupported_grant_type",
                    "Gatehouse issues tokens for authorization_code and refresh_token");
        };
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("access_token", issued.accessToken());
        out.put("token_type", "Bearer");
        out.put("expires_in", issued.expiresIn());
        out.put("refresh_token", issued.refreshToken());
        out.put("scope", Scopes.format(issued.scopes()));
        return out;
    }

    private Map<String, Object> revoke(ServerRequest req) {
        TokenRevocationRequest request;
        try {
            request = TokenRevocationRequest.parse(httpRequest(req, "/oauth/revoke"));
        } catch (ParseException e) {
            throw malformed(e);
        }
        OAuthClient client = authenticate(request.getClientAuthentication(), request.getClientID(), req);
        tokens.revoke(new Actor(Optional.empty(), Optional.empty(), false, RequestInfo.of(req).clientAddress(),
                RequestInfo.of(req).requestId()), client.id(), request.getToken().getValue());
        return Map.of();
    }

    private Map<String, Object> introspect(ServerRequest req) {
        TokenIntrospectionRequest request;
        try {
            request = TokenIntrospectionRequest.parse(httpRequest(req, "/oauth/introspect"));
        } catch (ParseException e) {
            throw malformed(e);
        }
        Optional<String> onlyClient;
        if (request.getClientAuthentication() != null) {
            OAuthClient client = authenticate(request.getClientAuthentication(), null, req);
            if (!client.confidential()) {
                throw OAuthError.invalidClient("Only confidential clients may introspect");
            }
            onlyClient = Optional.of(client.id());
        } else {
            Principal caller;
            try {
                caller = door.admit(Credentials.extract(req.headers()), Requirement.management(Permissions.KEYS_VERIFY),
                        RequestInfo.of(req).clientAddress());
            } catch (ApiError e) {
                throw OAuthError.invalidClient("Authenticate as a confidential client, or with an operator key that "
                        + "has keys:verify");
            }
            if (!caller.operator()) {
                throw OAuthError.invalidClient("Only operator keys may introspect any token");
            }
            onlyClient = Optional.empty();
        }
        String token = request.getToken().getValue();
        // An access token is answered from the door's cache; a refresh token from the store.
        Optional<Tokens.Active> active = (Tokens.ACCESS.isWellFormed(token)
                ? verifier.introspect(token, java.time.Instant.now()) : tokens.introspectRefresh(token))
                .filter(a -> onlyClient.map(a.clientId()::equals).orElse(true));
        if (active.isEmpty()) {
            return Map.of("active", false);
        }
        Tokens.Active a = active.get();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("active", true);
        out.put("scope", Scopes.format(a.scopes()));
        out.put("client_id", a.clientId());
        out.put("sub", a.userId());
        out.put("aud", a.resource());
        out.put("iss", publicUrl.get().toString());
        out.put("exp", a.expiresAt().getEpochSecond());
        out.put("iat", a.issuedAt().getEpochSecond());
        out.put("token_type", a.kind().equals("access") ? "Bearer" : "refresh_token");
        out.put("org", a.orgId());
        out.put("grant_id", a.grantId());
        return out;
    }

    /** The client making the request: a public one by its id, a confidential one by its secret too. */
    private OAuthClient authenticate(ClientAuthentication auth, ClientID publicId, ServerRequest req) {
        String id = auth != null ? auth.getClientID().getValue() : publicId == null ? null : publicId.getValue();
        if (id == null) {
            throw OAuthError.invalidClient("client_id is required");
        }
        OAuthClient client = clients.find(id, RequestInfo.of(req).clientAddress()).orElseThrow(() ->
                OAuthError.invalidClient("Unknown client_id: register again"));
        if (client.confidential()) {
            Secret secret = switch (auth) {
                case ClientSecretBasic b -> b.getClientSecret();
                case ClientSecretPost p -> p.getClientSecret();
                case null, default -> null;
            };
            if (secret == null || client.secretHash().isEmpty() || !MessageDigest.isEqual(
                    hasher.hash(secret.getValue()).getBytes(StandardCharsets.US_ASCII),
                    client.secretHash().get().getBytes(StandardCharsets.US_ASCII))) {
                throw OAuthError.invalidClient("The client's secret is missing or wrong");
            }
        }
        return client;
    }

    private TokenRequest parse(ServerRequest req, String path) {
        HTTPRequest http = httpRequest(req, path);
        try {
            return TokenRequest.parse(http);
        } catch (ParseException e) {
            throw malformed(e);
        }
    }

    /** Nimbus' refusal of a request, as the endpoint answers it (RFC 6749 §5.2). */
    private static OAuthError malformed(ParseException e) {
        String error = e.getErrorObject() != null && e.getErrorObject().getCode() != null
                ? e.getErrorObject().getCode() : "invalid_request";
        return new OAuthError(error.equals("invalid_client") ? 401 : 400, error,
                Scopes.printable(String.valueOf(e.getMessage())));
    }

    private HTTPRequest httpRequest(ServerRequest req, String path) {
        HTTPRequest http = new HTTPRequest(HTTPRequest.Method.POST, URI.create(publicUrl + path));
        try {
            http.setContentType(req.headers().contentType().map(t -> t.text()).orElse(""));
        } catch (ParseException e) {
            throw OAuthError.invalidRequest("Send the request as application/x-www-form-urlencoded");
        }
        if (!http.getEntityContentType().matches(com.nimbusds.common.contenttype.ContentType.APPLICATION_URLENCODED)) {
            throw OAuthError.invalidRequest("Send the request as application/x-www-form-urlencoded");
        }
        req.headers().first(HeaderNames.AUTHORIZATION).ifPresent(http::setAuthorization);
        byte[] body;
        try {
            body = Json.bytes(req, maxBodyBytes);
        } catch (ApiError e) {
            throw OAuthError.invalidRequest(e.publicMessage());
        }
        http.setBody(new String(body, StandardCharsets.UTF_8));
        return http;
    }

    private static Optional<String> resource(List<URI> resources) {
        if (resources == null || resources.isEmpty()) {
            return Optional.empty();
        }
        if (resources.size() > 1) {
            throw OAuthError.invalidTarget("Ask for one resource at a time");
        }
        return Optional.of(resources.getFirst().toString());
    }

    private static String single(OAuthClient client) {
        return client.redirectUris().size() == 1 ? client.redirectUris().getFirst() : "";
    }

}
