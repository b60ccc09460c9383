package io.gatehouse.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.gatehouse.store.Database;
import io.gatehouse.store.Ids;
import io.gatehouse.store.Sealer;
import java.text.ParseException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keys Gatehouse signs upstream assertions with: ES256 (P-256), the private half sealed in the
 * database so every node signs with the same key, the public halves served at {@code /oauth/jwks}
 * (RFC 7517 §5) for upstreams to verify with.
 */
public final class SigningKeys {
    private final Database db;
    private final ECKey current;

    private SigningKeys(Database db, ECKey current) {
        this.db = db;
        this.current = current;
    }

    /** Loads the newest active key, or makes the first one. */
    public static SigningKeys open(Database db, Sealer sealer, Clock clock) {
        Optional<String> sealed = db.withHandle(h -> h.createQuery(
                        "SELECT private_jwk FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1")
                .mapTo(String.class).findOne());
        try {
            if (sealed.isPresent()) {
                return new SigningKeys(db, ECKey.parse(sealer.open(sealed.get())));
            }
            ECKey key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .keyID("gh-" + Ids.random(16)).generate();
            db.inTransaction(h -> h.createUpdate("INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, created_at) "
                            + "VALUES (:kid, 'ES256', :pub, :priv, :at)")
                    .bind("kid", key.getKeyID()).bind("pub", key.toPublicJWK().toJSONString())
                    .bind("priv", sealer.seal(key.toJSONString())).bind("at", clock.millis()).execute());
            return new SigningKeys(db, key);
        } catch (JOSEException | ParseException e) {
            throw new IllegalStateException("cannot load or create the signing key: " + e.getMessage(), e);
        }
    }

    ECKey current() {
        return current;
    }

    /** The JWK Set of every key not retired: a node that made its own key at the same time is in it too. */
    public Map<String, Object> jwks() {
        List<Map<String, Object>> keys = db.withHandle(h -> h.createQuery(
                        "SELECT public_jwk FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid")
                .mapTo(String.class).list()).stream().map(SigningKeys::parse).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("keys", keys);
        return out;
    }

    private static Map<String, Object> parse(String publicJwk) {
        try {
            return ECKey.parse(publicJwk).toPublicJWK().toJSONObject();
        } catch (ParseException e) {
            throw new IllegalStateException("a stored public key is damaged", e);
        }
    }
}
