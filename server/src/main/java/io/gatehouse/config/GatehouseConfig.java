package io.gatehouse.config;

import io.gatehouse.limits.Rate;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The whole configuration: one immutable record tree, validated once at start. Every field states
 * its default; {@code docs/configuration.md} lists the same settings and is kept in step.
 *
 * @param http     the HTTP listener
 * @param database where data lives
 * @param dataDir  {@code data-dir}: directory for the embedded SQLite file; default {@code ./data}
 * @param keys     API key format and the verification cache
 * @param plans    plans by name and the plan of new organisations
 * @param logLevel {@code log.level}: ERROR, WARN, INFO or DEBUG; default INFO
 * @param secretKey {@code secret-key}: the node secret that seals stored secrets (signing keys, static upstream
 *                  credentials) and binds MCP sessions; at least 32 characters, the same on every node sharing a
 *                  database; default a random one kept in {@code <data-dir>/secret.key}
 * @param gateway  the proxy in front of upstream servers
 * @param oauth    the authorization server MCP clients sign people in with
 * @param signIn   how people sign in
 * @param credits  how the credit pool is run
 * @param rateLimits where rate limits are kept, and how nodes share them
 */
public record GatehouseConfig(Http http, Database database, Path dataDir, Keys keys, Plans plans, String logLevel,
                              Optional<String> secretKey, Gateway gateway, OAuth oauth, SignIn signIn,
                              Credits credits, RateLimits rateLimits) {

    /**
     * @param store        {@code rate-limits.store}: {@code database} (default: each node decides from
     *                     memory and shares what it admitted through the database every {@code sync}),
     *                     {@code memory} (each node alone: with N nodes, up to N times a limit) or
     *                     {@code redis} (one Valkey/Redis server decides every call, exactly)
     * @param sync         {@code rate-limits.sync}: how often a node shares with the others through the
     *                     database; default 200ms
     * @param redisUrl     {@code rate-limits.redis-url}: {@code redis://host:port/db} (or {@code rediss://}),
     *                     required for the redis store
     * @param redisTimeout {@code rate-limits.redis-timeout}: how long a call waits for Redis before its node
     *                     decides from its own memory instead; default 100ms
     */
    public record RateLimits(RateLimitStore store, Duration sync, Optional<String> redisUrl, Duration redisTimeout) {
        @Override
        public String toString() {
            return "RateLimits[store=" + store + ", sync=" + sync + ", redisUrl=" + (redisUrl.isPresent() ? "(set)"
                    : "(none)") + "]";
        }
    }

    public enum RateLimitStore {
        MEMORY, DATABASE, REDIS
    }

    /**
     * @param accessTokenTtl   {@code oauth.access-token-ttl}: lifetime of an access token; default 1h
     * @param refreshTokenTtl  {@code oauth.refresh-token-ttl}: lifetime of a refresh token (each rotation
     *                         starts a new one); default 30d
     * @param refreshGrace     {@code oauth.refresh-reuse-grace}: how long a rotated refresh token still works
     *                         (clients refresh in parallel, or retry after a lost answer); default 60s
     * @param codeTtl          {@code oauth.code-ttl}: lifetime of an authorization code; default 60s
     * @param registration     {@code oauth.registration}: {@code open} (RFC 7591, anyone may register a public
     *                         client; default) or {@code off}
     * @param registrationTtl  {@code oauth.registration-ttl}: a dynamic registration nobody used for this long is
     *                         removed; default 30d
     * @param redirectSchemes  {@code oauth.redirect-schemes}: private-use URI schemes a client may register
     *                         redirects on besides https and loopback http; default
     *                         {@code cursor,vscode,vscode-insiders,claude,windsurf}
     * @param defaultScopes    {@code oauth.default-scopes}: what a client that asks for no scope gets; default
     *                         {@code mcp:use}
     * @param metadataDocuments {@code oauth.client-metadata-documents}: accept URL client ids (CIMD); default true
     * @param metadataPrivateAddresses {@code oauth.client-metadata-private-addresses}: fetch metadata documents
     *                         from loopback, private and link-local addresses too (tests, closed networks);
     *                         default false
     * @param maxRefreshesPerMinute {@code oauth.max-refreshes-per-minute}: refreshes one grant may make a
     *                         minute, on each node (each writes two token rows); default 60, 0 for no limit
     */
    public record OAuth(Duration accessTokenTtl, Duration refreshTokenTtl, Duration refreshGrace, Duration codeTtl,
                        boolean registration, Duration registrationTtl, List<String> redirectSchemes,
                        List<String> defaultScopes, boolean metadataDocuments, boolean metadataPrivateAddresses,
                        int maxRefreshesPerMinute) {
    }

    /**
     * @param sessionTtl     {@code signin.session-ttl}: how long a browser session lasts; default 12h
     * @param local          {@code signin.local}: whether people may sign in with a password; default true
     * @param maxFailures    {@code signin.max-failures}: failed password attempts per account (and per address) in
     *                       15 minutes before sign-in is refused for the rest of them; default 10
     * @param providers      {@code signin.providers.<name>.issuer|client-id|client-secret|label|trust-email}: OpenID
     *                       providers; {@code google} knows its issuer, {@code microsoft} its label
     */
    public record SignIn(Duration sessionTtl, boolean local, int maxFailures, Map<String, Provider> providers) {
    }

    /**
     * An OpenID provider people may sign in with; {@code issuer} is read by OpenID discovery.
     * {@code trustEmail}: the operator vouches that every email this provider gives is its holder's
     * (a single-tenant directory of the company's own domain), for providers that never say
     * {@code email_verified} (Microsoft Entra ID).
     */
    public record Provider(String name, String label, URI issuer, String clientId, String clientSecret,
                           boolean trustEmail) {
    }

    /**
     * @param allowedOrigins {@code gateway.allowed-origins}: comma-separated browser origins allowed to call the
     *                       MCP and API routes besides this server's own origin and loopback origins; default none
     * @param assertionTtl   {@code gateway.assertion-ttl}: lifetime of the signed assertion sent upstream; default PT2M
     * @param privateUpstreams {@code gateway.private-upstreams}: which servers may have an upstream on a loopback,
     *                       private or link-local address: {@code instance} (default: instance-wide servers only,
     *                       registered by the operator; an organisation's own servers may not) or {@code any}
     * @param privateUpstreamRanges {@code gateway.private-upstream-ranges}: internal addresses an organisation's
     *                       servers may have all the same (comma-separated CIDR ranges); default none
     * @param upstreamCaFile {@code gateway.upstream-ca-file}: PEM certificates of the authorities that sign
     *                       {@code https} upstreams' certificates, trusted besides the JDK's own; default none
     * @param upstreamMaxIdle {@code gateway.upstream-max-idle}: connections kept open per upstream and
     *                        event loop for reuse; default 64
     * @param upstreamIdleTimeout {@code gateway.upstream-idle-timeout}: how long a kept upstream
     *                        connection may go unused (or less, if the upstream's Keep-Alive says so); default 20s
     */
    public record Gateway(List<String> allowedOrigins, Duration assertionTtl, PrivateUpstreams privateUpstreams,
                          List<AddressRange> privateUpstreamRanges, Optional<Path> upstreamCaFile, int upstreamMaxIdle,
                          Duration upstreamIdleTimeout) {
    }

    /** Who may point a server at an internal address (SSRF: an organisation must not reach the operator's network). */
    public enum PrivateUpstreams { INSTANCE, ANY }

    /**
     * @param host              {@code http.host}: address to bind; default {@code 127.0.0.1}
     * @param port              {@code http.port}: port; default 8080; 0 picks a free one
     * @param publicUrl         {@code http.public-url}: the URL clients use; default http://host:port
     * @param maxBodyBytes      {@code http.max-body-bytes}: largest request body; default 1048576
     * @param maxHeaderBytes    {@code http.max-header-bytes}: largest request head; default 16384
     * @param trustForwardedFor {@code http.trust-forwarded-for}: take the client address from
     *                          {@code X-Forwarded-For} (behind a proxy you run); default false
     * @param headTimeout       {@code http.head-timeout}: a request's head must arrive within this once
     *                          it began; default 5s
     * @param bodyTimeout       {@code http.body-timeout}: a request's body must arrive within this once
     *                          it is read; default 60s
     * @param idleTimeout       {@code http.idle-timeout}: how long a connection may wait for its next
     *                          request; default 5m
     * @param firstRequestTimeout {@code http.first-request-timeout}: how long a new connection may wait
     *                          for its first request to begin; default 30s (never more than the idle timeout)
     * @param maxConnections    {@code http.max-connections}: client connections open at once; more are
     *                          closed as they come; default 10000
     * @param maxConnectionsPerAddress {@code http.max-connections-per-address}: client connections open at
     *                          once from one address (an IPv6 /64; the PROXY protocol's client behind a
     *                          balancer); more are closed as they come; default 0, no such limit
     * @param tlsCertFile       {@code http.tls-cert-file}: a PEM certificate chain; with the key, the
     *                          public port speaks TLS (the files are reloaded when they change)
     * @param tlsKeyFile        {@code http.tls-key-file}: the PEM (PKCS#8) private key of that certificate
     * @param proxyProtocol     {@code http.proxy-protocol}: every connection starts with a PROXY protocol
     *                          header (v1 or v2) from a load balancer you run, which names the client;
     *                          default false
     */
    public record Http(String host, int port, Optional<URI> publicUrl, long maxBodyBytes, int maxHeaderBytes,
                       boolean trustForwardedFor, Duration headTimeout, Duration bodyTimeout, Duration idleTimeout,
                       Duration firstRequestTimeout, int maxConnections, int maxConnectionsPerAddress,
                       Optional<Path> tlsCertFile, Optional<Path> tlsKeyFile, boolean proxyProtocol) {
    }

    /**
     * @param url      {@code database.url}: JDBC URL ({@code jdbc:sqlite:…}, {@code jdbc:postgresql:…}) or
     *                 {@code postgres://user:pass@host:port/db}; default an SQLite file in the data dir
     * @param user     {@code database.user}: default none
     * @param password {@code database.password}: default none
     * @param poolSize {@code database.pool-size}: connections; default 8 (4 for SQLite)
     */
    public record Database(String url, Optional<String> user, Optional<String> password, int poolSize) {
        public boolean isPostgres() {
            return url.startsWith("jdbc:postgresql:");
        }

        @Override
        public String toString() {
            return "Database[url=" + url + ", user=" + user.orElse("") + ", poolSize=" + poolSize + "]";
        }
    }

    /**
     * @param prefix             {@code keys.prefix}: product prefix of new keys; default {@code gk_live_}
     * @param hashSecret         {@code keys.hash-secret}: when set, stored hashes are HMAC-SHA-256 keyed with
     *                           it (changing it invalidates every key); default none (plain SHA-256)
     * @param cacheSize          {@code keys.cache-size}: verified keys kept in memory; default 100000
     * @param cacheTtl           {@code keys.cache-ttl}: safety bound on a cached answer (changes invalidate
     *                           at once anyway); default PT5M
     * @param negativeCacheTtl   {@code keys.negative-cache-ttl}: how long "unknown" is remembered; default PT30S
     * @param usageFlushInterval {@code keys.usage-flush-interval}: how often last-used data is written; default PT5S
     * @param maxRollGrace       {@code keys.max-roll-grace}: longest grace a roll may give the old secret; default P30D
     */
    public record Keys(String prefix, Optional<String> hashSecret, long cacheSize, Duration cacheTtl,
                       Duration negativeCacheTtl, Duration usageFlushInterval, Duration maxRollGrace) {
        @Override
        public String toString() {
            return "Keys[prefix=" + prefix + ", hashSecret=" + (hashSecret.isPresent() ? "(set)" : "(none)") + "]";
        }
    }

    /**
     * A plan is configuration, not code. Set as {@code plans.<name>.api-access=true|false}.
     *
     * @param name      the plan name organisations carry
     * @param apiAccess {@code plans.<name>.api-access}: whether credentials of its organisations pass
     *                  the door on API calls ({@code /api}, and the verify API for an {@code api:}
     *                  permission); default true
     * @param mcpAccess {@code plans.<name>.mcp-access}: the same for MCP calls ({@code /mcp}, and
     *                  {@code mcp:use}); default: as {@code api-access}
     * @param oneKeyPerUser      {@code plans.<name>.one-key-per-user}: a new key renews the person's
     *                           existing one, as the organization's own setting does; default false
     * @param maxKeyLifetimeDays {@code plans.<name>.max-key-lifetime-days}: the longest life of a key;
     *                           the organization's own limit applies too, the shorter wins
     * @param maxKeys   {@code plans.<name>.max-keys}: the most live API keys an organization may hold
     *                  (operator keys aside); default no limit
     * @param credits   {@code plans.<name>.credits}: the monthly allocation put in the organization's
     *                  credit pool at the start of each cycle (what is left of the last one lapses); default 0
     * @param purchaseEntitles {@code plans.<name>.purchase-entitles}: an organization on this plan that
     *                  has bought credits may use the API and MCP servers even where the plan alone does not
     *                  allow it (seed 002's "a Free account that has purchased credits"); default false
     * @param trialDays {@code plans.<name>.trial-days}: an organization put on this plan is on trial for this
     *                  many days, then on {@code afterTrial}; default none (not a trial plan)
     * @param afterTrial {@code plans.<name>.after-trial}: the plan a trial becomes when it ends; default the
     *                  default plan
     * @param keyRate   {@code plans.<name>.key-rate-limit}: requests each key or token may make, as
     *                  {@code 100/min} (also {@code /s}, {@code /h}, {@code /day}, or {@code /30s}); default none
     * @param orgRate   {@code plans.<name>.org-rate-limit}: requests the whole organization may make; default none
     */
    public record Plan(String name, boolean apiAccess, boolean mcpAccess, boolean oneKeyPerUser,
                       Optional<Integer> maxKeyLifetimeDays, Optional<Integer> maxKeys, long credits,
                       boolean purchaseEntitles, Optional<Integer> trialDays, Optional<String> afterTrial,
                       Optional<Rate> keyRate, Optional<Rate> orgRate) {
        /** The access a data-plane call needs: MCP for an {@code mcp:} permission, API for another, either without one. */
        public enum Access {
            API("API"), MCP("MCP"), EITHER("API or MCP");

            private final String label;

            Access(String label) {
                this.label = label;
            }

            /** How the door's refusal names it: "…does not include MCP access". */
            public String label() {
                return label;
            }

            public static Access neededFor(Optional<String> permission) {
                return permission.map(p -> p.startsWith("mcp:") ? MCP : API).orElse(EITHER);
            }
        }

        public boolean allows(Access access) {
            return switch (access) {
                case API -> apiAccess;
                case MCP -> mcpAccess;
                case EITHER -> apiAccess || mcpAccess;
            };
        }

        /** As {@link #allows(Access)}, for an organization that has bought credits or not. */
        public boolean allows(Access access, boolean purchasedCredits) {
            return allows(access) || purchasedCredits && purchaseEntitles;
        }

        /** A plan to which nothing is allowed: what an organization whose plan left the configuration is on. */
        public static Plan none(String name) {
            return new Plan(name, false, false, false, Optional.empty(), Optional.empty(), 0, false,
                    Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    /**
     * @param defaultPlan {@code plans.default}: plan of new organisations; default {@code free}
     * @param byName      all plans; when none is configured: {@code free} with API access
     */
    public record Plans(String defaultPlan, Map<String, Plan> byName) {
        public Optional<Plan> find(String name) {
            return Optional.ofNullable(byName.get(name));
        }

        /**
         * The plan an organization is on at {@code now}: its own, or once its trial has ended the
         * plan's {@code after-trial} plan (the default plan when none is named). A plan that is no
         * longer configured allows nothing.
         */
        public Plan effective(String plan, Optional<java.time.Instant> trialEndsAt, java.time.Instant now) {
            Plan own = byName.get(plan);
            if (own == null) {
                return Plan.none(plan);
            }
            if (trialEndsAt.isPresent() && !now.isBefore(trialEndsAt.get())) {
                String after = own.afterTrial().orElse(defaultPlan);
                return byName.getOrDefault(after, Plan.none(after));
            }
            return own;
        }
    }

    /**
     * The credit pool's working: how nodes lease credits and what a failed call gets back.
     *
     * @param refund     {@code credits.refund}: which calls an upstream failed are refunded: {@code failed}
     *                   (default: a 5xx, no answer, or a timeout), {@code unanswered} (no answer or a timeout
     *                   only) or {@code never}
     * @param leaseTtl   {@code credits.lease-ttl}: how long a node's lease lasts without renewal; a node that
     *                   died holds its unspent credits this long, plus {@link #leaseGrace}; default 30s
     * @param leaseGrace {@code credits.lease-grace}: how long past its expiry a lease is left before another
     *                   node returns it (the bound on clock difference between nodes); default 10s
     * @param minLease   {@code credits.min-lease}: the smallest block a node asks for; default 10
     * @param maxLease   {@code credits.max-lease}: the largest; default 100000
     * @param cycle      {@code credits.cycle}: the allocation cycle; default P30D, counted from the pool's start
     * @param webhookSecret {@code credits.webhook-secret}: the secret purchase webhooks are signed with
     *                   ({@code whsec_…}); default none (the webhook is off)
     * @param webhookScheme {@code credits.webhook-scheme}: {@code standard} (Standard Webhooks, default) or
     *                   {@code stripe} ({@code Stripe-Signature})
     * @param alertWebhookUrl {@code alerts.webhook-url}: where alerts are posted, signed; default none
     * @param alertWebhookSecret {@code alerts.webhook-secret}: their signing secret ({@code whsec_…})
     * @param usage      how long usage and alerts are kept
     * @param charges    {@code credits.charges}: where a charge is kept before its call is answered:
     *                   {@code journal} (default: this node's charge journal, a file a {@code kill -9} cannot
     *                   take; the database has it within a tenth of a second) or {@code database} (the
     *                   answer waits for the charge's commit: survives the loss of the node's disk too)
     * @param journalDir {@code credits.journal-dir}: where the charge journal lives; default
     *                   {@code <data-dir>/credits-journal}. Local to the host: nodes on one host may share it
     * @param journalBytes {@code credits.journal-bytes}: the journal's size, how many charges the database
     *                   may fall behind by before calls are refused; default 64 MiB (about 400,000 charges)
     */
    public record Credits(Refund refund, Duration leaseTtl, Duration leaseGrace, long minLease, long maxLease,
                          Duration cycle, Optional<String> webhookSecret, String webhookScheme,
                          Optional<URI> alertWebhookUrl, Optional<String> alertWebhookSecret, Usage usage,
                          Charges charges, Path journalDir, int journalBytes) {
        @Override
        public String toString() {
            return "Credits[refund=" + refund + ", leaseTtl=" + leaseTtl + ", webhookSecret="
                    + (webhookSecret.isPresent() ? "(set)" : "(none)") + "]";
        }
    }

    /**
     * @param retention     {@code usage.retention}: usage minutes and alerts older than this are deleted; default 90d
     * @param pruneInterval {@code usage.prune-interval}: how often each node deletes them, in batches; default 1h
     */
    public record Usage(Duration retention, Duration pruneInterval) {
    }

    /** Where a charge is kept before its call is answered. */
    public enum Charges {
        /** This node's charge journal; the database within {@code CreditPool}'s flush interval. */
        JOURNAL,
        /** The database: the answer waits for the charge's commit. */
        DATABASE
    }

    /** Which calls the upstream failed give their credits back. */
    public enum Refund {
        /** A 5xx answer, no answer, or a timeout. */
        FAILED,
        /** No answer or a timeout: a 5xx was an answer, and the upstream may have done the work. */
        UNANSWERED,
        NEVER
    }

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9_-]{0,22})[_-]");
    private static final Pattern PLAN_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    private static final Set<String> PLAN_FIELDS = Set.of("api-access", "mcp-access", "one-key-per-user",
            "max-key-lifetime-days", "max-keys", "credits", "purchase-entitles", "trial-days", "after-trial",
            "key-rate-limit", "org-rate-limit");
    private static final List<String> KEYS = List.of(
            "http.host", "http.port", "http.public-url", "http.max-body-bytes", "http.max-header-bytes",
            "http.trust-forwarded-for", "http.head-timeout", "http.body-timeout", "http.idle-timeout",
            "http.first-request-timeout",
            "http.max-connections", "http.max-connections-per-address", "http.tls-cert-file", "http.tls-key-file", "http.proxy-protocol", "database.url", "database.user", "database.password",
            "database.pool-size", "data-dir", "keys.prefix", "keys.hash-secret", "keys.cache-size",
            "keys.cache-ttl", "keys.negative-cache-ttl", "keys.usage-flush-interval", "keys.max-roll-grace",
            "plans.default", "log.level", "secret-key", "gateway.allowed-origins", "gateway.assertion-ttl",
            "gateway.private-upstreams", "gateway.private-upstream-ranges", "gateway.upstream-ca-file",
            "gateway.upstream-max-idle", "gateway.upstream-idle-timeout", "oauth.access-token-ttl",
            "oauth.refresh-token-ttl", "oauth.refresh-reuse-grace", "oauth.max-refreshes-per-minute", "oauth.code-ttl", "oauth.registration",
            "oauth.registration-ttl", "oauth.redirect-schemes", "oauth.default-scopes",
            "oauth.client-metadata-documents", "oauth.client-metadata-private-addresses", "signin.session-ttl",
            "signin.local", "signin.max-failures", "credits.refund", "credits.lease-ttl", "credits.lease-grace",
            "credits.min-lease", "credits.max-lease", "credits.cycle", "credits.charges", "credits.journal-dir",
            "credits.journal-bytes", "credits.webhook-secret",
            "credits.webhook-scheme", "alerts.webhook-url", "alerts.webhook-secret", "usage.retention",
            "usage.prune-interval", "rate-limits.store", "rate-limits.sync", "rate-limits.redis-url",
            "rate-limits.redis-timeout");
    private static final Set<String> PROVIDER_FIELDS = Set.of("issuer", "client-id", "client-secret", "label",
            "trust-email");
    /** Microsoft's issuer names the tenant (https://login.microsoftonline.com/{tenant}/v2.0): it is always given. */
    private static final Map<String, String> KNOWN_ISSUERS = Map.of("google", "https://accounts.google.com");

    /** Maps an environment variable name back to its setting key. */
    static String keyForEnv(String envName) {
        for (String key : KEYS) {
            if (Settings.envName(key).equals(envName)) {
                return key;
            }
        }
        String rest = envName.substring(Settings.ENV_PREFIX.length()).toLowerCase(Locale.ROOT);
        if (rest.startsWith("plans_")) {
            for (String field : PLAN_FIELDS) {
                String suffix = "_" + field.replace('-', '_');
                if (rest.endsWith(suffix) && rest.length() > "plans_".length() + suffix.length()) {
                    String plan = rest.substring("plans_".length(), rest.length() - suffix.length());
                    return "plans." + plan + "." + field;
                }
            }
        }
        if (rest.startsWith("signin_providers_")) {
            for (String field : PROVIDER_FIELDS) {
                String suffix = "_" + field.replace('-', '_');
                if (rest.endsWith(suffix) && rest.length() > "signin_providers_".length() + suffix.length()) {
                    String name = rest.substring("signin_providers_".length(), rest.length() - suffix.length());
                    return "signin.providers." + name + "." + field;
                }
            }
        }
        return "env." + envName; // unknown: reported by from()
    }

    /** Builds and validates the configuration; a bad value throws naming the setting. */
    public static GatehouseConfig from(Settings s) {
        for (String key : s.all().keySet()) {
            boolean planKey = key.startsWith("plans.") && !key.equals("plans.default");
            boolean providerKey = key.startsWith("signin.providers.");
            if (!KEYS.contains(key) && !planKey && !providerKey) {
                throw new ConfigException("unknown setting " + s.describe(key)
                        + "; known settings are listed in docs/configuration.md");
            }
        }
        Path dataDir = Path.of(s.get("data-dir").orElse("data")).toAbsolutePath().normalize();
        String host = s.get("http.host").orElse("127.0.0.1");
        int port = intSetting(s, "http.port", 8080, 0, 65535);
        Optional<URI> publicUrl = s.get("http.public-url").map(v -> parse(s, "http.public-url", v, raw -> {
            URI uri = URI.create(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("must be an absolute http(s) URL");
            }
            if ((uri.getRawPath() != null && !uri.getRawPath().isEmpty()) || uri.getRawQuery() != null
                    || uri.getRawFragment() != null) {
                // It is the OAuth issuer, and MCP clients look for its metadata at the origin's root.
                throw new IllegalArgumentException("must have no path: Gatehouse is served at the root of its origin");
            }
            return uri;
        }));
        Http http = new Http(host, port, publicUrl,
                longSetting(s, "http.max-body-bytes", 1_048_576, 1024, 1L << 30),
                intSetting(s, "http.max-header-bytes", 16_384, 1024, 1 << 20),
                boolSetting(s, "http.trust-forwarded-for", false),
                positive(s, "http.head-timeout", durationSetting(s, "http.head-timeout", Duration.ofSeconds(5))),
                positive(s, "http.body-timeout", durationSetting(s, "http.body-timeout", Duration.ofSeconds(60))),
                positive(s, "http.idle-timeout", durationSetting(s, "http.idle-timeout", Duration.ofMinutes(5))),
                positive(s, "http.first-request-timeout",
                        durationSetting(s, "http.first-request-timeout", Duration.ofSeconds(30))),
                intSetting(s, "http.max-connections", 10_000, 1, 1_000_000),
                intSetting(s, "http.max-connections-per-address", 0, 0, 1_000_000),
                readableFile(s, "http.tls-cert-file"), readableFile(s, "http.tls-key-file"),
                boolSetting(s, "http.proxy-protocol", false));
        if (http.tlsCertFile().isPresent() != http.tlsKeyFile().isPresent()) {
            throw new ConfigException("http.tls-cert-file and http.tls-key-file: set both, or neither");
        }

        String url = s.get("database.url").map(v -> parse(s, "database.url", v, GatehouseConfig::jdbcUrl))
                .orElse("jdbc:sqlite:" + dataDir.resolve("gatehouse.db"));
        Optional<String> user = s.get("database.user").or(() -> userInfo(s, 0));
        Optional<String> password = s.get("database.password").or(() -> userInfo(s, 1));
        int pool = intSetting(s, "database.pool-size", url.startsWith("jdbc:sqlite:") ? 4 : 8, 1, 500);
        Database database = new Database(url, user, password, pool);

        String prefix = s.get("keys.prefix").orElse("gk_live_");
        if (!PREFIX.matcher(prefix).matches()) {
            throw new ConfigException(s.describe("keys.prefix") + ": '" + prefix + "' must be 2 to 24 letters, "
                    + "digits, '_' or '-', ending in '_' or '-'");
        }
        Keys keys = new Keys(prefix, s.get("keys.hash-secret"),
                longSetting(s, "keys.cache-size", 100_000, 0, 100_000_000),
                durationSetting(s, "keys.cache-ttl", Duration.ofMinutes(5)),
                durationSetting(s, "keys.negative-cache-ttl", Duration.ofSeconds(30)),
                durationSetting(s, "keys.usage-flush-interval", Duration.ofSeconds(5)),
                durationSetting(s, "keys.max-roll-grace", Duration.ofDays(30)));
        s.get("keys.hash-secret").filter(v -> v.length() < 32).ifPresent(v -> {
            throw new ConfigException(s.describe("keys.hash-secret") + ": must be at least 32 characters");
        });

        Plans plans = plans(s);
        String level = s.get("log.level").orElse("INFO").toUpperCase(Locale.ROOT);
        if (!Set.of("ERROR", "WARN", "INFO", "DEBUG").contains(level)) {
            throw new ConfigException(s.describe("log.level") + ": must be ERROR, WARN, INFO or DEBUG, was '"
                    + s.get("log.level").orElse("") + "'");
        }
        Optional<String> secretKey = s.get("secret-key");
        secretKey.filter(v -> v.length() < 32).ifPresent(v -> {
            throw new ConfigException(s.describe("secret-key") + ": must be at least 32 characters");
        });
        List<String> origins = s.get("gateway.allowed-origins").stream()
                .flatMap(v -> java.util.Arrays.stream(v.split(","))).map(String::strip).filter(o -> !o.isEmpty())
                .map(o -> parse(s, "gateway.allowed-origins", o, GatehouseConfig::origin)).toList();
        Duration assertionTtl = durationSetting(s, "gateway.assertion-ttl", Duration.ofMinutes(2));
        if (assertionTtl.compareTo(Duration.ofSeconds(10)) < 0 || assertionTtl.compareTo(Duration.ofHours(1)) > 0) {
            throw new ConfigException(s.describe("gateway.assertion-ttl") + ": must be between 10s and 1h");
        }
        String privateUpstreams = s.get("gateway.private-upstreams").orElse("instance").strip();
        if (!Set.of("instance", "any").contains(privateUpstreams)) {
            throw new ConfigException(s.describe("gateway.private-upstreams") + ": must be instance or any, was '"
                    + privateUpstreams + "'");
        }
        List<AddressRange> ranges = s.get("gateway.private-upstream-ranges").stream()
                .flatMap(v -> java.util.Arrays.stream(v.split(","))).map(String::strip).filter(r -> !r.isEmpty())
                .map(r -> parse(s, "gateway.private-upstream-ranges", r, AddressRange::parse)).toList();
        Optional<Path> caFile = readableFile(s, "gateway.upstream-ca-file");
        return new GatehouseConfig(http, database, dataDir, keys, plans, level, secretKey, new Gateway(origins,
                assertionTtl, PrivateUpstreams.valueOf(privateUpstreams.toUpperCase(Locale.ROOT)), ranges, caFile,
                intSetting(s, "gateway.upstream-max-idle", 64, 0, 100_000),
                positive(s, "gateway.upstream-idle-timeout",
                        durationSetting(s, "gateway.upstream-idle-timeout", Duration.ofSeconds(20)))),
                oauth(s), signIn(s), credits(s, dataDir), rateLimits(s));
    }

    private static RateLimits rateLimits(Settings s) {
        String store = s.get("rate-limits.store").orElse("database").strip();
        if (!Set.of("memory", "database", "redis").contains(store)) {
            throw new ConfigException(s.describe("rate-limits.store") + ": must be memory, database or redis, was '"
                    + store + "'");
        }
        Optional<String> url = s.get("rate-limits.redis-url").map(String::strip);
        url.ifPresent(u -> {
            if (!u.startsWith("redis://") && !u.startsWith("rediss://")) {
                throw new ConfigException(s.describe("rate-limits.redis-url") + ": must start with redis:// or rediss://");
            }
        });
        if (store.equals("redis") && url.isEmpty()) {
            throw new ConfigException(s.describe("rate-limits.store") + ": redis needs rate-limits.redis-url");
        }
        return new RateLimits(RateLimitStore.valueOf(store.toUpperCase(Locale.ROOT)),
                between(s, "rate-limits.sync", Duration.ofMillis(200), Duration.ofMillis(20), Duration.ofSeconds(10)),
                url, between(s, "rate-limits.redis-timeout", Duration.ofMillis(100), Duration.ofMillis(5),
                        Duration.ofSeconds(10)));
    }

    private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.-]{0,31}");
    private static final Pattern SCOPE = Pattern.compile("[a-z][a-z0-9_-]{0,31}:(\\*|[a-z0-9][a-z0-9_.-]{0,63})");

    private static OAuth oauth(Settings s) {
        List<String> schemes = list(s, "oauth.redirect-schemes", "cursor,vscode,vscode-insiders,claude,windsurf");
        for (String scheme : schemes) {
            if (!SCHEME.matcher(scheme).matches() || scheme.equals("http") || scheme.equals("https")
                    || scheme.equals("javascript") || scheme.equals("data") || scheme.equals("file")) {
                throw new ConfigException("oauth.redirect-schemes: '" + scheme + "' is not a private-use URI scheme");
            }
        }
        List<String> scopes = list(s, "oauth.default-scopes", "mcp:use");
        for (String scope : scopes) {
            if (!SCOPE.matcher(scope).matches() || scope.startsWith("admin:") || scope.startsWith("keys:")) {
                throw new ConfigException("oauth.default-scopes: '" + scope + "' is not a data-plane permission");
            }
        }
        String registration = s.get("oauth.registration").orElse("open");
        if (!registration.equals("open") && !registration.equals("off")) {
            throw new ConfigException("oauth.registration must be open or off, not " + registration);
        }
        return new OAuth(
                between(s, "oauth.access-token-ttl", Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofDays(1)),
                between(s, "oauth.refresh-token-ttl", Duration.ofDays(30), Duration.ofHours(1), Duration.ofDays(365)),
                between(s, "oauth.refresh-reuse-grace", Duration.ofSeconds(60), Duration.ZERO, Duration.ofMinutes(10)),
                between(s, "oauth.code-ttl", Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofMinutes(10)),
                registration.equals("open"),
                between(s, "oauth.registration-ttl", Duration.ofDays(30), Duration.ofHours(1), Duration.ofDays(3650)),
                schemes, scopes, boolSetting(s, "oauth.client-metadata-documents", true),
                boolSetting(s, "oauth.client-metadata-private-addresses", false),
                intSetting(s, "oauth.max-refreshes-per-minute", 60, 0, 100_000));
    }

    private static SignIn signIn(Settings s) {
        Map<String, Map<String, String>> raw = new java.util.TreeMap<>();
        for (Map.Entry<String, String> e : s.all().entrySet()) {
            if (!e.getKey().startsWith("signin.providers.")) {
                continue;
            }
            String rest = e.getKey().substring("signin.providers.".length());
            int dot = rest.indexOf('.');
            String name = dot < 0 ? rest : rest.substring(0, dot);
            String field = dot < 0 ? "" : rest.substring(dot + 1);
            if (!PLAN_NAME.matcher(name).matches() || !PROVIDER_FIELDS.contains(field)) {
                throw new ConfigException("unknown setting " + s.describe(e.getKey()) + "; a provider has "
                        + String.join(", ", new TreeSet<>(PROVIDER_FIELDS)));
            }
            raw.computeIfAbsent(name, n -> new LinkedHashMap<>()).put(field, e.getValue());
        }
        Map<String, Provider> providers = new LinkedHashMap<>();
        raw.forEach((name, fields) -> {
            String prefix = "signin.providers." + name + ".";
            String issuer = fields.getOrDefault("issuer", KNOWN_ISSUERS.get(name));
            if (issuer == null) {
                throw new ConfigException(prefix + "issuer is required (only google knows its own; Microsoft's is "
                        + "https://login.microsoftonline.com/<tenant id>/v2.0)");
            }
            URI uri = parse(s, prefix + "issuer", issuer, v -> {
                URI u = URI.create(v);
                boolean loopback = "http".equals(u.getScheme()) && u.getHost() != null
                        && (u.getHost().equals("127.0.0.1") || u.getHost().equals("localhost") || u.getHost().equals("[::1]"));
                if (!("https".equals(u.getScheme()) || loopback) || u.getHost() == null) {
                    throw new IllegalArgumentException("must be an absolute https URL (http only on a loopback host)");
                }
                return u;
            });
            for (String required : List.of("client-id", "client-secret")) {
                if (fields.get(required) == null || fields.get(required).isBlank()) {
                    throw new ConfigException(prefix + required + " is required");
                }
            }
            String label = fields.getOrDefault("label", switch (name) {
                case "google" -> "Google";
                case "microsoft" -> "Microsoft";
                default -> name;
            });
            String trust = fields.getOrDefault("trust-email", "false");
            if (!trust.equals("true") && !trust.equals("false")) {
                throw new ConfigException(prefix + "trust-email must be true or false, not " + trust);
            }
            providers.put(name, new Provider(name, label, uri, fields.get("client-id"), fields.get("client-secret"),
                    trust.equals("true")));
        });
        return new SignIn(between(s, "signin.session-ttl", Duration.ofHours(12), Duration.ofMinutes(5), Duration.ofDays(90)),
                boolSetting(s, "signin.local", true), intSetting(s, "signin.max-failures", 10, 1, 10_000), providers);
    }

    private static List<String> list(Settings s, String key, String dflt) {
        return java.util.Arrays.stream(s.get(key).orElse(dflt).split("[,\\s]+")).map(String::strip)
                .filter(v -> !v.isEmpty()).toList();
    }

    private static Duration between(Settings s, String key, Duration dflt, Duration min, Duration max) {
        Duration d = durationSetting(s, key, dflt);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new ConfigException(key + " must be between " + min + " and " + max + ", not " + d);
        }
        return d;
    }

    /** An origin as browsers send it: scheme, host and port, no path ({@code https://claude.ai}). */
    private static String origin(String raw) {
        URI uri = URI.create(raw);
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || (uri.getRawPath() != null && !uri.getRawPath().isEmpty()) || uri.getRawQuery() != null) {
            throw new IllegalArgumentException("is not an origin such as https://app.example.com");
        }
        return raw;
    }

    /** The URL clients reach this server at, without a trailing slash. */
    public URI publicUrl(int boundPort) {
        String scheme = http.tlsCertFile().isPresent() ? "https://" : "http://";
        return http.publicUrl().orElseGet(() -> URI.create(scheme + hostForUrl(http.host()) + ":" + boundPort));
    }

    private static String hostForUrl(String host) {
        if (host.equals("0.0.0.0") || host.equals("::")) {
            return "127.0.0.1";
        }
        return host.contains(":") ? "[" + host + "]" : host;
    }

    private static Plans plans(Settings s) {
        Map<String, Map<String, String>> fields = new java.util.TreeMap<>();
        s.all().forEach((key, value) -> {
            if (key.startsWith("plans.") && !key.equals("plans.default")) {
                String[] parts = key.split("\\.");
                if (parts.length != 3 || !PLAN_NAME.matcher(parts[1]).matches() || !PLAN_FIELDS.contains(parts[2])) {
                    throw new ConfigException("unknown setting " + s.describe(key)
                            + "; plan settings look like plans.<name>.api-access");
                }
                fields.computeIfAbsent(parts[1], n -> new LinkedHashMap<>()).put(parts[2], key);
            }
        });
        Map<String, Plan> byName = new LinkedHashMap<>();
        fields.forEach((name, keys) -> {
            boolean api = keys.containsKey("api-access") ? boolSetting(s, keys.get("api-access"), true) : true;
            // MCP access follows API access unless set: a plan written before the two were apart
            // (api-access = false then closed the whole data plane) keeps meaning what it meant.
            boolean mcp = keys.containsKey("mcp-access") ? boolSetting(s, keys.get("mcp-access"), api) : api;
            boolean oneKey = keys.containsKey("one-key-per-user") && boolSetting(s, keys.get("one-key-per-user"), false);
            Optional<Integer> maxDays = keys.containsKey("max-key-lifetime-days")
                    ? Optional.of(intSetting(s, keys.get("max-key-lifetime-days"), 1, 1, 36_500)) : Optional.empty();
            Optional<Integer> maxKeys = keys.containsKey("max-keys")
                    ? Optional.of(intSetting(s, keys.get("max-keys"), 1, 1, 1_000_000)) : Optional.empty();
            long credits = keys.containsKey("credits") ? longSetting(s, keys.get("credits"), 0, 0, 1_000_000_000_000L) : 0;
            boolean purchase = keys.containsKey("purchase-entitles")
                    && boolSetting(s, keys.get("purchase-entitles"), false);
            Optional<Integer> trialDays = keys.containsKey("trial-days")
                    ? Optional.of(intSetting(s, keys.get("trial-days"), 14, 1, 3650)) : Optional.empty();
            Optional<String> after = Optional.ofNullable(keys.get("after-trial")).flatMap(s::get).map(String::strip);
            Optional<Rate> keyRate = rate(s, keys.get("key-rate-limit"));
            Optional<Rate> orgRate = rate(s, keys.get("org-rate-limit"));
            byName.put(name, new Plan(name, api, mcp, oneKey, maxDays, maxKeys, credits, purchase, trialDays, after,
                    keyRate, orgRate));
        });
        if (byName.isEmpty()) {
            byName.put("free", new Plan("free", true, true, false, Optional.empty(), Optional.empty(), 0, false,
                    Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()));
        }
        String defaultPlan = s.get("plans.default").orElse(byName.containsKey("free") ? "free"
                : byName.keySet().iterator().next());
        if (!byName.containsKey(defaultPlan)) {
            throw new ConfigException(s.describe("plans.default") + ": no plan named '" + defaultPlan
                    + "' (configured: " + new TreeSet<>(byName.keySet()) + ")");
        }
        byName.values().forEach(p -> p.afterTrial().ifPresent(after -> {
            if (!byName.containsKey(after) || after.equals(p.name())) {
                throw new ConfigException("plans." + p.name() + ".after-trial: no other plan named '" + after
                        + "' (configured: " + new TreeSet<>(byName.keySet()) + ")");
            }
        }));
        return new Plans(defaultPlan, Map.copyOf(byName));
    }

    private static Optional<Rate> rate(Settings s, String key) {
        return key == null ? Optional.empty() : s.get(key).map(v -> parse(s, key, v, Rate::parse));
    }

    private static Credits credits(Settings s, Path dataDir) {
        String charges = s.get("credits.charges").orElse("journal").strip();
        if (!Set.of("journal", "database").contains(charges)) {
            throw new ConfigException(s.describe("credits.charges") + ": must be journal or database, was '"
                    + charges + "'");
        }
        Path journalDir = s.get("credits.journal-dir").map(v -> Path.of(v.strip()).toAbsolutePath().normalize())
                .orElse(dataDir.resolve("credits-journal"));
        String refund = s.get("credits.refund").orElse("failed").strip();
        if (!Set.of("failed", "unanswered", "never").contains(refund)) {
            throw new ConfigException(s.describe("credits.refund") + ": must be failed, unanswered or never, was '"
                    + refund + "'");
        }
        String scheme = s.get("credits.webhook-scheme").orElse("standard").strip();
        if (!Set.of("standard", "stripe").contains(scheme)) {
            throw new ConfigException(s.describe("credits.webhook-scheme") + ": must be standard or stripe, was '"
                    + scheme + "'");
        }
        for (String secret : List.of("credits.webhook-secret", "alerts.webhook-secret")) {
            s.get(secret).filter(v -> v.length() < 24).ifPresent(v -> {
                throw new ConfigException(s.describe(secret) + ": must be at least 24 characters (whsec_ and a base64 key)");
            });
        }
        long minLease = longSetting(s, "credits.min-lease", 10, 1, 1_000_000_000L);
        long maxLease = longSetting(s, "credits.max-lease", 100_000, 1, 1_000_000_000_000L);
        if (maxLease < minLease) {
            throw new ConfigException(s.describe("credits.max-lease") + ": must not be below credits.min-lease");
        }
        Optional<URI> alertUrl = s.get("alerts.webhook-url").map(v -> parse(s, "alerts.webhook-url", v, URI::create));
        if (alertUrl.isPresent() && s.get("alerts.webhook-secret").isEmpty()) {
            throw new ConfigException(s.describe("alerts.webhook-url") + ": needs alerts.webhook-secret to sign with");
        }
        return new Credits(Refund.valueOf(refund.toUpperCase(Locale.ROOT)),
                between(s, "credits.lease-ttl", Duration.ofSeconds(30), Duration.ofSeconds(3), Duration.ofHours(1)),
                between(s, "credits.lease-grace", Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1)),
                minLease, maxLease,
                between(s, "credits.cycle", Duration.ofDays(30), Duration.ofMinutes(1), Duration.ofDays(366)),
                s.get("credits.webhook-secret"), scheme, alertUrl, s.get("alerts.webhook-secret"),
                new Usage(between(s, "usage.retention", Duration.ofDays(90), Duration.ofDays(1), Duration.ofDays(3660)),
                        between(s, "usage.prune-interval", Duration.ofHours(1), Duration.ofSeconds(1),
                                Duration.ofDays(1))),
                Charges.valueOf(charges.toUpperCase(Locale.ROOT)), journalDir,
                intSetting(s, "credits.journal-bytes", 64 << 20, 1 << 20, 1 << 30) & ~7); // records are 8-aligned
    }

    /** Accepts a JDBC URL or the common {@code postgres://user:pass@host:port/db} form. */
    private static String jdbcUrl(String raw) {
        if (raw.startsWith("jdbc:sqlite:") || raw.startsWith("jdbc:postgresql:")) {
            return raw;
        }
        if (raw.startsWith("postgres://") || raw.startsWith("postgresql://")) {
            URI uri = URI.create(raw);
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("has no host");
            }
            return "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                    + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        }
        throw new IllegalArgumentException("must start with jdbc:sqlite:, jdbc:postgresql: or postgres://");
    }

    private static Optional<String> userInfo(Settings s, int part) {
        return s.get("database.url")
                .filter(u -> u.startsWith("postgres://") || u.startsWith("postgresql://"))
                .map(u -> URI.create(u).getUserInfo())
                .map(info -> info.split(":", 2))
                .filter(p -> p.length > part)
                .map(p -> java.net.URLDecoder.decode(p[part], java.nio.charset.StandardCharsets.UTF_8));
    }

    private static <T> T parse(Settings s, String key, String raw, Function<String, T> parser) {
        try {
            return parser.apply(raw);
        } catch (RuntimeException e) {
            throw new ConfigException(s.describe(key) + ": '" + raw + "' " + e.getMessage());
        }
    }

    private static int intSetting(Settings s, String key, int dflt, int min, int max) {
        return (int) longSetting(s, key, dflt, min, max);
    }

    private static long longSetting(Settings s, String key, long dflt, long min, long max) {
        return s.get(key).map(raw -> {
            try {
                long v = Long.parseLong(raw);
                if (v < min || v > max) {
                    throw new ConfigException(s.describe(key) + ": " + raw + " is outside " + min + ".." + max);
                }
                return v;
            } catch (NumberFormatException e) {
                throw new ConfigException(s.describe(key) + ": '" + raw + "' is not a whole number");
            }
        }).orElse(dflt);
    }

    private static boolean boolSetting(Settings s, String key, boolean dflt) {
        return s.get(key).map(raw -> switch (raw.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new ConfigException(s.describe(key) + ": '" + raw + "' is not true or false");
        }).orElse(dflt);
    }

    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

    /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d}, or ISO-8601 ({@code PT1H}, {@code P7D}). */
    static Duration simpleDuration(String raw) {
        var m = SIMPLE_DURATION.matcher(raw.strip());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        return Duration.parse(raw.strip().toUpperCase(Locale.ROOT));
    }

    /** A file the setting names, which must be readable now; empty when the setting is unset or blank. */
    private static Optional<Path> readableFile(Settings s, String key) {
        Optional<Path> file = s.get(key).map(String::strip).filter(v -> !v.isEmpty()).map(Path::of);
        file.ifPresent(f -> {
            if (!java.nio.file.Files.isReadable(f)) {
                throw new ConfigException(s.describe(key) + ": cannot read " + f);
            }
        });
        return file;
    }

    private static Duration positive(Settings s, String key, Duration d) {
        if (d.isZero()) {
            throw new ConfigException(s.describe(key) + ": must be more than zero");
        }
        return d;
    }

    private static Duration durationSetting(Settings s, String key, Duration dflt) {
        return s.get(key).map(raw -> {
            try {
                Duration d = simpleDuration(raw);
                if (d.isNegative()) {
                    throw new ConfigException(s.describe(key) + ": must not be negative");
                }
                return d;
            } catch (java.time.format.DateTimeParseException e) {
                throw new ConfigException(s.describe(key) + ": '" + raw + "' is not a duration (e.g. 250ms, 30s, 5m, 2h, 7d, PT1H)");
            }
        }).orElse(dflt);
    }
}
