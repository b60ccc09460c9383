package io.gatehouse.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.util.JSONObjectUtils;
import com.nimbusds.openid.connect.sdk.rp.ApplicationType;
import com.nimbusds.openid.connect.sdk.rp.OIDCClientMetadata;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.edge.Fetch;
import io.gatehouse.edge.Upstreams;
import io.gatehouse.http.Json;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.store.Database;
import io.gatehouse.store.Ids;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.function.BiFunction;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;

/**
 * Every way a client becomes known: open dynamic registration (RFC 7591), client ID metadata
 * documents (a URL as {@code client_id}, read from that URL), and registration by an operator.
 *
 * <p><b>Dynamic registration</b> gives public clients only: a client that asks for
 * {@code client_secret_post} or {@code _basic} (Claude's connector does) is registered with
 * {@code none}, and told so in the answer, rather than refused. Redirect URIs Gatehouse does not
 * accept are left out as long as one remains (Cursor sends three at once). Identical registrations
 * get the same {@code client_id} back (Claude registers again on every connect), and a registration
 * nobody used for {@code oauth.registration-ttl} is removed.
 *
 * <p><b>Metadata documents</b> are read through the edge's {@link Fetch} (public addresses only
 * unless configured, 5 s, 16 KiB, no redirects), kept as long as their {@code Cache-Control} says
 * (5 minutes to a day), never when they fail. The document's {@code client_id} must be its URL
 * exactly. When a well-known vendor's document cannot be read (Claude's answers some datacenter
 * addresses with a challenge page), the copy shipped with Gatehouse is used.
 */
