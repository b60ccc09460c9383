package io.gatehouse.keys;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** Keys created, used, listed, revoked, renewed, rolled, deleted and imported — over real HTTP. */
class ApiKeyLifecycleIT {
    static TestNode node;
    static String org;
    static String alice;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        alice = node.createUser("alice@example.test");
        org = node.createOrg("Acme", "free", alice);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void createdKeyWorksWithAllThreeHeaderFormsAndIsShownOnce() {
        JsonNode created = node.createKey(org, alice, "Claude Desktop");
        String key = created.path("key").asText();
        assertThat(key).startsWith("gk_live_").matches("gk_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}");
        assertThat(created.path("masked").asText()).isEqualTo(key.substring(0, 12) + "…" + key.substring(key.length() - 4));

        for (Map<String, String> headers : List.of(Map.of("Authorization", "Bearer " + key),
                Map.of("Authorization", "ApiKey " + key), Map.of("authorization", "bearer " + key),
                Map.of("X-API-Key", key))) {
            Http.Response r = node.http.send("GET", "/v1/whoami", headers, null);
            assertThat(r.status()).as(headers.keySet().toString()).isEqualTo(200);
            assertThat(r.json().path("credential_id").asText()).isEqualTo(created.path("id").asText());
        }

        String id = created.path("id").asText();
        Http.Response get = node.http.get("/v1/keys/" + id, node.adminKey);
        Http.Response list = node.http.get("/v1/keys?organization_id=" + org, node.adminKey);
        assertThat(get.text()).doesNotContain(key).doesNotContain(key.substring(12, 40));
        assertThat(list.text()).doesNotContain(key).contains(created.path("masked").asText());
        assertThat(get.json().has("key")).isFalse();
    }

    @Test
    void lastUsedTimeAndAddressAreRecordedInBatches() throws InterruptedException {
        JsonNode created = node.createKey(org, alice, "usage");
        String key = created.path("key").asText();
        Instant before = Instant.now().minusSeconds(1);
        for (int i = 0; i < 5; i++) {
            assertThat(node.whoami(key).status()).isEqualTo(200);
        }
        JsonNode seen = waitFor(() -> node.http.get("/v1/keys/" + created.path("id").asText(), node.adminKey).json(),
                k -> k.path("use_count").asLong() == 5);
        assertThat(Instant.parse(seen.path("last_used_at").asText())).isAfter(before);
        assertThat(seen.path("last_used_ip").asText()).isEqualTo("127.0.0.1");
    }

