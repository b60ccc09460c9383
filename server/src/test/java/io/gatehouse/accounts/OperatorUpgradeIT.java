package io.gatehouse.accounts;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.keys.KeyFormat;
import io.gatehouse.keys.KeyHasher;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestDatabase;
import io.gatehouse.testing.TestNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The upgrade to operator keys, on a database left as the attack of issue 11 left it (schema V3): the
 * key {@code admin init} issued, and its renewal, become operator keys; the key Globex's admin minted
 * for the administrator is revoked; one the administrator made for themselves in Globex keeps working
 * there as a member's key, with no instance power left.
 */
class OperatorUpgradeIT {
    private static final KeyFormat FORMAT = new KeyFormat("gk_live_");
    private static final KeyHasher HASHER = new KeyHasher(Optional.empty());

    @Test
    void adminInitKeysBecomeOperatorKeysAndEveryOtherKeyLosesInstancePowers() {
        Path dir = TestNode.tempDir();
        Map<String, String> settings = new HashMap<>(TestDatabase.settings(dir));
        Flyway.configure().dataSource(settings.get("database.url"), settings.get("database.user"),
                settings.get("database.password")).locations("classpath:db/migration").target("3").load().migrate();
        String adminKey = FORMAT.generate();
        String minted = FORMAT.generate();
        String aliceKey = FORMAT.generate();
        String renewedAdmin = FORMAT.generate();
        String ownInGlobex = FORMAT.generate();
        Jdbi v3 = settings.containsKey("database.user")
                ? Jdbi.create(settings.get("database.url"), settings.get("database.user"), settings.get("database.password"))
                : Jdbi.create(settings.get("database.url"));
        v3.useHandle(h -> {
            user(h, "usr_admin", "admin@old.test", 1);
            user(h, "usr_gus", "gus@globex.test", 0);
            user(h, "usr_alice", "alice@acme.test", 0);
            org(h, "org_ops", "Operators");
            org(h, "org_globex", "Globex");
            org(h, "org_acme", "Acme");
            member(h, "org_ops", "usr_admin", "owner");
            member(h, "org_globex", "usr_gus", "owner");
            member(h, "org_globex", "usr_admin", "member"); // step 2 of the attack
            member(h, "org_acme", "usr_alice", "owner");
            key(h, "key_admin", "org_ops", "usr_admin", null, "admin:read admin:write keys:verify api:* mcp:*", adminKey);
            // the admin init key renewed once through the API: a successor of an operator key is one too
            key(h, "key_admin2", "org_ops", "usr_admin", "usr_admin", "admin:read admin:write keys:verify api:* mcp:*",
                    renewedAdmin);
            h.execute("UPDATE api_keys SET rolled_from = 'key_admin' WHERE id = 'key_admin2'");
            key(h, "key_own", "org_globex", "usr_admin", "usr_admin", "api:* mcp:*", ownInGlobex);
            key(h, "key_minted", "org_globex", "usr_admin", "usr_gus", "admin:read admin:write keys:verify", minted);
            key(h, "key_alice", "org_acme", "usr_alice", "usr_admin", "api:* mcp:*", aliceKey);
            h.execute("INSERT INTO audit_events (id, at, org_id, actor_user_id, actor_credential_id, action, target_type, "
                    + "target_id, ip, request_id, detail) VALUES ('evt_1', 1, 'org_globex', 'usr_admin', 'key_admin', "
                    + "'organization.created', 'organization', 'org_globex', '10.0.0.1', 'r1', '{}')");
        });

        try (TestNode node = TestNode.startWith(dir, settings, false)) {
            JsonNode admin = ok(node.whoami(adminKey), 200);
            assertThat(admin.path("credential_kind").asText()).isEqualTo("operator");
            assertThat(admin.path("operator").asBoolean()).isTrue();
            assertThat(node.http.get("/v1/orgs/org_acme", adminKey).status()).isEqualTo(200);
            assertThat(ok(node.http.get("/v1/keys/key_admin", adminKey), 200).path("kind").asText()).isEqualTo("operator");

            assertThat(ok(node.whoami(renewedAdmin), 200).path("credential_kind").asText()).isEqualTo("operator");

            // the key Globex's admin minted for the administrator is revoked by the upgrade
            Http.Response mintedWho = node.whoami(minted);
            assertThat(mintedWho.status()).isEqualTo(401);
            assertThat(mintedWho.reason()).isEqualTo("revoked");
            assertThat(ok(node.http.get("/v1/keys/key_minted", adminKey), 200).path("revoked_reason").asText())
                    .isEqualTo("upgrade");
            // one the administrator made for themselves in Globex works on, as a member's key there
            JsonNode own = ok(node.whoami(ownInGlobex), 200);
            assertThat(own.path("operator").asBoolean()).isFalse();
            assertThat(own.path("role").asText()).isEqualTo("member");
            assertThat(node.http.get("/v1/orgs/org_acme", ownInGlobex).status()).isEqualTo(403);
            assertThat(node.http.post("/v1/keys/verify", ownInGlobex, Map.of("key", aliceKey)).status()).isEqualTo(403);
            Http.Response plan = node.http.send("PATCH", "/v1/orgs/org_acme", TestNode.auth(ownInGlobex),
                    Map.of("plan", "enterprise"));
            assertThat(plan.status()).isEqualTo(403);

            assertThat(ok(node.whoami(aliceKey), 200).path("credential_kind").asText()).isEqualTo("api_key");
            JsonNode user = ok(node.http.get("/v1/users/usr_admin", adminKey), 200);
            assertThat(user.path("operator").asBoolean()).isTrue();
            assertThat(user.path("kind").asText()).isEqualTo("person");

            String gusKey = node.createKey("org_globex", "usr_gus", "gus").path("key").asText();
            ok(node.http.send("PATCH", "/v1/orgs/org_globex", TestNode.auth(adminKey), Map.of("name", "Globex")), 200);
            JsonNode events = ok(node.http.get("/v1/audit", node.createKey(Map.of("organization_id", "org_globex",
                    "user_id", "usr_gus", "name", "audit", "permissions", java.util.List.of("admin:read"))).path("key")
                    .asText()), 200).path("data");
            assertThat(events.toString()).doesNotContain("usr_admin").doesNotContain("10.0.0.1");
            assertThat(events).allSatisfy(e -> assertThat(e.path("actor").asText()).isEqualTo("operator"));
            assertThat(gusKey).isNotBlank();
        }
    }

