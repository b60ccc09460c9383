package io.gatehouse.billing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks the signature of webhook messages that come in (a payment provider telling us credits were
 * bought) and signs those that go out (alerts). Two schemes, both HMAC-SHA-256 over a timestamp and
 * the raw body:
 * <ul>
 *   <li>{@link Scheme#STANDARD_WEBHOOKS}: headers {@code webhook-id}, {@code webhook-timestamp},
 *       {@code webhook-signature}; the key is the base64 after {@code whsec_}.</li>
 *   <li>{@link Scheme#STRIPE}: one header, {@code Stripe-Signature: t=…,v1=<hex>}; the key is the
 *       whole {@code whsec_…} string as UTF-8 bytes.</li>
 * </ul>
 *
 * <p>{@link #verify} checks in a fixed order, each step with its own {@link Rejected.Reason}: the
 * headers are there, the timestamp is a number, one signature of the known version matches, and only
 * then the timestamp is within the tolerance. So {@code OUTSIDE_TOLERANCE} names an authentic message
 * that is late (a replay, or a clock that drifts) and never a forgery. The body must be the bytes as
 * received: a body parsed and written again does not verify.
 *
 * <p>Written here rather than taken from a library: the scheme is one HMAC over three joined parts,
 * and the JDK has both HMAC and a constant-time compare. {@code com.standardwebhooks:standardwebhooks}
 * 1.0.0, the only version Maven Central serves, is a jar without classes; Svix's and Stripe's own
 * Java libraries are whole API clients, and read the body as a {@code String} and the clock
 * themselves. Interoperability is held by the reference library's test vector in the unit test.
 *
 * @see <a href="https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md">Standard
 *     Webhooks 1.0.0, "Signature scheme" and "Webhook headers"</a>
 * @see <a href="https://docs.stripe.com/webhooks#verify-manually">Stripe, "Verify signatures manually"</a>
 */
public final class WebhookSignatures {
    /** Five minutes either way, the default of the Standard Webhooks and Stripe libraries. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);
    public static final String SECRET_PREFIX = "whsec_";
    public static final String ID_HEADER = "webhook-id";
    public static final String TIMESTAMP_HEADER = "webhook-timestamp";
    public static final String SIGNATURE_HEADER = "webhook-signature";
    public static final String STRIPE_SIGNATURE_HEADER = "stripe-signature";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String HMAC = "HmacSHA256";
    /** Standard Webhooks "Signature scheme": symmetric signing secrets are at least 24 bytes. */
    private static final int MIN_SIGNING_KEY_BYTES = 24;

    private WebhookSignatures() {
    }

    public enum Scheme { STANDARD_WEBHOOKS, STRIPE }

    /**
     * A message whose signature matched. {@code id} is the {@code webhook-id}; Stripe sends none in a
     * header, so there it is empty and the event id comes from the body.
     */
    public record Verified(Optional<String> id, Instant timestamp) {
    }

    /** Why a message was refused. Its message never holds the secret, a signature or a header's value. */
    public static final class Rejected extends Exception {
        public enum Reason {
            /** A header the scheme needs is absent or blank. */
            MISSING_HEADERS,
            /** The timestamp is not a whole number of seconds, or Stripe's header has none or two. */
            BAD_TIMESTAMP,
            /** The signature header holds no signature of the version this class checks ({@code v1}). */
            NO_SIGNATURE,
            /** No {@code v1} signature matches: another secret, or the id, timestamp or body changed. */
            BAD_SIGNATURE,
            /** Authentic, but signed further from now than the tolerance allows. */
            OUTSIDE_TOLERANCE
        }

        private final Reason reason;

        Rejected(Reason reason, String message) {
            super(reason + ": " + message, null, false, false);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    /**
     * Verifies one incoming message.
     *
     * @param headers gives a header's value by its lower-case name, empty when absent; matching names
     *     case-insensitively is the caller's work (Netty's and Helidon's headers do it)
     * @param tolerance how far the timestamp may be from {@code now}, either way; zero or more
     * @throws IllegalArgumentException when the secret cannot be a key of the scheme (a setting to fix,
     *     not a message to refuse)
     */
    public static Verified verify(Scheme scheme, String secret, Function<String, Optional<String>> headers,
                                  byte[] body, Instant now, Duration tolerance) throws Rejected {
        if (tolerance.isNegative()) {
            throw new IllegalArgumentException("the tolerance must not be negative");
        }
        return switch (scheme) {
            case STANDARD_WEBHOOKS -> verifyStandard(standardKey(secret), headers, body, now, tolerance);
            case STRIPE -> verifyStripe(stripeKey(secret), headers, body, now, tolerance);
        };
    }

    /**
     * The three Standard Webhooks headers for an outgoing message, in the order they are listed.
     *
     * @param id the message's id, the same on every retry; letters, digits, {@code _} and {@code -}
     * @param timestamp when this attempt is sent; a retry is signed again with its own
     */
    public static Map<String, String> sign(String secret, String id, Instant timestamp, byte[] body) {
        byte[] key = standardKey(secret);
        // Standard Webhooks "Signature scheme": producers' secrets are at least 24 bytes
        if (key.length < MIN_SIGNING_KEY_BYTES) {
            throw new IllegalArgumentException("a signing secret must hold at least 24 bytes");
        }
        // Standard Webhooks "Signature scheme": the id must not be able to hold a '.'
        if (id.isEmpty() || !id.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-'))) {
            throw new IllegalArgumentException("a webhook id is letters, digits, '_' and '-'");
        }
        if (timestamp.getEpochSecond() < 0) {
            throw new IllegalArgumentException("the timestamp is before 1970");
        }
        String seconds = Long.toString(timestamp.getEpochSecond());
        Map<String, String> out = new LinkedHashMap<>();
        out.put(ID_HEADER, id);
        out.put(TIMESTAMP_HEADER, seconds);
        out.put(SIGNATURE_HEADER, "v1," + Base64.getEncoder().encodeToString(hmac(key, id + "." + seconds + ".", body)));
        return Collections.unmodifiableMap(out);
    }

    /** A new Standard Webhooks secret: {@code whsec_} and the base64 of 32 random bytes. */
    public static String newSecret() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
    }

    private static Verified verifyStandard(byte[] key, Function<String, Optional<String>> headers, byte[] body,
                                           Instant now, Duration tolerance) throws Rejected {
        String id = required(headers, ID_HEADER);
        String signatures = required(headers, SIGNATURE_HEADER);
        long seconds = seconds(required(headers, TIMESTAMP_HEADER));
        // Standard Webhooks "Webhook headers": a space-delimited list of "<version>,<base64>"; any v1 may match
        List<String> v1 = new ArrayList<>();
        for (String versioned : signatures.split(" ")) {
            int comma = versioned.indexOf(',');
            if (comma > 0 && versioned.substring(0, comma).equals("v1")) {
                v1.add(versioned.substring(comma + 1));
            }
        }
        // The signed content is "{msg_id}.{timestamp}.{payload}", the timestamp in plain decimal
        String expected = Base64.getEncoder().encodeToString(hmac(key, id + "." + seconds + ".", body));
        match(expected, v1, SIGNATURE_HEADER);
        return new Verified(Optional.of(id), within(seconds, now, tolerance));
    }

    private static Verified verifyStripe(byte[] key, Function<String, Optional<String>> headers, byte[] body,
                                         Instant now, Duration tolerance) throws Rejected {
        String header = required(headers, STRIPE_SIGNATURE_HEADER);
        // Stripe: split on ',' then on the first '='; t is the timestamp, each v1 a signature, all else ignored
        List<String> timestamps = new ArrayList<>();
        List<String> v1 = new ArrayList<>();
        for (String item : header.split(",")) {
            int equals = item.indexOf('=');
            if (equals < 0) {
                continue;
            }
            String name = item.substring(0, equals).strip();
            String value = item.substring(equals + 1).strip();
            if (name.equals("t")) {
                timestamps.add(value);
            } else if (name.equals("v1")) {
                v1.add(value);
            }
        }
        if (timestamps.size() != 1) {
            throw new Rejected(Rejected.Reason.BAD_TIMESTAMP,
                    STRIPE_SIGNATURE_HEADER + " holds " + timestamps.size() + " timestamps, not one");
        }
        long seconds = seconds(timestamps.getFirst());
        // Stripe: signed_payload is "{t}.{body}", the signature its lower-case hex HMAC-SHA256
        String expected = HexFormat.of().formatHex(hmac(key, seconds + ".", body));
        match(expected, v1, STRIPE_SIGNATURE_HEADER);
        return new Verified(Optional.empty(), within(seconds, now, tolerance));
    }

    private static String required(Function<String, Optional<String>> headers, String name) throws Rejected {
        Optional<String> value = headers.apply(name).map(String::strip).filter(v -> !v.isEmpty());
        if (value.isEmpty()) {
            throw new Rejected(Rejected.Reason.MISSING_HEADERS, "no " + name + " header");
        }
        return value.get();
    }

    /** Unix seconds: digits only, no sign, no fraction; at most 12 of them (well past the year 9999). */
    private static long seconds(String text) throws Rejected {
        if (text.isEmpty() || text.length() > 12 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Rejected(Rejected.Reason.BAD_TIMESTAMP, "the timestamp is not a number of seconds");
        }
        return Long.parseLong(text);
    }

    private static void match(String expected, List<String> presented, String header) throws Rejected {
        if (presented.isEmpty()) {
            throw new Rejected(Rejected.Reason.NO_SIGNATURE, header + " holds no v1 signature");
        }
        byte[] want = expected.getBytes(StandardCharsets.US_ASCII);
        boolean found = false;
        for (String candidate : presented) {
            // Standard Webhooks "Verifying signatures": compare in constant time
            found |= MessageDigest.isEqual(want, candidate.getBytes(StandardCharsets.US_ASCII));
        }
        if (!found) {
            throw new Rejected(Rejected.Reason.BAD_SIGNATURE, "no v1 signature in " + header + " matches");
        }
    }

    private static Instant within(long seconds, Instant now, Duration tolerance) throws Rejected {
        // Standard Webhooks "Verifying signatures": the timestamp within a tolerance of now, against replays
        Instant sent = Instant.ofEpochSecond(seconds);
        Duration skew = Duration.between(sent, now).abs();
        if (skew.compareTo(tolerance) > 0) {
            throw new Rejected(Rejected.Reason.OUTSIDE_TOLERANCE, "signed " + skew.toSeconds() + " s "
                    + (sent.isBefore(now) ? "ago" : "ahead") + ", tolerance " + tolerance.toSeconds() + " s");
        }
        return sent;
    }

    /** Standard Webhooks: the base64 after {@code whsec_} (the prefix may be left off, as its libraries allow). */
    private static byte[] standardKey(String secret) {
        String encoded = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
        byte[] key;
        try {
            key = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a Standard Webhooks secret is whsec_ and base64");
        }
        if (key.length == 0) {
            throw new IllegalArgumentException("the webhook secret is empty");
        }
        return key;
    }

    /** Stripe: the endpoint's whole signing secret, {@code whsec_} included, as UTF-8 bytes. */
    private static byte[] stripeKey(String secret) {
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("the webhook secret is empty");
        }
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hmac(byte[] key, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