public final class Clients {
    private static final Logger LOG = Logger.getLogger(Clients.class.getName());
    private static final int MAX_DOCUMENT_BYTES = 16 * 1024;
    private static final Duration MIN_FRESH = Duration.ofMinutes(5);
    private static final Duration MAX_FRESH = Duration.ofDays(1);
    private static final Duration DEFAULT_FRESH = Duration.ofHours(1);
    private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])max-age=(\\d{1,9})");
    private final Database db;
    private final GatehouseConfig.OAuth config;
    private final Redirects redirects;
    private final Clock clock;
    private final Map<String, JsonNode> builtIn;
    private final Cache<String, Fresh> documents = Caffeine.newBuilder().maximumSize(10_000).build();
    private final Cache<String, Optional<OAuthClient>> registered = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(1)).build();
    /** Documents that could not be read: not asked for again for a minute (never cached as valid). */
    private final Cache<String, Boolean> failed = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(1)).build();
    private volatile Fetcher fetcher;
    /** New (not repeated) registrations per address and hour, on this node. */
    static final int NEW_REGISTRATIONS_PER_HOUR = 100;
    private final Cache<String, java.util.concurrent.atomic.AtomicInteger> newRegistrations = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofHours(1)).maximumSize(100_000).build();

    /** Reads a document: the target and path to GET. */
    public interface Fetcher {
        Fetch.Fetched get(URI url) throws IOException;
    }

    private record Fresh(OAuthClient client, Instant until) {
    }

    /** A registration's outcome: the client, and whether an identical one existed already. */
    public record Registered(OAuthClient client, boolean existing, Optional<String> scope) {
    }

    public Clients(Database db, GatehouseConfig.OAuth config, Clock clock) {
        this.db = db;
        this.config = config;
        this.redirects = new Redirects(config.redirectSchemes());
        this.clock = clock;
        this.builtIn = loadBuiltIn();
    }

    /** The edge's fetcher, once the edge runs (it starts after the control plane). */
    public void useFetcher(Fetch fetch, BiFunction<URI, Boolean, Upstreams.Target> target) {
        this.fetcher = url -> {
            String path = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
            try {
                return fetch.get(target.apply(url, config.metadataPrivateAddresses()), path, MAX_DOCUMENT_BYTES,
                        Duration.ofSeconds(5)).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw cause instanceof IOException io ? io : new IOException(String.valueOf(cause), cause);
            }
        };
    }

    Redirects redirects() {
        return redirects;
    }

    /**
     * The client {@code clientId} names, if Gatehouse knows it or can read its metadata document.
     *
     * @throws OAuthError {@code invalid_client} when a metadata document is named and cannot be used
     */
    public Optional<OAuthClient> find(String clientId, String address) {
        if (clientId == null || clientId.isEmpty() || clientId.length() > 512) {
            return Optional.empty(); // longer than any client id Gatehouse stores
        }
        if (clientId.startsWith("https://")) {
            return config.metadataDocuments() ? Optional.of(fromDocument(clientId, address)) : Optional.empty();
        }
        // Registered clients are read on every token request: kept a minute (a removal on this node
        // drops it at once; on another, within the minute, while its grants are revoked at once).
        return registered.get(clientId, id -> db.withHandle(h -> h.createQuery(
                        "SELECT * FROM oauth_clients WHERE id = :id AND revoked_at IS NULL")
                .bind("id", id).map((rs, ctx) -> client(rs)).findOne()));
    }

    /** The client as stored, without reading any document (the management API's view). */
    public Optional<OAuthClient> stored(String clientId) {
        return db.withHandle(h -> h.createQuery("SELECT * FROM oauth_clients WHERE id = :id AND revoked_at IS NULL")
                .bind("id", clientId).map((rs, ctx) -> client(rs)).findOne());
    }

    /** Notes that a client was used, so that sweeping keeps it. */
    void touch(Handle h, String clientId) {
        h.createUpdate("UPDATE oauth_clients SET last_used_at = :now WHERE id = :id")
                .bind("now", clock.millis()).bind("id", clientId).execute();
    }

    /**
     * Registers a public client from an RFC 7591 request.
     *
     * @throws OAuthError {@code invalid_client_metadata} or {@code invalid_redirect_uri} (RFC 7591 §3.2.2)
     */
    public Registered register(byte[] body, String address) {
        // Redirect URIs first, by Gatehouse's policy: the ones it cannot use are left out, so that one
        // odd URI among several (Cursor sends three) does not fail the whole registration.
        JsonNode raw = readTree(body);
        if (raw == null || !raw.isObject()) {
            throw new OAuthError(400, "invalid_client_metadata", "The registration is not a JSON object");
        }
        List<String> sent = new ArrayList<>();
        raw.path("redirect_uris").forEach(n -> sent.add(n.asText()));
        if (sent.isEmpty()) {
            throw new OAuthError(400, "invalid_redirect_uri", "redirect_uris is required: at least one");
        }
        if (sent.size() > 20) {
            throw new OAuthError(400, "invalid_redirect_uri", "At most 20 redirect URIs");
        }
        List<String> kept = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (String uri : sent) {
            String why = uri.length() > 2048 ? "is too long" : redirects.refusal(uri);
            if (why == null) {
                if (!kept.contains(uri)) {
                    kept.add(uri);
                }
            } else {
                refused.add(Scopes.printable(uri) + " " + why);
            }
        }
        if (kept.isEmpty()) {
            throw new OAuthError(400, "invalid_redirect_uri", "No redirect URI can be used: " + String.join("; ", refused));
        }
        com.fasterxml.jackson.databind.node.ObjectNode checked = ((com.fasterxml.jackson.databind.node.ObjectNode) raw)
                .deepCopy();
        checked.putArray("redirect_uris").addAll(kept.stream().map(Json.MAPPER.getNodeFactory()::textNode).toList());
        OIDCClientMetadata metadata;
        try {
            metadata = OIDCClientMetadata.parse(JSONObjectUtils.parse(checked.toString()));
        } catch (ParseException e) {
            throw new OAuthError(400, "invalid_client_metadata", "The registration is not valid client metadata: "
                    + Scopes.printable(String.valueOf(e.getMessage())));
        }
        Optional<String> scope;
        try {
            scope = Optional.ofNullable(metadata.getScope()).map(Object::toString)
                    .filter(s -> !s.isBlank()).map(s -> Scopes.format(Scopes.parse(s, config.defaultScopes())));
        } catch (OAuthError e) {
            throw new OAuthError(400, "invalid_client_metadata", e.description());
        }
        String name = Optional.ofNullable(metadata.getName()).map(Clients::shown).filter(n -> !n.isEmpty())
                .map(n -> n.length() > 200 ? n.substring(0, 200) : n).orElse("Unnamed application");
        String applicationType = metadata.getApplicationType() != null && raw.has("application_type")
                ? metadata.getApplicationType().toString()
                : kept.stream().allMatch(u -> Redirects.isLoopback(u) || !u.startsWith("http")) ? "native" : "web";
        if (metadata.getApplicationType() == ApplicationType.WEB && raw.has("application_type")
                && kept.stream().allMatch(Redirects::isLoopback)) {
            applicationType = "native"; // a loopback-only client is a native app, whatever it says
        }
        Optional<String> clientUri = Optional.ofNullable(metadata.getURI()).map(URI::toString)
                .filter(u -> u.startsWith("https://") && u.length() <= 2048);
        String fingerprint = sha256(name + "\n" + String.join(" ", new TreeSet<>(kept)) + "\n" + applicationType + "\n"
                + scope.orElse("") + "\n" + clientUri.orElse(""));
        Instant now = clock.instant();
        String finalType = applicationType;
        return db.inTransaction(h -> {
            Optional<OAuthClient> same = h.createQuery("SELECT * FROM oauth_clients WHERE fingerprint = :f "
                            + "AND kind = 'dynamic' AND revoked_at IS NULL ORDER BY created_at LIMIT 1")
                    .bind("f", fingerprint).map((rs, ctx) -> client(rs)).findOne();
            if (same.isPresent()) {
                return new Registered(same.get(), true, scope);
            }
            // New registrations only are counted: a client registering again (Claude does, on every
            // connect) is answered from the row above, so a shared egress address is not held back.
            countNewClient(address);
            OAuthClient client = new OAuthClient(Ids.next("gh_client"), OAuthClient.Kind.DYNAMIC, name, kept,
                    finalType, "none", Optional.empty(), clientUri, now, scope.map(Scopes::split));
            insert(h, client, scope, Optional.of(fingerprint), null);
            return new Registered(client, false, scope);
        });
    }

    /** An operator's client: confidential when {@code secretHash} is given. */
    OAuthClient registerByOperator(Handle h, String name, List<String> redirectUris, Optional<String> secretHash,
                                   String authMethod, String createdBy) {
        for (String uri : redirectUris) {
            String why = redirects.refusal(uri);
            if (why != null) {
                throw new OAuthError(400, "invalid_redirect_uri", Scopes.printable(uri) + " " + why);
            }
        }
        OAuthClient client = new OAuthClient(Ids.next("gh_client"), OAuthClient.Kind.ADMIN, name, redirectUris,
                redirectUris.stream().allMatch(Redirects::isLoopback) ? "native" : "web", authMethod, secretHash,
                Optional.empty(), clock.instant(), Optional.empty());
        insert(h, client, Optional.empty(), Optional.empty(), createdBy);
        return client;
    }

    /** Every client Gatehouse knows, newest first (metadata documents as last read). */
    public List<OAuthClient> all() {
        return db.withHandle(h -> h.createQuery("SELECT * FROM oauth_clients WHERE revoked_at IS NULL "
                + "ORDER BY created_at DESC").map((rs, ctx) -> client(rs)).list());
    }

    /**
     * Removes a client (a metadata document's is forgotten until it is named again); returns the ids of
     * the live grants people gave it, for the caller to revoke.
     */
    List<String> remove(String clientId) {
        documents.invalidate(clientId);
        registered.invalidate(clientId);
        return db.inTransaction(h -> {
            h.createUpdate("UPDATE oauth_clients SET revoked_at = :now WHERE id = :id")
                    .bind("now", clock.millis()).bind("id", clientId).execute();
            return h.createQuery("SELECT id FROM oauth_grants WHERE client_id = :id AND revoked_at IS NULL")
                    .bind("id", clientId).mapTo(String.class).list();
        });
    }

    /**
     * A client's name as a person may be shown it: no control or format characters (a right-to-left
     * override would let "Claude" be spelled backwards into something else), spaces collapsed.
     */
    static String shown(String name) {
        return name.replaceAll("[\\p{Cc}\\p{Cf}\\p{Co}\\p{Cn}]", "").replaceAll("\\s+", " ").strip();
    }

    /** Removes dynamic registrations nobody used for {@code oauth.registration-ttl} and that no grant names. */
    public int sweep() {
        long before = clock.instant().minus(config.registrationTtl()).toEpochMilli();
        int swept = db.withHandle(h -> h.createUpdate("DELETE FROM oauth_clients WHERE kind IN ('dynamic', 'metadata') "
                        + "AND COALESCE(last_used_at, created_at) < :before "
                        + "AND NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.client_id = oauth_clients.id "
                        + "AND g.revoked_at IS NULL)")
                .bind("before", before).execute());
        registered.invalidateAll();
        return swept;
    }

    /** One more new client from {@code address} (IPv6 by /64) this hour: 429 past {@link #NEW_REGISTRATIONS_PER_HOUR}. */
    private void countNewClient(String address) {
        if (newRegistrations.get(RequestInfo.counted(address), a -> new java.util.concurrent.atomic.AtomicInteger())
                .incrementAndGet() > NEW_REGISTRATIONS_PER_HOUR) {
            throw OAuthError.slowDown("Too many new clients from this address; try again later", 3600);
        }
    }

    private OAuthClient fromDocument(String url, String address) {
        Fresh fresh = documents.getIfPresent(url);
        Instant now = clock.instant();
        if (fresh != null && fresh.until().isAfter(now)) {
            return fresh.client();
        }
        String why = documentUrlRefusal(url);
        if (why != null) {
            throw OAuthError.invalidClient("The client_id " + Scopes.printable(url) + " " + why);
        }
        if (failed.getIfPresent(url) != null) {
            throw OAuthError.invalidClient("The client metadata document at " + Scopes.printable(url)
                    + " could not be read a moment ago; try again in a minute");
        }
        // A document never read here before is a new client, as a registration is, and counted with
        // them: each costs a fetch and a row, so an address may not name thousands of made-up ones.
        if (fresh == null && stored(url).isEmpty()) {
            countNewClient(address);
        }
        Fetch.Fetched fetched = null;
        String failure;
        try {
            if (fetcher == null) {
                throw new IOException("Gatehouse is starting");
            }
            fetched = fetcher.get(URI.create(url));
            failure = fetched.status() == 200 ? null : "answered " + fetched.status();
        } catch (IOException | RuntimeException e) {
            // Which way it failed (refused, no answer, a TLS error) stays in the log: told to a stranger,
            // it would map who listens where.
            LOG.info(() -> "client metadata document " + url + " could not be read: " + e.getMessage());
            failure = "could not be read";
        }
        JsonNode document;
        Duration freshFor;
        if (failure == null) {
            document = parseDocument(fetched.body());
            freshFor = freshness(fetched.headers().get("Cache-Control"));
        } else if (builtIn.containsKey(url)) {
            LOG.info(() -> "client metadata document " + url + " could not be read; using the copy shipped with Gatehouse");
            document = builtIn.get(url);
            freshFor = MIN_FRESH;
        } else {
            failed.put(url, Boolean.TRUE);
            throw OAuthError.invalidClient("The client metadata document at " + Scopes.printable(url) + " "
                    + Scopes.printable(failure));
        }
        OAuthClient client = documentClient(url, document);
        documents.put(url, new Fresh(client, now.plus(freshFor)));
        // Kept so that grants can name it; several nodes may read the same document at once.
        int updated = db.withHandle(h -> h.createUpdate("UPDATE oauth_clients SET name = :name, redirect_uris = :uris, "
                        + "application_type = :type, client_uri = :uri, fetched_at = :now, fresh_until = :until, "
                        + "revoked_at = NULL WHERE id = :id")
                .bind("name", client.name()).bind("uris", String.join(" ", client.redirectUris()))
                .bind("type", client.applicationType()).bind("uri", client.clientUri().orElse(null))
                .bind("now", now.toEpochMilli()).bind("until", now.plus(freshFor).toEpochMilli()).bind("id", url)
                .execute());
        if (updated == 0) {
            try {
                db.withHandle(h -> {
                    insert(h, client, Optional.empty(), Optional.empty(), null);
                    return null;
                });
            } catch (org.jdbi.v3.core.statement.UnableToExecuteStatementException raced) {
                if (stored(url).isEmpty()) {
                    throw raced; // not another node storing it first: a real failure
                }
            }
        }
        return client;
    }

    private static JsonNode parseDocument(byte[] body) {
        try {
            JsonNode node = readTree(body);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException();
            }
            return node;
        } catch (RuntimeException e) {
            throw OAuthError.invalidClient("The client metadata document is not a JSON object");
        }
    }

    /** A document's client, checked as CIMD §4 and §6 ask. */
    private OAuthClient documentClient(String url, JsonNode doc) {
        if (!url.equals(doc.path("client_id").asText(null))) {
            throw OAuthError.invalidClient("The client metadata document's client_id is not its URL");
        }
        String method = doc.path("token_endpoint_auth_method").asText("none");
        boolean publicAllowed = method.equals("none") || method.equals("private_key_jwt");
        if (!publicAllowed || doc.has("client_secret")) {
            throw OAuthError.invalidClient("A client metadata document may not use a shared secret ("
                    + Scopes.printable(method) + ")");
        }
        List<String> uris = new ArrayList<>();
        doc.path("redirect_uris").forEach(n -> {
            if (n.isTextual() && n.asText().length() <= 2048 && redirects.refusal(n.asText()) == null
                    && uris.size() < 20) {
                uris.add(n.asText());
            }
        });
        if (uris.isEmpty()) {
            throw OAuthError.invalidClient("The client metadata document has no redirect URI this server accepts");
        }
        String name = shown(doc.path("client_name").asText(""));
        if (name.isEmpty()) {
            name = URI.create(url).getHost();
        }
        if (name.length() > 200) {
            name = name.substring(0, 200);
        }
        String type = doc.path("application_type").asText(
                uris.stream().allMatch(Redirects::isLoopback) ? "native" : "web");
        Optional<String> clientUri = Optional.ofNullable(doc.path("client_uri").asText(null))
                .filter(u -> u.startsWith("https://") && u.length() <= 2048);
        return new OAuthClient(url, OAuthClient.Kind.METADATA, name, uris, type.equals("native") ? "native" : "web",
                "none", Optional.empty(), clientUri, clock.instant(), Optional.empty());
    }

    /** Why a URL cannot be a metadata document's client_id (CIMD §3); null when it can. */
    static String documentUrlRefusal(String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            return "is not a URL";
        }
        if (!"https".equals(u.getScheme()) || u.getHost() == null) {
            return "is not an https URL";
        }
        String path = u.getRawPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return "has no path";
        }
        if (u.getRawFragment() != null || u.getRawUserInfo() != null) {
            return "has a fragment or user information";
        }
        for (String segment : path.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return "has dot segments";
            }
        }
        return null;
    }

    static Duration freshness(String cacheControl) {
        if (cacheControl == null) {
            return DEFAULT_FRESH;
        }
        String cc = cacheControl.toLowerCase(Locale.ROOT);
        if (cc.contains("no-store") || cc.contains("no-cache")) {
            return MIN_FRESH;
        }
        Matcher m = MAX_AGE.matcher(cc);
        if (!m.find()) {
            return DEFAULT_FRESH;
        }
        Duration d = Duration.ofSeconds(Long.parseLong(m.group(1)));
        return d.compareTo(MIN_FRESH) < 0 ? MIN_FRESH : d.compareTo(MAX_FRESH) > 0 ? MAX_FRESH : d;
    }

    private void insert(Handle h, OAuthClient c, Optional<String> scope, Optional<String> fingerprint, String createdBy) {
        h.createUpdate("INSERT INTO oauth_clients (id, kind, name, redirect_uris, application_type, auth_method, "
                        + "secret_hash, scope, client_uri, fingerprint, created_at, created_by) VALUES (:id, :kind, "
                        + ":name, :uris, :type, :method, :secret, :scope, :uri, :fp, :at, :by)")
                .bind("id", c.id()).bind("kind", c.kind().wire()).bind("name", c.name())
                .bind("uris", String.join(" ", c.redirectUris())).bind("type", c.applicationType())
                .bind("method", c.authMethod()).bind("secret", c.secretHash().orElse(null))
                .bind("scope", scope.orElse(null)).bind("uri", c.clientUri().orElse(null))
                .bind("fp", fingerprint.orElse(null)).bind("at", c.createdAt().toEpochMilli()).bind("by", createdBy)
                .execute();
    }

    private static OAuthClient client(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new OAuthClient(rs.getString("id"),
                OAuthClient.Kind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT)), rs.getString("name"),
                List.of(rs.getString("redirect_uris").split(" ")), rs.getString("application_type"),
                rs.getString("auth_method"), Optional.ofNullable(rs.getString("secret_hash")),
                Optional.ofNullable(rs.getString("client_uri")), Instant.ofEpochMilli(rs.getLong("created_at")),
                Optional.ofNullable(rs.getString("scope")).map(Scopes::split));
    }

    /** What a registration answers (RFC 7591 §3.2.1). */
    static Map<String, Object> registrationAnswer(Registered r) {
        OAuthClient c = r.client();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("client_id", c.id());
        out.put("client_id_issued_at", c.createdAt().getEpochSecond());
        out.put("client_name", c.name());
        out.put("redirect_uris", c.redirectUris());
        out.put("grant_types", List.of("authorization_code", "refresh_token"));
        out.put("response_types", List.of("code"));
        out.put("token_endpoint_auth_method", "none");
        out.put("application_type", c.applicationType());
        r.scope().ifPresent(s -> out.put("scope", s));
        c.clientUri().ifPresent(u -> out.put("client_uri", u));
        return out;
    }

    private static Map<String, JsonNode> loadBuiltIn() {
        try (InputStream in = Clients.class.getResourceAsStream("/oauth/known-clients.json")) {
            if (in == null) {
                throw new IllegalStateException("oauth/known-clients.json is missing from the jar");
            }
            Map<String, JsonNode> out = new HashMap<>();
            Json.MAPPER.readTree(in).forEach(n -> out.put(n.path("client_id").asText(), n));
            return Map.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode readTree(byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new OAuthError(400, "invalid_client_metadata", "The body is not JSON");
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
