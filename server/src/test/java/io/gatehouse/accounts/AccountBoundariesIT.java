package io.gatehouse.accounts;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import io.gatehouse.testing.TestNode.Person;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.auth;
import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A hostile organization admin, tried the way issue 11 found the holes: two organizations, Acme and
 * Globex, each with an owner who holds a managing key; Globex's owner tries to reach past Globex.
 * Each test is one attack, refused; together they pin the rule that no credential reaches past its
 * own organization nor obtains one owned by another person, and that instance powers come from
 * operator keys alone.
 */
class AccountBoundariesIT {
    static TestNode node;
    static Person alice;   // owner of Acme
    static Person gus;     // owner of Globex, the attacker; tests that change an organization make their own

    @BeforeAll
    static void start() {
        node = TestNode.start();
        alice = node.owner("alice@acme.test", "Acme", "free");
        gus = node.owner("gus@globex.test", "Globex", "free");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void attack1AuditShowsTheOperatorAsOperatorNeverByUserId() {
        JsonNode events = ok(node.http.get("/v1/audit", gus.key()), 200).path("data");
        assertThat(events).isNotEmpty();
        assertThat(events.toString()).doesNotContain(node.adminUserId);
        JsonNode created = find(events, "organization.created");
        assertThat(created.path("actor").asText()).isEqualTo("operator");
        assertThat(created.path("actor_user_id").isNull()).isTrue();
        assertThat(created.path("actor_credential_id").isNull()).isTrue();
        // gus's own acts show gus
        JsonNode joined = find(events, "invitation.accepted");
        assertThat(joined.path("actor_user_id").asText()).isEqualTo(gus.userId());
        // the operator still sees who did what
        JsonNode all = ok(node.http.get("/v1/audit?organization_id=" + gus.orgId(), node.adminKey), 200).path("data");
        assertThat(find(all, "organization.created").path("actor_user_id").asText()).isEqualTo(node.adminUserId);
    }

    @Test
    void attack2AnAdminCannotAddAnExistingUserToTheirOrganization() {
        for (String victim : List.of(node.adminUserId, alice.userId())) {
            Http.Response r = node.http.send("PUT", "/v1/orgs/" + gus.orgId() + "/members/" + victim, auth(gus.key()),
                    Map.of("role", "member"));
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.reason()).isEqualTo("invitation_required");
        }
        JsonNode members = ok(node.http.get("/v1/orgs/" + gus.orgId() + "/members", gus.key()), 200).path("data");
        assertThat(members).hasSize(1);
        assertThat(members.get(0).path("user_id").asText()).isEqualTo(gus.userId());
    }

    @Test
    void attack3AnAdminCannotMintAKeyOwnedByTheOperator() {
        Person hal = node.owner("hal@initech.test", "Initech", "free");
        Http.Response r = node.http.post("/v1/keys", hal.key(), Map.of("name", "root", "user_id", node.adminUserId,
                "organization_id", hal.orgId(), "permissions", List.of("admin:read", "admin:write", "keys:verify")));
        // not a member here: answered exactly as an id that names nobody, so that ids elsewhere cannot be probed
        Http.Response nobody = node.http.post("/v1/keys", hal.key(), Map.of("name", "root", "user_id", "usr_nobody",
                "organization_id", hal.orgId()));
        assertThat(r.status()).isEqualTo(404);
        assertThat(nobody.status()).isEqualTo(404);
        assertThat(r.json().path("error").path("message").asText()).isEqualTo(nobody.json().path("error").path("message").asText());

        // Even once the operator's user is a member of Initech (an operator may add them), Initech's admin
        // still cannot make a key of theirs, and a key the operator's user makes there has no instance power.
        ok(node.http.send("PUT", "/v1/orgs/" + hal.orgId() + "/members/" + node.adminUserId, auth(node.adminKey),
                Map.of("role", "admin")), 200);
        r = node.http.post("/v1/keys", hal.key(), Map.of("name", "root", "user_id", node.adminUserId,
                "organization_id", hal.orgId(), "permissions", List.of("admin:read", "admin:write")));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.reason()).isEqualTo("not_own_key");

