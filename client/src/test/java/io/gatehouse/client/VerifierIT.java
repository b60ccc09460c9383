package io.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A service verifying keys through the SDK against a real node: the answers of
 * {@code POST /v1/keys/verify}, and the verifier's cache (a revoked key stays valid there at most
 * its TTL; answers are kept under the key's SHA-256, never its plaintext).
 */
class VerifierIT {
    private static LocalGatehouse node;
    private static Gatehouse operator;
    private static Gatehouse service;
    private static Organization org;
    private static String ownerId;

    @BeforeAll
    static void start() {
        node = LocalGatehouse.start();
        operator = node.operator();
        org = operator.organizations().create(CreateOrganizationRequest.named("Verified").withOwnerEmail("o@v.test"));
        ownerId = node.anonymous().invitations().accept(org.ownerInvitation().orElseThrow().token()).member().userId();
        String verifierKey = operator.keys().create(CreateKeyRequest.named("verifier").withKind("operator")
                .withPermissions("keys:verify")).key();
        service = Gatehouse.builder().baseUrl(node.url()).key(verifierKey).build();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void aCachedAnswerIsForTheUseItWasAskedForOnly() {
        IssuedApiKey key = newKey("two uses");
        KeyVerifier verifier = service.keys().verifier(VerifierCache.defaults());
        assertThat(verifier.verify(VerifyKeyRequest.of(key.key()).withServer("search"))).isInstanceOf(VerifiedKey.class);
        // the same key for another server is asked of Gatehouse, not answered from the first answer
        assertThat(verifier.verify(VerifyKeyRequest.of(key.key()).withServer("billing"))).isInstanceOf(RejectedKey.class);
        assertThat(verifier.verify(VerifyKeyRequest.of(key.key()).withServer("search"))).isInstanceOf(VerifiedKey.class);
        // and a reader of a kept answer cannot widen it for the next
        VerifiedKey kept = (VerifiedKey) verifier.verify(VerifyKeyRequest.of(key.key()).withServer("search"));
        assertThatThrownBy(() -> kept.permissions().add("admin:*"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    private static IssuedApiKey newKey(String name) {
        return operator.keys().create(CreateKeyRequest.named(name).withOrganization(org.id()).withUser(ownerId)
                .withServers(Targets.of("search")));
    }

    @Test
    void verifyAnswersWhoseKeyItIsAndWhyARefusedKeyIsRefused() {
        IssuedApiKey key = newKey("client");
        VerifyKeyResult ok = service.keys().verify(VerifyKeyRequest.of(key.key()).withServer("search")
                .withPermission("mcp:use"));
        assertThat(ok).isInstanceOfSatisfying(VerifiedKey.class, v -> {
            assertThat(v.keyId()).isEqualTo(key.id());
            assertThat(v.userId()).isEqualTo(ownerId);
            assertThat(v.organizationId()).isEqualTo(org.id());
            assertThat(v.servers()).isEqualTo(Targets.of("search"));
            assertThat(v.verifiedBy()).startsWith("key_");
        });
        VerifyKeyResult elsewhere = service.keys().verify(VerifyKeyRequest.of(key.key()).withServer("billing"));
        assertThat(elsewhere).isInstanceOfSatisfying(RejectedKey.class, r -> {
            assertThat(r.valid()).isFalse();
            assertThat(r.error().code()).isEqualTo("forbidden");
            assertThat(r.error().reason()).contains("out_of_scope");
        });
    }

    @Test
    void aCallerWithoutKeysVerifyIsRefusedWithTheScopeItLacks() {
        IssuedApiKey plain = newKey("plain");
        assertThatThrownBy(() -> operator.withKey(plain.key()).keys().verify(VerifyKeyRequest.of(plain.key())))
                .isInstanceOfSatisfying(ForbiddenException.class, e -> {
                    assertThat(e.code()).isEqualTo("insufficient_scope");
                    assertThat(e.scope()).contains("keys:verify");
                });
    }

    @Test
    void aRevokedKeyStaysValidInTheCacheAtMostItsTtlThenTheRefusalIsFetched() {
        MutableClock clock = new MutableClock();
        KeyVerifier verifier = service.keys().verifier(VerifierCache.defaults()
                .withTtl(Duration.ofSeconds(30), Duration.ofSeconds(5)).withClock(clock));
        IssuedApiKey key = newKey("cached");
        assertThat(verifier.verify(key.key()).valid()).isTrue();

        operator.keys().revoke(key.id());
        clock.advance(Duration.ofSeconds(29));
        assertThat(verifier.verify(key.key()).valid()).as("still cached: Gatehouse not asked").isTrue();

        clock.advance(Duration.ofSeconds(2));
        VerifyKeyResult refreshed = verifier.verify(key.key());
        assertThat(refreshed).isInstanceOfSatisfying(RejectedKey.class,
                r -> assertThat(r.error().reason()).contains("revoked"));
    }

    @Test
    void aRefusalIsKeptOnlyItsShortTtl() {
        MutableClock clock = new MutableClock();
        KeyVerifier verifier = service.keys().verifier(VerifierCache.defaults()
                .withTtl(Duration.ofSeconds(30), Duration.ofSeconds(5)).withClock(clock));
        IssuedApiKey key = newKey("member-later");
        Workspace ws = operator.workspaces().create(org.id(), "later");
        VerifyKeyRequest inWorkspace = VerifyKeyRequest.of(key.key()).withWorkspace(ws.id());
        assertThat(verifier.verify(inWorkspace)).isInstanceOfSatisfying(RejectedKey.class,
                r -> assertThat(r.error().reason()).contains("not_member"));

        operator.workspaces().addMember(ws.id(), ownerId);
        assertThat(verifier.verify(inWorkspace).valid()).as("refusal still cached").isFalse();
        clock.advance(Duration.ofSeconds(6));
        assertThat(verifier.verify(inWorkspace).valid()).isTrue();
    }

    @Test
    void aMalformedKeyIsAnsweredAndKeptUnderItsHashNeverItsPlaintext() {
        KeyVerifier verifier = service.keys().verifier(VerifierCache.defaults());
        String malformed = "gk_live_thisIsNotAValidKeyAtAll000000_XXXXXX";
        VerifyKeyResult answer = verifier.verify(malformed);
        assertThat(answer).isInstanceOfSatisfying(RejectedKey.class,
                r -> assertThat(r.error().reason()).contains("malformed"));
        assertThat(verifier.cachedKeys()).singleElement().satisfies(k -> {
            assertThat(k.keySha256()).isEqualTo(KeyVerifier.sha256(malformed)).hasSize(64);
            assertThat(k.toString()).doesNotContain(malformed).doesNotContain("thisIsNotAValidKey");
        });
        assertThat(answer.toString()).doesNotContain("thisIsNotAValidKey");
        assertThat(verifier.toString()).doesNotContain("thisIsNotAValidKey");
    }

    @Test
    void theCacheIsBoundedAndCanBeTurnedOff() {
        KeyVerifier small = service.keys().verifier(VerifierCache.defaults().withMaxEntries(2));
        for (int i = 0; i < 3; i++) {
            small.verify(newKey("k" + i).key());
        }
        assertThat(small.size()).isEqualTo(2);
        small.clear();
        assertThat(small.size()).isZero();

        KeyVerifier none = service.keys().verifier(VerifierCache.none());
        IssuedApiKey key = newKey("uncached");
        assertThat(none.verify(key.key()).valid()).isTrue();
        operator.keys().revoke(key.id());
        assertThat(none.verify(key.key()).valid()).isFalse();
        assertThat(none.size()).isZero();
    }
}