    @Test
    void revokedKeyIsRefusedAtOnce() {
        JsonNode created = node.createKey(org, alice, "to revoke");
        String key = created.path("key").asText();
        assertThat(node.whoami(key).status()).isEqualTo(200);
        JsonNode revoked = ok(node.http.post("/v1/keys/" + created.path("id").asText() + "/revoke", node.adminKey, null), 200);
        assertThat(revoked.path("state").asText()).isEqualTo("revoked");
        Http.Response r = node.whoami(key);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.reason()).isEqualTo("revoked");
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("unauthorized");
    }

    @Test
    void renewGivesANewSecretAndKillsTheOldOneNow() {
        JsonNode created = node.createKey(org, alice, "to renew");
        String old = created.path("key").asText();
        JsonNode renewed = ok(node.http.post("/v1/keys/" + created.path("id").asText() + "/renew", node.adminKey, null), 201);
        String fresh = renewed.path("key").asText();
        assertThat(fresh).isNotEqualTo(old);
        assertThat(renewed.path("rolled_from").asText()).isEqualTo(created.path("id").asText());
        assertThat(renewed.path("name").asText()).isEqualTo("to renew");
        assertThat(node.whoami(old).reason()).isEqualTo("revoked");
        assertThat(node.whoami(fresh).status()).isEqualTo(200);
    }

    @Test
    void rollKeepsTheOldSecretForTheGracePeriodThenItExpires() throws InterruptedException {
        JsonNode created = node.createKey(org, alice, "to roll");
        String old = created.path("key").asText();
        JsonNode rolled = ok(node.http.post("/v1/keys/" + created.path("id").asText() + "/roll", node.adminKey,
                Map.of("grace_seconds", 2)), 201);
        String fresh = rolled.path("key").asText();
        assertThat(node.whoami(old).status()).isEqualTo(200);
        assertThat(node.whoami(fresh).status()).isEqualTo(200);
        Thread.sleep(2_200);
        Http.Response r = node.whoami(old);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.reason()).isEqualTo("expired");
        assertThat(node.whoami(fresh).status()).isEqualTo(200);
    }

    @Test
    void deletedKeyStopsWorkingAndLeavesTheList() {
        JsonNode created = node.createKey(org, alice, "to delete");
        String id = created.path("id").asText();
        assertThat(node.http.send("DELETE", "/v1/keys/" + id, TestNode.auth(node.adminKey), null).status()).isEqualTo(204);
        assertThat(node.whoami(created.path("key").asText()).reason()).isEqualTo("revoked");
        assertThat(node.http.get("/v1/keys?organization_id=" + org, node.adminKey).text()).doesNotContain(id);
        assertThat(node.http.get("/v1/keys/" + id, node.adminKey).status()).isEqualTo(404);
    }

    @Test
    void expiryPresetsDatesAndTheOrganizationMaximum() {
        JsonNode in30 = node.createKey(Map.of("organization_id", org, "user_id", alice, "name", "30d", "expires", "30d"));
        Instant at = Instant.parse(in30.path("expires_at").asText());
        assertThat(Duration.between(Instant.now(), at)).isBetween(Duration.ofDays(29), Duration.ofDays(30));
        JsonNode never = node.createKey(Map.of("organization_id", org, "user_id", alice, "name", "n", "expires", "never"));
        assertThat(never.path("expires_at").isNull()).isTrue();
        Http.Response past = node.http.post("/v1/keys", node.adminKey,
                Map.of("organization_id", org, "user_id", alice, "name", "p", "expires_at", "2020-01-01"));
        assertThat(past.status()).isEqualTo(400);

        String capped = node.createOrg("Capped", "free", alice);
        ok(node.http.send("PATCH", "/v1/orgs/" + capped, TestNode.auth(node.adminKey), Map.of("max_key_lifetime_days", 90)), 200);
        JsonNode dflt = node.createKey(capped, alice, "default");
        assertThat(Duration.between(Instant.now(), Instant.parse(dflt.path("expires_at").asText())))
                .isBetween(Duration.ofDays(89), Duration.ofDays(90));
        Http.Response tooLong = node.http.post("/v1/keys", node.adminKey,
                Map.of("organization_id", capped, "user_id", alice, "name", "x", "expires", "365d"));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.text()).contains("90 days");
        Http.Response forever = node.http.post("/v1/keys", node.adminKey,
                Map.of("organization_id", capped, "user_id", alice, "name", "x", "expires", "never"));
        assertThat(forever.status()).isEqualTo(400);
    }

    @Test
    void oneKeyPerUserOrganizationsRenewOnCreate() {
        String single = node.createOrg("Profundis-like", "free", alice);
        ok(node.http.send("PATCH", "/v1/orgs/" + single, TestNode.auth(node.adminKey), Map.of("one_key_per_user", true)), 200);
        String first = node.createKey(single, alice, "first").path("key").asText();
        String second = node.createKey(single, alice, "second").path("key").asText();
        assertThat(node.whoami(first).reason()).isEqualTo("revoked");
        assertThat(node.whoami(second).status()).isEqualTo(200);
        JsonNode list = node.http.get("/v1/keys?organization_id=" + single, node.adminKey).json().path("data");
        assertThat(list).filteredOn(k -> k.path("state").asText().equals("active")).hasSize(1);
    }

    @Test
    void importedKeysWorkWithTheirOwnPrefixAndLegacyKeysCanBeRevoked() throws Exception {
        String plaintext = "sk-live-per-" + "Zx9".repeat(10) + "legacyImport";
        String legacy = "pmcp_" + "0123456789abcdef".repeat(3);
        JsonNode imported = ok(node.http.post("/v1/keys/import", node.adminKey, Map.of("keys", List.of(
                Map.of("sha256", sha256(plaintext), "prefix", "sk-live-per-", "last4", "port", "name", "from old system",
                        "organization_id", org, "user_id", alice, "workspaces", "*", "permissions", List.of("api:read")),
                Map.of("sha256", sha256(legacy), "prefix", "pmcp_", "name", "legacy token", "kind", "legacy",
                        "organization_id", org, "user_id", alice)))), 201);
        assertThat(imported.path("data")).hasSize(2);
        assertThat(imported.toString()).doesNotContain(plaintext);

        Http.Response who = node.whoami(plaintext);
        assertThat(who.status()).isEqualTo(200);
        assertThat(TestNode.texts(who.json().path("permissions"))).containsExactly("api:read");
        Http.Response legacyWho = node.whoami(legacy);
        assertThat(legacyWho.json().path("credential_kind").asText()).isEqualTo("legacy_key");

        assertThat(node.whoami("sk-live-per-" + "Zx9".repeat(10) + "somethingElse").reason()).isEqualTo("unknown");
        assertThat(node.whoami("zz_nobody_knows_this_prefix_000000").reason()).isEqualTo("malformed");

        String legacyId = imported.path("data").get(1).path("id").asText();
        assertThat(node.http.post("/v1/keys/" + legacyId + "/renew", node.adminKey, null).status()).isEqualTo(409);
        ok(node.http.post("/v1/keys/" + legacyId + "/revoke", node.adminKey, null), 200);
        assertThat(node.whoami(legacy).reason()).isEqualTo("revoked");
    }

    @Test
    void legacyKeysCannotBeCreatedThroughTheApi() {
        Http.Response r = node.http.post("/v1/keys", node.adminKey,
                Map.of("organization_id", org, "user_id", alice, "name", "x", "kind", "legacy"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("error").path("message").asText()).contains("kind");
    }

    @Test
    void verifyEndpointReturnsIdentityAndScopeOrTheReason() {
        String ws = node.createWorkspace(org, "Research");
        node.addToWorkspace(ws, alice);
        JsonNode created = node.createKey(Map.of("organization_id", org, "user_id", alice, "name", "scoped",
                "workspaces", List.of(ws), "permissions", Map.of("mcps", List.of("srv_a"))));
        String key = created.path("key").asText();
        JsonNode ok = ok(node.http.post("/v1/keys/verify", node.adminKey, Map.of("key", key, "server", "srv_a")), 200);
        assertThat(ok.path("valid").asBoolean()).isTrue();
        assertThat(ok.path("user_id").asText()).isEqualTo(alice);
        assertThat(TestNode.texts(ok.path("workspaces"))).containsExactly(ws);
        assertThat(TestNode.texts(ok.path("servers"))).containsExactly("srv_a");

        JsonNode denied = ok(node.http.post("/v1/keys/verify", node.adminKey, Map.of("key", key, "server", "srv_b")), 200);
        assertThat(denied.path("valid").asBoolean()).isFalse();
        assertThat(denied.path("error").path("reason").asText()).isEqualTo("out_of_scope");

        Http.Response notAllowed = node.http.post("/v1/keys/verify", key, Map.of("key", key));
        assertThat(notAllowed.status()).isEqualTo(403);
        assertThat(notAllowed.json().path("error").path("code").asText()).isEqualTo("insufficient_scope");
    }

    static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    static <T> T waitFor(java.util.function.Supplier<T> read, java.util.function.Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        T value = read.get();
        while (!done.test(value) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            value = read.get();
        }
        assertThat(done.test(value)).as("condition met within 10 s; last value %s", value).isTrue();
        return value;
    }
}