        String operatorsInitechKey = node.createKey(Map.of("organization_id", hal.orgId(), "user_id", node.adminUserId,
                "name", "in Initech", "permissions", List.of("admin:read", "admin:write", "api:*", "mcp:*"))).path("key").asText();
        JsonNode who = ok(node.whoami(operatorsInitechKey), 200);
        assertThat(who.path("operator").asBoolean()).isFalse();
        assertThat(who.path("credential_kind").asText()).isEqualTo("api_key");
        assertThat(who.path("role").asText()).isEqualTo("admin");
        assertThat(node.http.get("/v1/orgs/" + alice.orgId(), operatorsInitechKey).status()).isEqualTo(404);
        Http.Response plan = node.http.send("PATCH", "/v1/orgs/" + hal.orgId(), auth(operatorsInitechKey),
                Map.of("plan", "enterprise"));
        assertThat(plan.status()).isEqualTo(403);
        assertThat(plan.reason()).isEqualTo("not_operator");
        Http.Response instanceServer = node.http.post("/v1/servers", operatorsInitechKey, Map.of("name", "x", "slug",
                "initech-x", "upstream_url", "http://127.0.0.1:9/mcp"));
        assertThat(instanceServer.status()).isEqualTo(403);
        assertThat(instanceServer.reason()).isEqualTo("not_operator");
        Http.Response internal = node.http.post("/v1/servers", operatorsInitechKey, Map.of("name", "x", "slug",
                "initech-internal", "upstream_url", "http://169.254.169.254/mcp", "organization_id", hal.orgId()));
        assertThat(internal.status()).isEqualTo(400);
        assertThat(internal.reason()).isEqualTo("upstream_not_allowed");
        assertThat(ok(node.http.get("/v1/users", operatorsInitechKey), 200).toString()).doesNotContain(alice.userId());
        ok(node.http.send("DELETE", "/v1/orgs/" + hal.orgId() + "/members/" + node.adminUserId, auth(node.adminKey), null), 204);
    }

    @Test
    void attack4AnAdminCannotMintAKeyForAPersonOfAnotherOrganization() {
        Person ivy = node.owner("ivy@umbrella.test", "Umbrella", "free");
        Http.Response r = node.http.post("/v1/keys", ivy.key(), Map.of("name", "alice?", "user_id", alice.userId(),
                "organization_id", ivy.orgId()));
        assertThat(r.status()).isEqualTo(404);
        r = node.http.post("/v1/keys", ivy.key(), Map.of("name", "in Acme", "user_id", alice.userId(),
                "organization_id", alice.orgId()));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.reason()).isEqualTo("other_organization");

        // Not even once Alice has joined Umbrella herself: a person's keys are made by that person.
        Person aliceInUmbrella = node.accept(node.invite(ivy.key(), ivy.orgId(), alice.email(), "member"), alice.key());
        r = node.http.post("/v1/keys", ivy.key(), Map.of("name", "alice's", "user_id", alice.userId(),
                "organization_id", ivy.orgId()));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.reason()).isEqualTo("not_own_key");
        // Ivy may list and revoke her Umbrella key, never read its secret, renew or roll it.
        JsonNode listed = ok(node.http.get("/v1/keys?user_id=" + alice.userId(), ivy.key()), 200).path("data");
        assertThat(listed).hasSize(1);
        assertThat(listed.toString()).doesNotContain(aliceInUmbrella.key());
        Http.Response renew = node.http.post("/v1/keys/" + aliceInUmbrella.keyId() + "/renew", ivy.key(), null);
        assertThat(renew.status()).isEqualTo(403);
        assertThat(renew.reason()).isEqualTo("not_own_key");
        Http.Response roll = node.http.post("/v1/keys/" + aliceInUmbrella.keyId() + "/roll", ivy.key(),
                Map.of("grace_seconds", 60));
        assertThat(roll.status()).isEqualTo(403);
        ok(node.http.post("/v1/keys/" + aliceInUmbrella.keyId() + "/revoke", ivy.key(), null), 200);
        assertThat(node.whoami(aliceInUmbrella.key()).status()).isEqualTo(401);
        // and none of Acme's keys is hers to see
        assertThat(node.http.get("/v1/keys/" + alice.keyId(), ivy.key()).status()).isEqualTo(404);
        assertThat(node.http.get("/v1/keys?organization_id=" + alice.orgId(), ivy.key()).status()).isEqualTo(404);
    }

    @Test
    void onlyOperatorKeysCarryInstancePowers() {
        JsonNode who = ok(node.whoami(node.adminKey), 200);
        assertThat(who.path("credential_kind").asText()).isEqualTo("operator");
        assertThat(who.path("operator").asBoolean()).isTrue();
        JsonNode adminKey = ok(node.http.get("/v1/keys?user_id=" + node.adminUserId, node.adminKey), 200).path("data");
        assertThat(adminKey).anySatisfy(k -> assertThat(k.path("kind").asText()).isEqualTo("operator"));

        // keys:verify checks any key of the instance: an operator key's, never an organization's
        Http.Response standard = node.http.post("/v1/keys", node.adminKey, Map.of("name", "verifier", "organization_id",
                gus.orgId(), "user_id", gus.userId(), "permissions", List.of("keys:verify")));
        assertThat(standard.status()).isEqualTo(403);
        assertThat(standard.reason()).isEqualTo("not_operator");
        Http.Response asked = node.http.post("/v1/me/keys", gus.key(), Map.of("name", "op", "permissions",
                List.of("keys:verify")));
        assertThat(asked.status()).isEqualTo(403);
        Http.Response kind = node.http.post("/v1/keys", gus.key(), Map.of("name", "op", "kind", "operator"));
        assertThat(kind.status()).isEqualTo(403);
        assertThat(kind.reason()).isEqualTo("not_operator");

        // an operator issues a verify-only operator key: it verifies, and manages nothing
        JsonNode verifier = ok(node.http.post("/v1/keys", node.adminKey, Map.of("name", "verifier", "kind", "operator",
                "organization_id", node.adminOrgId, "permissions", List.of("keys:verify"))), 201);
        assertThat(verifier.path("kind").asText()).isEqualTo("operator");
        String v = verifier.path("key").asText();
        JsonNode verified = ok(node.http.post("/v1/keys/verify", v, Map.of("key", alice.key())), 200);
        assertThat(verified.path("valid").asBoolean()).isTrue();
        assertThat(node.http.get("/v1/orgs", v).status()).isEqualTo(403);
        assertThat(node.http.post("/v1/keys/verify", gus.key(), Map.of("key", alice.key())).status()).isEqualTo(403);
    }

    @Test
    void anOperatorIssuesOperatorKeysToAnotherPersonAndEveryActIsAudited() {
        Person ops = node.member(node.adminOrgId, "second-operator@ops.test", "admin");
        JsonNode issued = ok(node.http.post("/v1/keys", node.adminKey, Map.of("name", "second operator", "kind", "operator",
                "user_id", ops.userId(), "organization_id", node.adminOrgId,
                "permissions", List.of("admin:read", "admin:write"))), 201);
        String opKey = issued.path("key").asText();
        assertThat(ok(node.whoami(opKey), 200).path("operator").asBoolean()).isTrue();
        assertThat(ok(node.http.get("/v1/users/" + ops.userId(), node.adminKey), 200).path("operator").asBoolean()).isTrue();
        // the person's own standard key, even with keys:self, cannot renew their operator key
        Http.Response renew = node.http.post("/v1/keys/" + issued.path("id").asText() + "/renew", ops.key(), null);
        assertThat(renew.status()).isEqualTo(403);
        assertThat(renew.reason()).isEqualTo("not_operator");
        JsonNode events = ok(node.http.get("/v1/audit?organization_id=" + node.adminOrgId, node.adminKey), 200).path("data");
        JsonNode created = events.findParents("action").stream()
                .filter(e -> e.path("action").asText().equals("key.created")
                        && e.path("target_id").asText().equals(issued.path("id").asText()))
                .findFirst().orElseThrow();
        assertThat(created.path("actor").asText()).isEqualTo("operator");
        assertThat(created.path("detail").path("kind").asText()).isEqualTo("operator");
    }

    @Test
    void anAdminCannotLockOutTheOwnersNorTouchOperatorKeys() {
        Person kim = node.owner("kim@lock.test", "Lockout", "free");
        Person adminOfKim = node.member(kim.orgId(), "ad@lock.test", "admin");
        Http.Response revoke = node.http.post("/v1/keys/" + kim.keyId() + "/revoke", adminOfKim.key(), null);
        assertThat(revoke.status()).isEqualTo(403);
        assertThat(revoke.reason()).isEqualTo("not_owner");
        assertThat(node.http.send("DELETE", "/v1/keys/" + kim.keyId(), auth(adminOfKim.key()), null).status()).isEqualTo(403);
        assertThat(node.whoami(kim.key()).status()).isEqualTo(200);
        // an owner may
        Person admin2 = node.member(kim.orgId(), "ad2@lock.test", "admin");
        ok(node.http.post("/v1/keys/" + admin2.keyId() + "/revoke", kim.key(), null), 200);

        // an admin of the operators' organization neither sees nor revokes the operator's keys
        Person opsAdmin = node.member(node.adminOrgId, "ops-admin@ops.test", "admin");
        String operatorKeyId = ok(node.whoami(node.adminKey), 200).path("credential_id").asText();
        assertThat(node.http.get("/v1/keys/" + operatorKeyId, opsAdmin.key()).status()).isEqualTo(404);
        assertThat(node.http.post("/v1/keys/" + operatorKeyId + "/revoke", opsAdmin.key(), null).status()).isEqualTo(404);
        assertThat(ok(node.http.get("/v1/keys", opsAdmin.key()), 200).toString()).doesNotContain(operatorKeyId);
        assertThat(node.whoami(node.adminKey).status()).isEqualTo(200);
    }

    @Test
    void anOperatorKeyIsBoundByItsOwnPermissionsAndExpiry() {
        JsonNode narrow = ok(node.http.post("/v1/keys", node.adminKey, Map.of("name", "narrow operator", "kind", "operator",
                "organization_id", node.adminOrgId, "permissions", List.of("admin:read", "admin:write"),
                "expires", "30d")), 201);
        String k = narrow.path("key").asText();
        Http.Response wider = node.http.post("/v1/keys", k, Map.of("name", "x", "kind", "operator",
                "permissions", List.of("admin:write", "keys:verify")));
        assertThat(wider.status()).isEqualTo(403);
        assertThat(wider.reason()).isEqualTo("exceeds_reach");
        Http.Response forever = node.http.post("/v1/keys", k, Map.of("name", "x", "kind", "operator",
                "permissions", List.of("admin:read"), "expires", "never"));
        assertThat(forever.status()).isEqualTo(403);
        assertThat(forever.reason()).isEqualTo("exceeds_reach");
        JsonNode capped = ok(node.http.post("/v1/keys", k, Map.of("name", "x", "kind", "operator",
                "permissions", List.of("admin:read"))), 201);
        assertThat(capped.path("expires_at").asText()).isEqualTo(narrow.path("expires_at").asText());
        // a verify-only operator key makes no key at all
        String verifier = ok(node.http.post("/v1/keys", node.adminKey, Map.of("name", "v", "kind", "operator",
                "organization_id", node.adminOrgId, "permissions", List.of("keys:verify"))), 201).path("key").asText();
        assertThat(node.http.post("/v1/keys", verifier, Map.of("name", "x")).status()).isEqualTo(403);
    }

    @Test
    void aKeyScopedToSomeServersManagesThoseOnly() {
        Person lee = node.owner("lee@scoped.test", "Scoped", "free");
        for (String slug : List.of("lee-search", "lee-payroll")) {
            ok(node.http.post("/v1/servers", lee.key(), Map.of("name", slug, "slug", slug, "organization_id", lee.orgId(),
                    "upstream_url", "https://" + slug + ".example.com/mcp")), 201);
        }
        String scoped = ok(node.http.post("/v1/me/keys", lee.key(), Map.of("name", "search admin",
                "servers", List.of("lee-search"), "permissions", List.of("admin:read", "admin:write"))), 201)
                .path("key").asText();
        String payrollId = ok(node.http.get("/v1/servers", lee.key()), 200).path("data").findParents("slug").stream()
                .filter(s -> s.path("slug").asText().equals("lee-payroll")).findFirst().orElseThrow().path("id").asText();
        // moving the slug its scope names onto another server, or repointing that server, would widen its reach
        Http.Response repoint = node.http.send("PATCH", "/v1/servers/" + payrollId, auth(scoped),
                Map.of("slug", "lee-search"));
        assertThat(repoint.status()).isEqualTo(403);
        assertThat(repoint.reason()).isEqualTo("exceeds_reach");
        assertThat(node.http.send("DELETE", "/v1/servers/" + payrollId, auth(scoped), null).status()).isEqualTo(403);
        assertThat(node.http.post("/v1/servers", scoped, Map.of("name", "x", "slug", "lee-new", "organization_id",
                lee.orgId(), "upstream_url", "https://new.example.com/mcp")).status()).isEqualTo(403);
        String searchId = ok(node.http.get("/v1/servers", lee.key()), 200).path("data").findParents("slug").stream()
                .filter(s -> s.path("slug").asText().equals("lee-search")).findFirst().orElseThrow().path("id").asText();
        ok(node.http.send("PATCH", "/v1/servers/" + searchId, auth(scoped), Map.of("name", "Search")), 200);
    }

    @Test
    void anAdminSeesOnlyPeopleOfTheirOrganization() {
        JsonNode users = ok(node.http.get("/v1/users", gus.key()), 200).path("data");
        assertThat(users.toString()).contains(gus.userId()).doesNotContain(alice.userId()).doesNotContain(node.adminUserId);
        assertThat(node.http.get("/v1/users/" + alice.userId(), gus.key()).status()).isEqualTo(404);
        assertThat(node.http.get("/v1/users/" + node.adminUserId, gus.key()).status()).isEqualTo(404);
    }

    private static JsonNode find(JsonNode events, String action) {
        for (JsonNode e : events) {
            if (e.path("action").asText().equals(action)) {
                return e;
            }
        }
        throw new AssertionError("no " + action + " in " + events);
    }
}
