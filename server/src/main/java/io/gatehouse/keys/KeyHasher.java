package io.gatehouse.keys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What is stored instead of a key: SHA-256 of the plaintext, or, when {@code keys.hash-secret} is set,
 * HMAC-SHA-256 under that secret of the SHA-256 — so keys imported by their plain SHA-256 hash are
 * stored the same way as keys Gatehouse made.
 */
public final class KeyHasher {
    private static final HexFormat HEX = HexFormat.of();
    private final Optional<SecretKeySpec> secret;
    private final ThreadLocal<MessageDigest> sha256 = ThreadLocal.withInitial(KeyHasher::newDigest);
    private final ThreadLocal<Mac> hmac;

    public KeyHasher(Optional<String> hashSecret) {
        this.secret = hashSecret.map(s -> new SecretKeySpec(s.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        this.hmac = ThreadLocal.withInitial(this::newMac);
    }

    /** The stored hash of a plaintext key, as lower-case hex. */
    public String hash(String plaintext) {
        return HEX.formatHex(hashBytes(plaintext));
    }

    byte[] hashBytes(String plaintext) {
        byte[] digest = sha256.get().digest(plaintext.getBytes(StandardCharsets.UTF_8));
        return secret.isPresent() ? hmac.get().doFinal(digest) : digest;
    }

    /** The stored hash of a key known only by its plain SHA-256 (64 hex characters). */
    public String fromSha256(String sha256Hex) {
        byte[] digest = HEX.parseHex(sha256Hex);
        return HEX.formatHex(secret.isPresent() ? hmac.get().doFinal(digest) : digest);
    }

    /**
     * Constant-time comparison of two stored hashes (of equal length: the time depends on nothing
     * else). Compares the characters in place: it runs on every cache hit.
     */
    static boolean same(String a, String b) {
        if (a.length() != b.length()) {
            return false;
        }
        int difference = 0;
        for (int i = 0; i < a.length(); i++) {
            difference |= a.charAt(i) ^ b.charAt(i);
        }
        return difference == 0;
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private Mac newMac() {
        if (secret.isEmpty()) {
            return null;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(secret.get());
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
