package io.gatehouse.billing;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testing.Http;
import io.gatehouse.testing.Ledger;
import io.gatehouse.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Purchases told by Stripe ({@code credits.webhook-scheme = stripe}), signed here the way Stripe
 * signs (hex HMAC-SHA256 of {@code t.body} keyed with the whole {@code whsec_} secret): only a paid
 * Checkout Session adds credits, once.
 */
class StripeWebhookIT {
    private static final String SECRET = "whsec_Gatehouse0Stripe0Integration0Secret";
    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start(Map.of("credits.webhook-scheme", "stripe", "credits.webhook-secret", SECRET,
                "plans.free.credits", "20"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @AfterEach
    void ledgerHolds() {
        Ledger.check(node.server.services().db());
    }

    private static String event(String id, String type, String paymentStatus, String org, String credits) {
        return "{\"id\":\"" + id + "\",\"object\":\"event\",\"type\":\"" + type + "\",\"data\":{\"object\":{"
                + "\"id\":\"cs_test_" + id + "\",\"object\":\"checkout.session\",\"payment_status\":\"" + paymentStatus
                + "\",\"metadata\":{\"organization_id\":\"" + org + "\",\"credits\":" + credits + "}}}}";
    }

    private static Http.Response deliver(String body) {
        long t = System.currentTimeMillis() / 1000;
        String signature;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            signature = HexFormat.of().formatHex(mac.doFinal((t + "." + body).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return node.http.send("POST", "/v1/webhooks/credits", Map.of("Content-Type", "application/json",
                "Stripe-Signature", "t=" + t + ",v1=" + signature), body);
    }

    private static long purchased(String org) {
        return TestNode.ok(node.http.get("/v1/orgs/" + org + "/credits", node.adminKey), 200).path("purchased").asLong();
    }

    @Test
    void aDelayedPaymentAddsCreditsWhenItSucceedsAndNotWhenTheSessionCompletesUnpaid() {
        String org = node.createOrg("Delayed", "free", node.createUser("sepa@stripe.test"));

        Http.Response unpaid = deliver(event("evt_sepa_1", "checkout.session.completed", "unpaid", org, "500"));
        assertThat(unpaid.status()).as(unpaid.text()).isEqualTo(200);
        assertThat(unpaid.json().path("applied").asBoolean(true)).isFalse();
        assertThat(purchased(org)).as("no money yet").isZero();

        Http.Response failed = deliver(event("evt_sepa_2", "checkout.session.async_payment_failed", "unpaid", org, "500"));
        assertThat(failed.json().path("applied").asBoolean(true)).isFalse();
        assertThat(purchased(org)).isZero();

        Http.Response succeeded = deliver(event("evt_sepa_3", "checkout.session.async_payment_succeeded", "paid", org,
                "500"));
        assertThat(succeeded.status()).as(succeeded.text()).isEqualTo(200);
        assertThat(succeeded.json().path("applied").asBoolean()).isTrue();
        assertThat(deliver(event("evt_sepa_3", "checkout.session.async_payment_succeeded", "paid", org, "500"))
                .json().path("applied").asBoolean(true)).as("delivered again").isFalse();
        assertThat(purchased(org)).isEqualTo(500);
    }

    @Test
    void aPaidSessionAddsItsCreditsOnceAndABadAmountNothing() {
        String org = node.createOrg("Card", "free", node.createUser("card@stripe.test"));
        assertThat(deliver(event("evt_card_1", "checkout.session.completed", "paid", org, "300")).json()
                .path("applied").asBoolean()).isTrue();
        assertThat(deliver(event("evt_card_free", "checkout.session.completed", "no_payment_required", org, "7"))
                .json().path("applied").asBoolean()).as("a fully discounted session").isTrue();
        assertThat(purchased(org)).isEqualTo(307);

        // 2^64 + 1: read as a long it would be 1
        Http.Response huge = deliver(event("evt_card_2", "checkout.session.completed", "paid", org,
                "18446744073709551617"));
        assertThat(huge.status()).as(huge.text()).isEqualTo(400);
        assertThat(huge.json().path("error").path("message").asText()).contains("data.credits");
        Http.Response notJson = deliver("{\"id\":\"evt_card_3\",");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().path("error").path("reason").asText()).isEqualTo("invalid_json");
        assertThat(purchased(org)).as("nothing changed").isEqualTo(307);
    }
}
