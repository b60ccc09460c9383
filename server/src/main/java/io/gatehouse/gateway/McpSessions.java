package io.gatehouse.gateway;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Binds an upstream's MCP session to the caller that opened it, without storing anything: the
 * client is given {@code gh1.<upstream id>.<MAC>}, where the MAC covers the upstream id, the server
 * and the caller (user and credential). A request presenting the id is forwarded only when the MAC
 * holds for its own caller, so another credential holding a stolen session id gets a 404, and any
 * node that shares the node secret can check it (no sticky sessions).
 *
 * <p>MCP 2025-11-25, Security Best Practices § Session Hijacking: sessions MUST NOT be used for
 * authentication, and servers SHOULD bind session ids to user-specific information.
 */
final class McpSessions {
    private static final String PREFIX = "gh1.";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    /** Initialised once; each use clones it (a provider look-up per request costs more than the MAC). */
    private final Mac prototype;

    McpSessions(byte[] key) {
        try {
            this.prototype = Mac.getInstance("HmacSHA256");
            prototype.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String wrap(String upstreamId, String binding) {
        return PREFIX + B64.encodeToString(upstreamId.getBytes(StandardCharsets.UTF_8)) + "." + mac(upstreamId, binding);
    }

    /** The upstream's session id, when {@code presented} was issued to this binding. */
    Optional<String> unwrap(String presented, String binding) {
        if (!presented.startsWith(PREFIX)) {
            return Optional.empty();
        }
        int dot = presented.indexOf('.', PREFIX.length());
        if (dot < 0) {
            return Optional.empty();
        }
        String upstreamId;
        try {
            upstreamId = new String(Base64.getUrlDecoder().decode(presented.substring(PREFIX.length(), dot)),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        byte[] expected = mac(upstreamId, binding).getBytes(StandardCharsets.US_ASCII);
        byte[] given = presented.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given) ? Optional.of(upstreamId) : Optional.empty();
    }

    private String mac(String upstreamId, String binding) {
        try {
            Mac mac = (Mac) prototype.clone();
            mac.update(binding.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return B64.encodeToString(mac.doFinal(upstreamId.getBytes(StandardCharsets.UTF_8)));
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
