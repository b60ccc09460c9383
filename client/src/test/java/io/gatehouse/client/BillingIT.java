package io.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Credits, usage and alerts through the SDK against a real node, with real metered calls: an
 * organization on a plan with an allocation, credits an operator adds once per idempotency key, calls
 * through the gateway to a real upstream that the pool, the ledger and the usage then show, and an
 * alert raised by a call from a second network.
 */
class BillingIT {
    private static final long ALLOCATION = 100;
    private static final int COST = 7;
    private static LocalGatehouse node;
    private static StubServer upstream;
    private static Gatehouse operator;
    private static Gatehouse owner;
    private static Organization org;
    private static Server metered;

    @BeforeAll
    static void start() {
        // Behind a proxy we pretend to be: X-Forwarded-For names each call's network.
        node = LocalGatehouse.start(Map.of("plans.default", "pro", "plans.pro.credits", Long.toString(ALLOCATION),
                "http.trust-forwarded-for", "true"));
        upstream = new StubServer((exchange, n) -> StubServer.answer(exchange, 200, "{\"ok\":true}", null));
        operator = node.operator();
        org = operator.organizations().create(CreateOrganizationRequest.named("Metered").withPlan("pro")
                .withOwnerEmail("owner@metered.test"));
        owner = operator.withKey(node.anonymous().invitations().accept(org.ownerInvitation().orElseThrow().token())
                .key().key());
        metered = operator.servers().create(CreateServerRequest.of("Metered", "metered", upstream.url().toString())
                .withKind("http").withCreditCost(COST));
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void anOperatorAddsCreditsOncePerIdempotencyKeyAndTheLedgerShowsEachMovement() {
        Organization other = newOrganization("ledger@metered.test");
        CreditPool fresh = operator.credits().pool(other.id());
        assertThat(fresh.object()).isEqualTo("credit_pool");
        assertThat(fresh.organizationId()).isEqualTo(other.id());
        assertThat(fresh.allocation()).isEqualTo(ALLOCATION);
        assertThat(fresh.balance()).isEqualTo(ALLOCATION);
        assertThat(fresh.cycleEndsAt()).isAfter(fresh.cycleStartedAt());
        assertThat(fresh.added()).as("only an add answers added").isEmpty();

        CreditPool bought = operator.credits().add(other.id(), CreditChange.purchase(500, "pi_3N0001").withNote("invoice 1"));
        assertThat(bought.added()).contains(true);
        assertThat(bought.purchased()).isEqualTo(500);
        assertThat(bought.balance()).isEqualTo(ALLOCATION + 500);
        CreditPool again = operator.credits().add(other.id(), CreditChange.purchase(500, "pi_3N0001"));
        assertThat(again.added()).as("the same key again changes nothing").contains(false);
        assertThat(again.balance()).isEqualTo(ALLOCATION + 500);

        assertThat(operator.credits().add(other.id(), CreditChange.adjustment(-200, "adj-1")).purchased()).isEqualTo(300);
        assertThatThrownBy(() -> operator.credits().add(other.id(), CreditChange.adjustment(-301, "adj-2")))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.reason()).contains("insufficient_credits"));
        assertThatThrownBy(() -> operator.credits().add(other.id(), CreditChange.purchase(-5, "neg")))
                .isInstanceOf(InvalidRequestException.class);

        List<CreditMovement> ledger = operator.credits().ledger(other.id());
        assertThat(ledger).extracting(CreditMovement::kind).containsExactlyInAnyOrder("adjust", "purchase", "grant");
        assertThat(ledger).extracting(CreditMovement::poolDelta).containsExactlyInAnyOrder(-200L, 500L, ALLOCATION);
        CreditMovement purchase = ledger.stream().filter(m -> m.kind().equals("purchase")).findFirst().orElseThrow();
        assertThat(purchase.object()).isEqualTo("credit_movement");
        assertThat(purchase.note()).contains("invoice 1");
        assertThat(purchase.leaseId()).isEmpty();
        assertThat(purchase.credentialId()).isEmpty();

