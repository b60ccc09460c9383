package io.gatehouse.keys;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.Logging;
import io.gatehouse.store.Database;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestDatabase;
import io.gatehouse.testing.TestNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * No plaintext key, nor its random part, is ever written anywhere but the one answer that issues
 * it: not to the log at DEBUG, not to any column of any table, not to list, get or audit answers.
 * A node runs at DEBUG with every log record captured, goes through a key's whole life — create,
 * use with every header form, verify, list, roll, renew, revoke, import, failed attempts, an
 * invitation's token and the keys its acceptance leads to — and then
 * everything it wrote is searched for every plaintext that existed.
 */
class SecretHygieneIT {
    /** Every record the node logged, formatted as the operator would see it, stack traces included. */
    static final List<Captured> LOG = new CopyOnWriteArrayList<>();
    static final Handler CAPTURE = new Handler() {
        private final Formatter formatter = new Formatter() {
            @Override
            public String format(LogRecord r) {
                return r.getLevel() + " " + r.getLoggerName() + ": " + formatMessage(r);
            }
        };

        @Override
        public void publish(LogRecord r) {
            StringBuilder text = new StringBuilder(formatter.format(r));
            if (r.getParameters() != null) {
                text.append(" params=").append(Arrays.deepToString(r.getParameters()));
            }
            if (r.getThrown() != null) {
                StringWriter sw = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(sw));
                text.append('\n').append(sw);
            }
            LOG.add(new Captured(r.getLevel(), r.getLoggerName(), text.toString()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    record Captured(Level level, String logger, String text) {
    }

    static TestNode node;
    static String org;
    static String alice;
    /** Every plaintext key that existed during the run, with where it came from. */
    static final Map<String, String> PLAINTEXTS = new LinkedHashMap<>();
    /** Key ids whose stored hash must be the SHA-256 of a known plaintext. */
    static final Map<String, String> PLAINTEXT_BY_ID = new LinkedHashMap<>();
    static String importedId;
    static String importedSha;
    static String deletedId;

    @BeforeAll
    static void runAKeyThroughItsLife() throws Exception {
        Logging.configure("DEBUG");
        CAPTURE.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(CAPTURE);

        node = TestNode.start(Map.of("log.level", "DEBUG"));
        remember("bootstrap admin key", node.adminKey);
        alice = node.createUser("alice@example.test");
        org = node.createOrg("Acme", "free", alice);
        String ws = node.createWorkspace(org, "Research");
        node.addToWorkspace(ws, alice);

        // create
        JsonNode created = node.createKey(Map.of("organization_id", org, "user_id", alice, "name", "hygiene",
                "workspaces", List.of(ws)));
        String first = issued("created", created);
        String firstId = created.path("id").asText();

        // use, with all three header forms (and the lower-case scheme)
        for (Map<String, String> headers : headerForms(first)) {
            assertThat(node.http.send("GET", "/v1/whoami", headers, null).status()).as(headers.keySet().toString())
                    .isEqualTo(200);
        }
        // verify
        JsonNode verified = ok(node.http.post("/v1/keys/verify", node.adminKey, Map.of("key", first)), 200);
        assertThat(verified.path("valid").asBoolean()).isTrue();
        JsonNode outOfScope = ok(node.http.post("/v1/keys/verify", node.adminKey,
                Map.of("key", first, "workspace", "ws_elsewhere")), 200);
        assertThat(outOfScope.path("valid").asBoolean()).isFalse();

        // failed attempts: a bad checksum and a changed random character of a real key
        String badChecksum = flip(first, first.length() - 1);
        String badRandom = flip(first, 12);
        for (String bad : List.of(badChecksum, badRandom)) {
            for (Map<String, String> headers : headerForms(bad)) {
                Http.Response r = node.http.send("GET", "/v1/whoami", headers, null);
                assertThat(r.status()).isEqualTo(401);
                assertThat(r.reason()).isEqualTo("malformed");
            }
            JsonNode v = ok(node.http.post("/v1/keys/verify", node.adminKey, Map.of("key", bad)), 200);
            assertThat(v.path("valid").asBoolean()).isFalse();
        }
        remember("bad-checksum variant", badChecksum);
        remember("bad-random variant", badRandom);
        // a well-formed key nobody issued
        String stranger = new KeyFormat("gk_live_").generate();
        remember("well-formed unknown key", stranger);
        assertThat(node.whoami(stranger).reason()).isEqualTo("unknown");
        // disagreeing headers carrying two real keys
        Http.Response twoKeys = node.http.send("GET", "/v1/whoami",
                Map.of("Authorization", "Bearer " + first, "X-API-Key", node.adminKey), null);
        assertThat(twoKeys.reason()).isEqualTo("malformed");
        // a real key used where it is not enough (403 insufficient scope at DEBUG)
        assertThat(node.http.get("/v1/audit", first).status()).isEqualTo(403);

        // list and get
        ok(node.http.get("/v1/keys?organization_id=" + org, node.adminKey), 200);
        ok(node.http.get("/v1/keys/" + firstId, node.adminKey), 200);
        // A key pasted where an id goes, on both planes: the path is logged, the key is not.
        assertThat(node.http.get("/v1/keys/" + first, node.adminKey).status()).isEqualTo(404);
        assertThat(node.http.send("POST", "/mcp/" + first, Map.of("Authorization", "Bearer " + first), Map.of())
                .status()).isEqualTo(404);

        // roll: the old secret keeps working for the grace period
        JsonNode rolled = ok(node.http.post("/v1/keys/" + firstId + "/roll", node.adminKey,
                Map.of("grace_seconds", 3600)), 201);
        String second = issued("rolled", rolled);
        String secondId = rolled.path("id").asText();
        assertThat(node.whoami(first).status()).isEqualTo(200);
        assertThat(node.whoami(second).status()).isEqualTo(200);

        // renew: the old secret stops at once
        JsonNode renewed = ok(node.http.post("/v1/keys/" + secondId + "/renew", node.adminKey, null), 201);
        String third = issued("renewed", renewed);
        String thirdId = renewed.path("id").asText();
        assertThat(node.whoami(third).status()).isEqualTo(200);
        for (Map<String, String> headers : headerForms(second)) {
            Http.Response r = node.http.send("GET", "/v1/whoami", headers, null);
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.reason()).isEqualTo("revoked");
        }

        // revoke, then the failed attempts with the revoked key
        ok(node.http.post("/v1/keys/" + thirdId + "/revoke", node.adminKey, null), 200);
        for (Map<String, String> headers : headerForms(third)) {
            Http.Response r = node.http.send("GET", "/v1/whoami", headers, null);
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.reason()).isEqualTo("revoked");
        }
        JsonNode revokedVerify = ok(node.http.post("/v1/keys/verify", node.adminKey, Map.of("key", third)), 200);
        assertThat(revokedVerify.path("error").path("reason").asText()).isEqualTo("revoked");

        // an invitation: its token, the first key acceptance gives, and a key that key makes of its own
        JsonNode invitation = ok(node.http.post("/v1/orgs/" + org + "/invitations", node.adminKey,
                Map.of("email", "invitee@example.test")), 201);
        String token = invitation.path("token").asText();
        remember("invitation token", token);
        ok(node.http.get("/v1/orgs/" + org + "/invitations", node.adminKey), 200);
        JsonNode accepted = ok(node.http.send("POST", "/v1/invitations/accept", Map.of(), Map.of("token", token)), 201);
        String firstKey = issued("first key of an invitation", accepted.path("key"));
        issued("made by its owner", ok(node.http.post("/v1/me/keys", firstKey, Map.of("name", "own")), 201));
        assertThat(node.http.send("POST", "/v1/invitations/accept", Map.of(), Map.of("token", token)).status())
                .isEqualTo(409);

        // a key made and deleted
        JsonNode doomed = node.createKey(org, alice, "to delete");
        issued("created then deleted", doomed);
        deletedId = doomed.path("id").asText();
        assertThat(node.http.send("DELETE", "/v1/keys/" + deletedId, TestNode.auth(node.adminKey), null)
                .status()).isEqualTo(204);

        // import by SHA-256, then use the imported plaintext
        String imported = "sk-hyg-" + randomBase62(32);
        remember("imported", imported);
        importedSha = sha256(imported);
        JsonNode importAnswer = ok(node.http.post("/v1/keys/import", node.adminKey, Map.of("keys", List.of(Map.of(
                "sha256", importedSha, "prefix", "sk-hyg-", "last4", imported.substring(imported.length() - 4),
                "name", "from the old system", "organization_id", org, "user_id", alice)))), 201);
        importedId = importAnswer.path("data").get(0).path("id").asText();
        for (Map<String, String> headers : headerForms(imported)) {
            assertThat(node.http.send("GET", "/v1/whoami", headers, null).status()).isEqualTo(200);
        }
        assertThat(ok(node.http.post("/v1/keys/verify", node.adminKey, Map.of("key", imported)), 200)
                .path("valid").asBoolean()).isTrue();
        String importedTypo = imported.substring(0, imported.length() - 1) + (imported.endsWith("A") ? "B" : "A");
        remember("imported-prefix typo", importedTypo);
        assertThat(node.whoami(importedTypo).reason()).isEqualTo("unknown");

        // let the usage flusher write what it noted (it runs every 200 ms in tests)
        Thread.sleep(600);

        // A person's OAuth journey: a password, a session, a code, access and refresh tokens.
        io.gatehouse.oauth.OAuthSteps steps = new io.gatehouse.oauth.OAuthSteps(node);
        JsonNode joined = steps.signUp("ada@hygiene.test", "Hygiene");
        remember("a password chosen at an invitation", io.gatehouse.oauth.OAuthSteps.PASSWORD);
        remember("the first key of an OAuth person", joined.path("key").path("key").asText());
        String callback = "http://127.0.0.1:45001/cb";
        String clientId = steps.register(Map.of("client_name", "Hygiene", "redirect_uris", List.of(callback)));
        io.gatehouse.testing.Person browser = new io.gatehouse.testing.Person(node.server.publicUrl());
        String verifier = "h".repeat(60);
        java.net.URI back = steps.signInAndApprove(browser, steps.authorizeUrl(clientId, callback, verifier, "s", null),
                "ada@hygiene.test");
        browser.cookies().forEach((name, value) -> {
            if (name.contains("session")) {
                remember("a session cookie", value);
            }
        });
        String code = io.gatehouse.testing.Person.query(back).get("code").getFirst();
        remember("an authorization code", code);
        JsonNode tokens = TestNode.ok(steps.token(Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", callback, "client_id", clientId, "code_verifier", verifier)), 200);
        remember("an access token", tokens.path("access_token").asText());
        remember("a refresh token", tokens.path("refresh_token").asText());
        node.whoami(tokens.path("access_token").asText());
        JsonNode refreshed = TestNode.ok(steps.token(Map.of("grant_type", "refresh_token",
                "refresh_token", tokens.path("refresh_token").asText(), "client_id", clientId)), 200);
        remember("a rotated access token", refreshed.path("access_token").asText());
        remember("a rotated refresh token", refreshed.path("refresh_token").asText());
        steps.token(Map.of("grant_type", "authorization_code", "code", code, "redirect_uri", callback,
                "client_id", clientId, "code_verifier", verifier)); // a replay, refused and logged
        steps.post("/oauth/revoke", Map.of(), Map.of("token", refreshed.path("refresh_token").asText(),
                "client_id", clientId));
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            if (node != null) {
                node.close();
            }
        } finally {
            Logger.getLogger("").removeHandler(CAPTURE);
            // Back to the JVM's default configuration, as it was before Logging.configure reset it.
            LogManager.getLogManager().readConfiguration();
        }
    }

    // --- (0) the test can fail: logs are really at DEBUG and really captured --------------------

    @Test
    void theLogIsReallyAtDebugAndCaptured() {
        assertThat(Logger.getLogger("").getLevel()).isEqualTo(Level.FINE);
        assertThat(LOG).as("FINE records of 4xx details from the error renderer")
                .anyMatch(c -> c.level() == Level.FINE && c.logger().equals(io.gatehouse.http.Errors.class.getName()));
        assertThat(LOG).as("the door's refusals are logged with their reasons at DEBUG")
                .anyMatch(c -> c.level() == Level.FINE && c.text().contains("unauthorized/revoked"))
                .anyMatch(c -> c.level() == Level.FINE && c.text().contains("unauthorized/malformed"));
        assertThat(LOG).as("the access log names the credential id, so the scan reads real lines")
                .anyMatch(c -> c.logger().equals("gatehouse.access") && c.text().contains(PLAINTEXT_BY_ID.keySet().iterator().next()));
        assertThat(PLAINTEXTS).hasSizeGreaterThanOrEqualTo(9);
    }

    // --- (a) logs ------------------------------------------------------------------------------

    @Test
    void noPlaintextOrRandomPartInAnyLogLine() {
        List<String> leaks = new ArrayList<>();
        for (Captured c : LOG) {
            for (Map.Entry<String, String> p : PLAINTEXTS.entrySet()) {
                for (String secret : secretParts(p.getKey())) {
                    if (c.text().contains(secret)) {
                        leaks.add(p.getValue() + " in " + c.level() + " " + c.logger() + ": " + firstLine(c.text()));
                    }
                }
            }
        }
        assertThat(leaks).as("log lines carrying a secret (of %d captured)", LOG.size()).isEmpty();
    }

    // --- (b) the database ------------------------------------------------------------------------

    @Test
    void noPlaintextOrRandomPartInAnyRowOfAnyTable() {
        Database db = node.server.services().db();
        Map<String, List<Map<String, Object>>> dump = db.withHandle(h -> {
            String listTables = TestDatabase.isPostgres()
                    ? "SELECT table_name FROM information_schema.tables WHERE table_schema='public' AND table_type='BASE TABLE'"
                    : "SELECT name FROM sqlite_master WHERE type='table'";
            List<String> tables = h.createQuery(listTables).mapTo(String.class).list();
            Map<String, List<Map<String, Object>>> out = new LinkedHashMap<>();
            for (String table : tables) {
                out.put(table, h.createQuery("SELECT * FROM \"" + table.replace("\"", "\"\"") + "\"").mapToMap().list());
            }
            return out;
        });
        assertThat(dump.keySet()).as("the scan sees the tables that matter")
                .contains("api_keys", "audit_events", "users", "organizations", "key_import_prefixes");
        assertThat(dump.get("api_keys")).as("every key made, rolled, renewed, deleted and imported")
                .hasSizeGreaterThanOrEqualTo(5);
        assertThat(dump.get("audit_events")).isNotEmpty();

        List<String> leaks = new ArrayList<>();
        Set<String> allText = new LinkedHashSet<>();
        dump.forEach((table, rows) -> {
            for (Map<String, Object> row : rows) {
                row.forEach((column, value) -> {
                    for (String text : asText(value)) {
                        allText.add(text);
                        for (Map.Entry<String, String> p : PLAINTEXTS.entrySet()) {
                            for (String secret : secretParts(p.getKey())) {
                                if (text.contains(secret)) {
                                    leaks.add(p.getValue() + " in " + table + "." + column);
                                }
                            }
                        }
                    }
                });
            }
        });
        assertThat(leaks).isEmpty();
        // The scan reads real values: the first key's hash and display prefix are there.
        String first = PLAINTEXT_BY_ID.values().iterator().next();
        assertThat(allText).contains(sha256Unchecked(first), first.substring(0, 12));
    }

    // --- (c) answers -----------------------------------------------------------------------------

    @Test
    void noPlaintextInListGetOrAuditAnswers() {
        List<String> paths = new ArrayList<>(List.of("/v1/keys?organization_id=" + org, "/v1/keys?user_id=" + alice,
                "/v1/keys", "/v1/audit", "/v1/audit?organization_id=" + org, "/v1/audit?limit=1000", "/v1/users",
                "/v1/users/" + alice, "/v1/orgs", "/v1/orgs/" + org, "/v1/orgs/" + org + "/members", "/v1/whoami"));
        PLAINTEXT_BY_ID.keySet().forEach(id -> paths.add("/v1/keys/" + id));
        paths.add("/v1/keys/" + importedId);
        List<String> leaks = new ArrayList<>();
        for (String path : paths) {
            Http.Response r = node.http.get(path, node.adminKey);
            assertThat(r.status()).as("%s: %s", path, r.text()).isEqualTo(path.endsWith(deletedId) ? 404 : 200);
            for (Map.Entry<String, String> p : PLAINTEXTS.entrySet()) {
                for (String secret : secretParts(p.getKey())) {
                    if (r.text().contains(secret)) {
                        leaks.add(p.getValue() + " in GET " + path);
                    }
                }
            }
        }
        assertThat(leaks).isEmpty();
        JsonNode audit = node.http.get("/v1/audit?organization_id=" + org, node.adminKey).json().path("data");
        assertThat(audit.size()).as("the audit log recorded the life of the keys").isGreaterThanOrEqualTo(6);
    }

    // --- (d) what is stored is the hash --------------------------------------------------------

    @Test
    void theStoredSecretHashIsTheSha256OfThePlaintext() throws Exception {
        Map<String, String> stored = node.server.services().db().withHandle(h -> {
            Map<String, String> out = new LinkedHashMap<>();
            h.createQuery("SELECT id, secret_hash FROM api_keys").map((rs, ctx) ->
                    out.put(rs.getString("id"), rs.getString("secret_hash"))).list();
            return out;
        });
        assertThat(PLAINTEXT_BY_ID).hasSizeGreaterThanOrEqualTo(4);
        for (Map.Entry<String, String> k : PLAINTEXT_BY_ID.entrySet()) {
            assertThat(stored.get(k.getKey())).as("secret_hash of %s", k.getKey())
                    .isEqualTo(sha256(k.getValue()))
                    .matches("[0-9a-f]{64}")
                    .isNotEqualTo(k.getValue());
        }
        assertThat(stored.get(importedId)).as("an imported key is stored by the SHA-256 it came with").isEqualTo(importedSha);
    }

    // --- beyond the lifecycle: a key sent where it does not belong ------------------------------

    /**
     * A client that forgets the quotes sends {@code {"key": gk_live_…}}: the body is refused as
     * invalid JSON, and the parser's message (which quotes the offending token) must not carry the
     * key into the DEBUG log.
     */
    @Test
    void aKeyInABodyThatIsNotJsonStaysOutOfTheLog() {
        String key = node.createKey(org, alice, "probe: unquoted").path("key").asText();
        int before = LOG.size();
        Http.Response r = node.http.post("/v1/keys/verify", node.adminKey, "{\"key\": " + key + "}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("error").path("reason").asText()).isEqualTo("invalid_json");
        assertThat(r.text()).doesNotContain(key);
        // A snapshot first: the access log line may be appended by the edge while this reads, and a
        // sub-list view of a CopyOnWriteArrayList fails on any later append.
        List<Captured> all = List.copyOf(LOG);
        List<Captured> lines = all.subList(before, all.size());
        assertThat(lines).as("the refusal is logged at DEBUG").anyMatch(c -> c.level() == Level.FINE);
        assertThat(lines).as("log lines of the refusal").noneMatch(c -> secretParts(key).stream().anyMatch(c.text()::contains));
    }

    /**
     * A client that confuses a key's secret with its id asks for {@code GET /v1/keys/gk_live_…}: a
     * 404, and the access log (INFO) and error log (DEBUG) must not record the secret with the path.
     */
    @Test
    void aKeyPastedIntoThePathStaysOutOfTheLog() {
        String key = node.createKey(org, alice, "probe: in the path").path("key").asText();
        int before = LOG.size();
        Http.Response r = node.http.get("/v1/keys/" + key, node.adminKey);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.text()).doesNotContain(key);
        // A snapshot first: the access log line may be appended by the edge while this reads, and a
        // sub-list view of a CopyOnWriteArrayList fails on any later append.
        List<Captured> all = List.copyOf(LOG);
        List<Captured> lines = all.subList(before, all.size());
        assertThat(lines).as("the request is logged").isNotEmpty();
        assertThat(lines).as("log lines of the request").noneMatch(c -> secretParts(key).stream().anyMatch(c.text()::contains));
    }

    // --- helpers --------------------------------------------------------------------------------

    /** Records the plaintext of an answer that issued a key. */
    static String issued(String how, JsonNode answer) {
        String key = answer.path("key").asText();
        assertThat(key).startsWith("gk_live_");
        remember(how, key);
        PLAINTEXT_BY_ID.put(answer.path("id").asText(), key);
        return key;
    }

    static void remember(String how, String plaintext) {
        PLAINTEXTS.put(plaintext, how);
    }

    /** The whole plaintext and, for our own format, its 32-character random part. */
    static List<String> secretParts(String plaintext) {
        List<String> parts = new ArrayList<>(List.of(plaintext));
        if (plaintext.startsWith("gk_live_") && plaintext.length() >= 40) {
            parts.add(plaintext.substring(8, 40));
        } else if (plaintext.startsWith("sk-hyg-") || plaintext.startsWith("gh_inv_")) {
            parts.add(plaintext.substring(7));
        } else if (plaintext.matches("gh_(at|rt|ac)_.*") && plaintext.length() >= 38) {
            parts.add(plaintext.substring(6, 38)); // the random part of a code or token
        }
        return parts;
    }

    static List<Map<String, String>> headerForms(String key) {
        return List.of(Map.of("Authorization", "Bearer " + key), Map.of("Authorization", "ApiKey " + key),
                Map.of("authorization", "bearer " + key), Map.of("X-API-Key", key));
    }

    static List<String> asText(Object value) {
        if (value == null) {
            return List.of();
        }
        if (value instanceof byte[] bytes) {
            return List.of(new String(bytes, StandardCharsets.UTF_8), HexFormat.of().formatHex(bytes));
        }
        return List.of(String.valueOf(value));
    }

    static String flip(String key, int index) {
        char c = key.charAt(index);
        return key.substring(0, index) + (c == 'A' ? 'B' : 'A') + key.substring(index + 1);
    }

    static String firstLine(String text) {
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl) + " …";
    }

    static String randomBase62(int n) {
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(io.gatehouse.store.Ids.BASE62.charAt(random.nextInt(62)));
        }
        return sb.toString();
    }

    static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    static String sha256Unchecked(String s) {
        try {
            return sha256(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
