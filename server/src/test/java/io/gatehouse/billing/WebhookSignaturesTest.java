package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.gatehouse.billing.WebhookSignatures.Rejected;
import io.gatehouse.billing.WebhookSignatures.Rejected.Reason;
import io.gatehouse.billing.WebhookSignatures.Scheme;
import io.gatehouse.billing.WebhookSignatures.Verified;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookSignaturesTest {
    private static final Instant NOW = Instant.ofEpochSecond(1_796_242_614L);
    private static final byte[] BODY = "{\"type\":\"credits.purchased\",\"data\":{\"credits\":500}}"
            .getBytes(StandardCharsets.UTF_8);
    private static final String SECRET = WebhookSignatures.newSecret();
    /** Stripe-shaped, and its tail is base64 too: a key read the Standard Webhooks way would differ. */
    private static final String STRIPE_SECRET = "whsec_Gatehouse0Stripe0Test0Secret0abc";
    private static final byte[] STRIPE_BODY = "{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\"}"
            .getBytes(StandardCharsets.UTF_8);
    private static final Instant STRIPE_AT = Instant.ofEpochSecond(1_700_000_000L);

    // The vector of the Standard Webhooks reference library's own test, verifyWebhookSignWorks in
    // standard-webhooks/standard-webhooks libraries/java/src/test/java/com/standardwebhooks/WebhookTest.java;
    // checked again with Python's hmac module over the base64-decoded key.
    @Test
    void signWhenReferenceVectorThenReferenceSignatureAndItVerifies() throws Rejected {
        String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        byte[] body = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
        Instant at = Instant.ofEpochSecond(1614265330L);

        Map<String, String> headers = WebhookSignatures.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", at, body);

        assertThat(headers).containsExactly(
                Map.entry("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                Map.entry("webhook-timestamp", "1614265330"),
                Map.entry("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
        Verified verified = standard(secret, headers, body, at);
        assertThat(verified.id()).contains("msg_p5jXN8AQM9LWM0D4loKWxJek");
        assertThat(verified.timestamp()).isEqualTo(at);
        assertThat(standard("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers, body, at).id())
                .as("the whsec_ prefix may be left off, as the reference libraries allow").isPresent();
    }

    @Test
    void verifyWhenSignedByUsThenIdAndTimestamp() throws Rejected {
        Verified verified = standard(SECRET, WebhookSignatures.sign(SECRET, "msg_1", NOW, BODY), BODY, NOW);
        assertThat(verified).isEqualTo(new Verified(Optional.of("msg_1"), NOW));
    }

    @Test
    void verifyWhenBodyIdOrTimestampChangedThenBadSignature() {
        Map<String, String> signed = WebhookSignatures.sign(SECRET, "msg_1", NOW, BODY);
        byte[] changedBody = BODY.clone();
        changedBody[changedBody.length - 3]++;

        assertThat(reason(SECRET, signed, changedBody, NOW)).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(reason(SECRET, with(signed, "webhook-id", "msg_2"), BODY, NOW)).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(reason(SECRET, with(signed, "webhook-timestamp", String.valueOf(NOW.getEpochSecond() - 1)), BODY, NOW))
                .isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(reason(WebhookSignatures.newSecret(), signed, BODY, NOW)).as("another secret")
                .isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void verifyWhenOneOfSeveralSignaturesMatchesThenAccepted() throws Rejected {
        Map<String, String> signed = WebhookSignatures.sign(SECRET, "msg_1", NOW, BODY);
        String valid = signed.get("webhook-signature");
        String old = WebhookSignatures.sign(WebhookSignatures.newSecret(), "msg_1", NOW, BODY).get("webhook-signature");
        String list = old + "  v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== "
                + valid + " v1,notbase64";

        assertThat(standard(SECRET, with(signed, "webhook-signature", list), BODY, NOW).id()).contains("msg_1");
        assertThat(reason(SECRET, with(signed, "webhook-signature", old + " v1,notbase64"), BODY, NOW))
                .isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void verifyWhenOnlyOtherVersionsThenNoSignatureEvenIfTheValueMatches() {
        Map<String, String> signed = WebhookSignatures.sign(SECRET, "msg_1", NOW, BODY);
        String value = signed.get("webhook-signature").substring("v1,".length());

        for (String header : new String[] {"v2," + value, "v1a," + value + " V1," + value, value, "v1", ",v1," + value}) {
            assertThat(reason(SECRET, with(signed, "webhook-signature", header), BODY, NOW)).as(header)
                    .isEqualTo(Reason.NO_SIGNATURE);
        }
    }

    @Test
    void verifyWhenSignedLongerAgoThanTheToleranceThenOutsideTolerance() throws Rejected {
        Instant edge = NOW.minus(WebhookSignatures.DEFAULT_TOLERANCE);
        assertThat(standard(SECRET, WebhookSignatures.sign(SECRET, "msg_1", edge, BODY), BODY, NOW).timestamp())
                .isEqualTo(edge);

        Rejected rejected = rejected(SECRET, WebhookSignatures.sign(SECRET, "msg_1", edge.minusSeconds(1), BODY), BODY, NOW);
        assertThat(rejected.reason()).isEqualTo(Reason.OUTSIDE_TOLERANCE);
        assertThat(rejected).hasMessageContaining("301 s ago");
    }

    @Test
    void verifyWhenSignedFurtherAheadThanTheToleranceThenOutsideTolerance() throws Rejected {
        Instant edge = NOW.plus(WebhookSignatures.DEFAULT_TOLERANCE);
        assertThat(standard(SECRET, WebhookSignatures.sign(SECRET, "msg_1", edge, BODY), BODY, NOW).timestamp())
                .isEqualTo(edge);

        Rejected rejected = rejected(SECRET, WebhookSignatures.sign(SECRET, "msg_1", edge.plusSeconds(1), BODY), BODY, NOW);
        assertThat(rejected.reason()).isEqualTo(Reason.OUTSIDE_TOLERANCE);
        assertThat(rejected).hasMessageContaining("301 s ahead");
    }

    @Test
    void verifyWhenForgedAndOldThenBadSignatureSoOutsideToleranceAlwaysMeansAuthentic() {
        Map<String, String> old = WebhookSignatures.sign(WebhookSignatures.newSecret(), "msg_1", NOW.minusSeconds(3600), BODY);
        assertThat(reason(SECRET, old, BODY, NOW)).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"webhook-id", "webhook-timestamp", "webhook-signature"})
    void verifyWhenAHeaderIsAbsentOrBlankThenMissingHeaders(String name) {
        Map<String, String> signed = WebhookSignatures.sign(SECRET, "msg_1", NOW, BODY);
        Map<String, String> without = new HashMap<>(signed);
        without.remove(name);

        assertThat(reason(SECRET, without, BODY, NOW)).isEqualTo(Reason.MISSING_HEADERS);
        assertThat(reason(SECRET, with(signed, name, " "), BODY, NOW)).isEqualTo(Reason.MISSING_HEADERS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-1796242614", "+1796242614", "1796242614.0", "1.796e9", "0x6b10ab36",
            "1796242614000000", "1796242614 1796242614"})
    void verifyWhenTimestampIsNotWholeSecondsThenBadTimestamp(String timestamp) {
        Map<String, String> signed = WebhookSignatures.sign(SECRET, "msg_1", NOW, BODY);
        assertThat(reason(SECRET, with(signed, "webhook-timestamp", timestamp), BODY, NOW)).isEqualTo(Reason.BAD_TIMESTAMP);
    }

    @Test
    void rejectionsNeverCarryTheSecretOrTheExpectedSignature() {
        Map<String, String> signed = WebhookSignatures.sign(SECRET, "msg_1", NOW, BODY);
        String expected = signed.get("webhook-signature").substring(3);
        String key = SECRET.substring("whsec_".length());
        Map<String, String> forged = WebhookSignatures.sign(WebhookSignatures.newSecret(), "msg_1", NOW, BODY);
        for (Rejected rejected : new Rejected[] {
                rejected(SECRET, forged, BODY, NOW),
                rejected(SECRET, with(signed, "webhook-signature", "v2," + expected), BODY, NOW),
                rejected(SECRET, signed, BODY, NOW.plusSeconds(3600))}) {
            assertThat(rejected.getMessage()).doesNotContain(key).doesNotContain(expected);
            assertThat(rejected.getStackTrace()).as("an answer, not a bug").isEmpty();
        }
        assertThatThrownBy(() -> standard("whsec_not*base64!", signed, BODY, NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("not*base64");
    }

    @Test
    void signRefusesIdsThatCouldShiftTheSignedPartsAndShortSecrets() {
        assertThatThrownBy(() -> WebhookSignatures.sign(SECRET, "msg.1", NOW, BODY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebhookSignatures.sign(SECRET, "msg 1", NOW, BODY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebhookSignatures.sign(SECRET, "", NOW, BODY)).isInstanceOf(IllegalArgumentException.class);
        String short23 = "whsec_" + Base64.getEncoder().encodeToString(new byte[23]);
        assertThatThrownBy(() -> WebhookSignatures.sign(short23, "msg_1", NOW, BODY)).isInstanceOf(IllegalArgumentException.class);
        String enough24 = "whsec_" + Base64.getEncoder().encodeToString(new byte[24]);
        assertThat(WebhookSignatures.sign(enough24, "msg_1-A", NOW, BODY)).containsKey("webhook-signature");
    }

    @Test
    void newSecretIsWhsecAndTheBase64OfThirtyTwoRandomBytes() {
        String one = WebhookSignatures.newSecret();
        assertThat(one).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(one.substring("whsec_".length()))).hasSize(32);
        assertThat(WebhookSignatures.newSecret()).isNotEqualTo(one);
    }

    @Test
    void stripeWhenSignedAsStripeSignsThenAcceptedWithoutId() throws Rejected {
        // Computed apart from both the class and this test, with Python's hmac over the secret's UTF-8 bytes
        String known = "7a7c2aab5d24e50735e65f2870b1baf04881472c8792ab9871a0b5e6820277ca";
        assertThat(stripeHex(STRIPE_SECRET.getBytes(StandardCharsets.UTF_8), STRIPE_AT, STRIPE_BODY)).isEqualTo(known);

        Verified verified = stripe("t=1700000000,v1=" + known, STRIPE_BODY, STRIPE_AT.plusSeconds(10));
        assertThat(verified).isEqualTo(new Verified(Optional.empty(), STRIPE_AT));
    }

    @Test
    void stripeWhenRolledSecretOrTestModeV0ThenAnyV1Matches() throws Rejected {
        String valid = stripeHex(STRIPE_SECRET.getBytes(StandardCharsets.UTF_8), STRIPE_AT, STRIPE_BODY);
        String other = stripeHex("whsec_previous".getBytes(StandardCharsets.UTF_8), STRIPE_AT, STRIPE_BODY);

        assertThat(stripe("t=1700000000,v1=" + other + ",v1=" + valid + ",v0=" + other, STRIPE_BODY, STRIPE_AT).timestamp())
                .isEqualTo(STRIPE_AT);
        assertThat(stripeReason("t=1700000000, v0=" + valid, STRIPE_BODY, STRIPE_AT)).isEqualTo(Reason.NO_SIGNATURE);
        assertThat(stripeReason("t=1700000000,v1=" + other, STRIPE_BODY, STRIPE_AT)).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(stripeReason("t=1700000000,v1=" + valid.toUpperCase(), STRIPE_BODY, STRIPE_AT)).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void stripeWhenKeyIsTheDecodedSecretOrBodyOrTimeChangedThenRefused() {
        byte[] decoded = Base64.getDecoder().decode(STRIPE_SECRET.substring("whsec_".length()));
        String valid = stripeHex(STRIPE_SECRET.getBytes(StandardCharsets.UTF_8), STRIPE_AT, STRIPE_BODY);

        assertThat(stripeReason("t=1700000000,v1=" + stripeHex(decoded, STRIPE_AT, STRIPE_BODY), STRIPE_BODY, STRIPE_AT))
                .as("Stripe does not base64-decode its secret").isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(stripeReason("t=1700000000,v1=" + valid, "{}".getBytes(StandardCharsets.UTF_8), STRIPE_AT))
                .isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(stripeReason("t=1700000001,v1=" + valid, STRIPE_BODY, STRIPE_AT)).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(stripeReason("t=1700000000,v1=" + valid, STRIPE_BODY, STRIPE_AT.plusSeconds(301)))
                .isEqualTo(Reason.OUTSIDE_TOLERANCE);
        assertThat(stripeReason("t=1700000000,v1=" + valid, STRIPE_BODY, STRIPE_AT.minusSeconds(301)))
                .isEqualTo(Reason.OUTSIDE_TOLERANCE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"v1=abc", "t=,v1=abc", "t=abc,v1=abc", "t=1700000000,t=1700000000,v1=abc", "t1700000000,v1=abc"})
    void stripeWhenTimestampAbsentTwiceOrNotANumberThenBadTimestamp(String header) {
        assertThat(stripeReason(header, STRIPE_BODY, STRIPE_AT)).isEqualTo(Reason.BAD_TIMESTAMP);
    }

    @Test
    void stripeWhenNoHeaderThenMissingHeaders() {
        Rejected rejected = catchThrowableOfType(Rejected.class, () -> WebhookSignatures.verify(Scheme.STRIPE, STRIPE_SECRET,
                name -> Optional.empty(), STRIPE_BODY, STRIPE_AT, WebhookSignatures.DEFAULT_TOLERANCE));
        assertThat(rejected.reason()).isEqualTo(Reason.MISSING_HEADERS);
    }

    private static Verified standard(String secret, Map<String, String> headers, byte[] body, Instant now) throws Rejected {
        return WebhookSignatures.verify(Scheme.STANDARD_WEBHOOKS, secret, name -> Optional.ofNullable(headers.get(name)),
                body, now, WebhookSignatures.DEFAULT_TOLERANCE);
    }

    private static Rejected rejected(String secret, Map<String, String> headers, byte[] body, Instant now) {
        Rejected rejected = catchThrowableOfType(Rejected.class, () -> standard(secret, headers, body, now));
        assertThat(rejected).as("refused").isNotNull();
        return rejected;
    }

    private static Reason reason(String secret, Map<String, String> headers, byte[] body, Instant now) {
        return rejected(secret, headers, body, now).reason();
    }

    private static Map<String, String> with(Map<String, String> headers, String name, String value) {
        Map<String, String> changed = new HashMap<>(headers);
        changed.put(name, value);
        return changed;
    }

    private static Verified stripe(String header, byte[] body, Instant now) throws Rejected {
        return WebhookSignatures.verify(Scheme.STRIPE, STRIPE_SECRET,
                name -> name.equals("stripe-signature") ? Optional.of(header) : Optional.empty(),
                body, now, WebhookSignatures.DEFAULT_TOLERANCE);
    }

    private static Reason stripeReason(String header, byte[] body, Instant now) {
        Rejected rejected = catchThrowableOfType(Rejected.class, () -> stripe(header, body, now));
        assertThat(rejected).as("refused").isNotNull();
        return rejected.reason();
    }

    /** Stripe's v1 signature, computed here on its own: lower-case hex of HMAC-SHA256(key, "{t}.{body}"). */
    private static String stripeHex(byte[] key, Instant at, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((at.getEpochSecond() + ".").getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (byte b : mac.doFinal(body)) {
                hex.append(String.format("%02x", b & 0xff));
            }
            return hex.toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