        List<CreditMovement> first = operator.credits().ledger(other.id(), 2, null);
        List<CreditMovement> next = operator.credits().ledger(other.id(), 2, first.get(1).id());
        assertThat(first).extracting(CreditMovement::id).containsExactly(ledger.get(0).id(), ledger.get(1).id());
        assertThat(next).extracting(CreditMovement::id).containsExactly(ledger.get(2).id());
        assertThat(operator.credits().ledger(other.id(), 2, next.get(0).id())).as("the end").isEmpty();
    }

    @Test
    void onlyAnOperatorAddsCreditsAndOnlyTheOrganizationReadsThem() {
        assertThatThrownBy(() -> owner.credits().add(org.id(), CreditChange.purchase(1_000_000, "self-service")))
                .isInstanceOfSatisfying(ForbiddenException.class, e -> assertThat(e.reason()).contains("not_operator"));
        assertThat(owner.credits().pool(org.id()).purchased()).isZero();

        Organization other = newOrganization("stranger@metered.test");
        Gatehouse stranger = operator.withKey(node.anonymous().invitations()
                .accept(other.ownerInvitation().orElseThrow().token()).key().key());
        assertThatThrownBy(() -> stranger.credits().pool(org.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> stranger.credits().ledger(org.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> stranger.usage().get(org.id(), UsageQuery.defaults()))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> stranger.alerts().list(org.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void meteredCallsShowInThePoolTheLedgerTheUsageAndTheAlerts() throws Exception {
        IssuedApiKey key = owner.keys().createOwn(CreateOwnKeyRequest.named("metered calls"));
        Instant before = Instant.now().minusSeconds(60);
        long balance = owner.credits().pool(org.id()).balance();

        assertThat(call(key.key(), "203.0.113.5")).isEqualTo(200);
        assertThat(call(key.key(), "198.51.100.7")).as("from another network").isEqualTo(200);
        assertThat(owner.credits().pool(org.id()).balance()).isEqualTo(balance - 2 * COST);
        List<CreditMovement> charges = owner.credits().ledger(org.id()).stream()
                .filter(m -> m.kind().equals("charge") && m.credentialId().equals(Optional.of(key.id())))
                .toList();
        // Charges committed together are one row: one row of two calls, or two of one.
        assertThat(charges).isNotEmpty().allSatisfy(m -> {
            assertThat(m.serverId()).contains(metered.id());
            assertThat(m.leaseId()).as("taken from a lease").isPresent();
            assertThat(m.poolDelta()).isZero();
        });
        assertThat(charges.stream().mapToLong(CreditMovement::calls).sum()).isEqualTo(2);
        assertThat(charges.stream().mapToLong(CreditMovement::leaseDelta).sum()).isEqualTo(-2 * COST);

        Usage usage = owner.usage().get(org.id(), UsageQuery.defaults().withFrom(before)
                .withGranularity(UsageQuery.Granularity.DAY).withGroupBy(UsageQuery.GroupBy.CREDENTIAL));
        assertThat(usage.object()).isEqualTo("usage");
        assertThat(usage.granularity()).isEqualTo("day");
        assertThat(usage.from()).isEqualTo(before);
        List<Usage.Bucket> mine = usage.data().stream().filter(b -> b.credential().equals(Optional.of(key.id()))).toList();
        assertThat(mine).as("one bucket, or two across midnight").isNotEmpty().allSatisfy(b -> {
            assertThat(b.server()).as("grouped by credential only").isEmpty();
            assertThat(b.clientErrors() + b.serverErrors() + b.rateLimited() + b.unpaid()).isZero();
        });
        assertThat(mine.stream().mapToLong(Usage.Bucket::calls).sum()).isEqualTo(2);
        assertThat(mine.stream().mapToLong(Usage.Bucket::credits).sum()).isEqualTo(2 * COST);
        Usage byServer = owner.usage().get(org.id(), UsageQuery.defaults().withFrom(before)
                .withGroupBy(UsageQuery.GroupBy.SERVER).withCredential(key.id()));
        assertThat(byServer.granularity()).isEqualTo("hour");
        assertThat(byServer.data()).extracting(Usage.Bucket::server).containsOnly(Optional.of(metered.id()));
        assertThat(byServer.data().stream().mapToLong(Usage.Bucket::calls).sum()).isEqualTo(2);
        assertThat(owner.usage().get(org.id(), UsageQuery.defaults().withCredential("key_nobody")).data()).isEmpty();
        assertThatThrownBy(() -> owner.usage().get(org.id(), UsageQuery.defaults().withFrom(Instant.now().plusSeconds(60))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.errorMessage()).contains("to"));
        assertThatThrownBy(() -> owner.usage().get(org.id(), UsageQuery.defaults()
                .withFrom(Instant.parse("2000-01-01T00:00:00Z")).withGranularity(UsageQuery.Granularity.MINUTE)))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.errorMessage()).contains("10000 buckets"));

        Alert alert = awaitAlert(key.id());
        assertThat(alert.object()).isEqualTo("alert");
        assertThat(alert.kind()).isEqualTo("new_network");
        assertThat(alert.organizationId()).isEqualTo(org.id());
        assertThat(alert.evidence()).containsEntry("network", "198.51.100.0/24").containsEntry("address", "198.51.100.7")
                .containsEntry("known_networks", List.of("203.0.113.0/24"));
        assertThat(alert.deliveredAt()).as("no alerts.webhook-url").isEmpty();
        assertThat(owner.alerts().list(org.id(), 1)).hasSize(1);
        assertThat(owner.alerts().list(org.id(), 10, alert.id())).as("nothing older than the only alert").isEmpty();
    }

    /** A call through the gateway to the metered API, from {@code network}; its status. */
    private static int call(String key, String network) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/metered/hello"))
                    .header("Authorization", "Bearer " + key).header("X-Forwarded-For", network).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    /** A new-network alert is written apart from the call that raised it: waits for it. */
    private static Alert awaitAlert(String credentialId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<Alert> alerts = owner.alerts().list(org.id()).stream()
                    .filter(a -> a.credentialId().equals(credentialId)).toList();
            if (!alerts.isEmpty() || System.nanoTime() > deadline) {
                assertThat(alerts).as("an alert within 10 s").hasSize(1);
                return alerts.get(0);
            }
            Thread.sleep(100);
        }
    }

    private static Organization newOrganization(String ownerEmail) {
        return operator.organizations().create(CreateOrganizationRequest.named("Org of " + ownerEmail).withPlan("pro")
                .withOwnerEmail(ownerEmail));
    }
}
