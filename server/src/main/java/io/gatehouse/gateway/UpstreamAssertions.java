package io.gatehouse.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.gatehouse.door.Principal;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.store.Ids;
import java.time.Clock;
import java.time.Duration;
import io.netty.util.AsciiString;
import java.time.Instant;
import java.util.Date;
import java.util.TreeSet;

/**
 * The short-lived JWT that tells an upstream who is calling, in place of the client's credential
 * (MCP 2025-11-25, Security Best Practices § Token Passthrough: the client's token never goes
 * upstream). Signed with {@link SigningKeys}; claims name the user, organisation, workspaces in
 * reach, credential and its kind, plan and permissions; the audience is the upstream's URL.
 *
 * <p>Signing costs tens of microseconds, so one assertion serves a caller's requests to a server
 * until a third of its life is left, as long as what it says still holds (the principal is equal).
 */
public final class UpstreamAssertions {
    private record Issued(Principal principal, String token, AsciiString authorization, Instant refreshAt) {
    }

    private final SigningKeys keys;
    private final JWSSigner signer;
    private final PublicUrl issuer;
    private final Duration ttl;
    private final Clock clock;
    private final Cache<String, Issued> cache = Caffeine.newBuilder().maximumSize(100_000).build();

    public UpstreamAssertions(SigningKeys keys, PublicUrl issuer, Duration ttl, Clock clock) {
        this.keys = keys;
        this.issuer = issuer;
        this.ttl = ttl;
        this.clock = clock;
        try {
            this.signer = new ECDSASigner(keys.current());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code Bearer} and the JWT for {@code principal} calling {@code server}, as the bytes of the
     * {@code Authorization} field: made once per token, copied into each request as they are.
     */
    public AsciiString authorization(Principal principal, Server server) {
        return issued(principal, server).authorization();
    }

    private Issued issued(Principal principal, Server server) {
        String cacheKey = principal.credentialId() + " " + server.id();
        Instant now = clock.instant();
        Issued hit = cache.getIfPresent(cacheKey);
        // The same cached identity makes the same principal: the deep comparison is for the rest.
        if (hit != null && (hit.principal().identity() == principal.identity() || hit.principal().equals(principal))
                && now.isBefore(hit.refreshAt())) {
            return hit;
        }
        String token = sign(principal, server, now);
        Issued fresh = new Issued(principal, token, new AsciiString("Bearer " + token),
                now.plus(ttl.multipliedBy(2).dividedBy(3)));
        cache.put(cacheKey, fresh);
        return fresh;
    }

    private String sign(Principal p, Server server, Instant now) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer.toString())
                .subject(p.userId())
                .audience(server.upstream().toString())
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now.minusSeconds(5)))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(Ids.random(20))
                .claim("org", p.orgId())
                .claim("workspaces", new TreeSet<>(p.workspaces()).stream().toList())
                .claim("cred", p.credentialId())
                .claim("cred_kind", p.identity().kind().wire())
                .claim("plan", p.identity().plan())
                .claim("scope", String.join(" ", new TreeSet<>(p.permissions())))
                .claim("server", server.slug())
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(keys.current().getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign an upstream assertion", e);
        }
        return jwt.serialize();
    }
}