    private static void user(Handle h, String id, String email, int admin) {
        h.createUpdate("INSERT INTO users (id, email, instance_admin, created_at) VALUES (:id, :email, :admin, 1)")
                .bind("id", id).bind("email", email).bind("admin", admin).execute();
    }

    private static void org(Handle h, String id, String name) {
        h.createUpdate("INSERT INTO organizations (id, name, plan, created_at) VALUES (:id, :name, 'free', 1)")
                .bind("id", id).bind("name", name).execute();
    }

    private static void member(Handle h, String org, String user, String role) {
        h.createUpdate("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (:org, :user, :role, 1)")
                .bind("org", org).bind("user", user).bind("role", role).execute();
    }

    private static void key(Handle h, String id, String org, String user, String createdBy, String permissions,
                            String plaintext) {
        h.createUpdate("INSERT INTO api_keys (id, org_id, user_id, name, kind, secret_hash, display_prefix, last4, "
                        + "scope_workspaces, scope_servers, permissions, created_at, created_by) VALUES (:id, :org, :user, "
                        + ":name, 'standard', :hash, :display, :last4, '*', '*', :perms, 1, :by)")
                .bind("id", id).bind("org", org).bind("user", user).bind("name", id).bind("hash", HASHER.hash(plaintext))
                .bind("display", FORMAT.displayPrefix(plaintext)).bind("last4", plaintext.substring(plaintext.length() - 4))
                .bind("perms", permissions).bind("by", createdBy).execute();
    }
}
