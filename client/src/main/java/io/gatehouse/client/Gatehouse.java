package io.gatehouse.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;

/**
 * A client of one Gatehouse node's management API ({@code /v1}), acting with one credential.
 *
 * <pre>{@code
 * Gatehouse client = Gatehouse.builder()
 *         .baseUrl(URI.create("https://gatehouse.example"))
 *         .key(System.getenv("GATEHOUSE_KEY"))
 *         .build();
 * IssuedApiKey key = client.keys().create(CreateKeyRequest.named("CI").withExpires("90d"));
 * }</pre>
 *
 * <p>The key is sent as {@code Authorization: Bearer <key>} and appears in no {@code toString()}.
 * A client built without a key sends no credential, which only {@link Invitations#accept(String)}
 * accepts. {@link #withKey(String)} gives a client with another credential over the same
 * connections.
 *
 * <p>Thread-safe and immutable: build one and share it. Errors are {@link GatehouseException}s
 * (Gatehouse answered) or {@link GatehouseConnectionException}s (no answer); {@link RetryPolicy}
 * says what is retried.
 *
 * @see "docs/sdk.md"
 */
public final class Gatehouse {
    private final Transport transport;

    private Gatehouse(Transport transport) {
        this.transport = transport;
    }

    /** @return a builder; {@link Builder#baseUrl(URI)} is required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The same client acting with another credential, e.g. the key a person got by accepting an invitation.
     *
     * @param key the other credential
     * @return a client sharing this one's connections and settings
     */
    public Gatehouse withKey(String key) {
        return new Gatehouse(transport.withKey(Builder.checkKey(key)));
    }

    /** @return the same client sending no credential (to accept an invitation as a new account) */
    public Gatehouse withoutKey() {
        return new Gatehouse(transport.withoutKey());
    }

    /**
     * {@code GET /v1/whoami}: who the calling credential is.
     *
     * @return the credential's owner, organization, role, plan, workspaces and permissions
     */
    public WhoAmI whoami() {
        return transport.get("/v1/whoami", WhoAmI.class);
    }

    /** @return API keys ({@code /v1/keys}, {@code /v1/me/keys}), and key verification */
    public Keys keys() {
        return new Keys(transport);
    }

    /** @return users ({@code /v1/users}) */
    public Users users() {
        return new Users(transport);
    }

    /** @return organizations ({@code /v1/orgs}) */
    public Organizations organizations() {
        return new Organizations(transport);
    }

    /** @return organization members ({@code /v1/orgs/{id}/members}) */
    public Members members() {
        return new Members(transport);
    }

    /** @return invitations ({@code /v1/orgs/{id}/invitations}, {@code /v1/invitations/accept}) */
    public Invitations invitations() {
        return new Invitations(transport);
    }

    /** @return service accounts ({@code /v1/orgs/{id}/service-accounts}) */
    public ServiceAccounts serviceAccounts() {
        return new ServiceAccounts(transport);
    }

    /** @return workspaces and their members ({@code /v1/workspaces}) */
    public Workspaces workspaces() {
        return new Workspaces(transport);
    }

    /** @return the audit log ({@code /v1/audit}) */
    public AuditLog audit() {
        return new AuditLog(transport);
    }

    /** @return upstream servers ({@code /v1/servers}) */
    public Servers servers() {
        return new Servers(transport);
    }

    /** @return organizations' credit pools and ledgers ({@code /v1/orgs/{id}/credits}) */
    public Credits credits() {
        return new Credits(transport);
    }

    /** @return organizations' usage in time buckets ({@code /v1/orgs/{id}/usage}) */
    public UsageReports usage() {
        return new UsageReports(transport);
    }

    /** @return alerts about organizations' credentials ({@code /v1/orgs/{id}/alerts}) */
    public Alerts alerts() {
        return new Alerts(transport);
    }

    @Override
    public String toString() {
        return "Gatehouse[baseUrl=" + transport.baseUrl() + ", key=" + transport.key().map(Secrets::mask).orElse("none")
                + "]";
    }

    /** Builds a {@link Gatehouse}; not thread-safe, unlike what it builds. */
    public static final class Builder {
        private URI baseUrl;
        private String key;
        private HttpClient httpClient;
        private Duration timeout = Duration.ofSeconds(30);
        private RetryPolicy retries = RetryPolicy.DEFAULT;
        private Transport.Sleeper sleeper = d -> Thread.sleep(d);
        private String userAgent = "gatehouse-java/" + version();

        private Builder() {
        }

        /**
         * @param url where the node answers, e.g. {@code https://gatehouse.example} (a path, if any, is kept)
         * @return this builder
         */
        public Builder baseUrl(URI url) {
            // user:pass@ would leak into every message that names the node; a query or fragment breaks every path
            if (url.getRawUserInfo() != null || url.getRawQuery() != null || url.getRawFragment() != null
                    || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
                throw new IllegalArgumentException("baseUrl: an http or https URL without credentials, query or fragment");
            }
            String s = url.toString();
            this.baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
            return this;
        }

        /**
         * @param value the credential sent as {@code Authorization: Bearer}; leave unset to send none
         * @return this builder
         */
        public Builder key(String value) {
            this.key = checkKey(value);
            return this;
        }

        /**
         * @param client the JDK client to send with (proxy, TLS, executor); default a new one
         * @return this builder
         */
        public Builder httpClient(HttpClient client) {
            this.httpClient = Objects.requireNonNull(client);
            return this;
        }

        /**
         * @param value how long one attempt may take, from sending to the end of the answer; default 30 s
         * @return this builder
         */
        public Builder timeout(Duration value) {
            this.timeout = Objects.requireNonNull(value);
            return this;
        }

        /**
         * @param policy what is retried; default {@link RetryPolicy#DEFAULT}
         * @return this builder
         */
        public Builder retries(RetryPolicy policy) {
            this.retries = Objects.requireNonNull(policy);
            return this;
        }

        /**
         * @param value the {@code User-Agent} sent
         * @return this builder
         */
        public Builder userAgent(String value) {
            this.userAgent = Objects.requireNonNull(value);
            return this;
        }

        /** Tests wait without sleeping. */
        Builder sleeper(Transport.Sleeper value) {
            this.sleeper = value;
            return this;
        }

        /** @return the client */
        public Gatehouse build() {
            if (baseUrl == null) {
                throw new IllegalStateException("baseUrl is required");
            }
            String scheme = String.valueOf(baseUrl.getScheme());
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("baseUrl must be http or https: " + baseUrl);
            }
            HttpClient http = httpClient != null ? httpClient : HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            Transport t = Transport.anonymous(http, baseUrl, timeout, retries, sleeper, userAgent);
            return new Gatehouse(key == null ? t : t.withKey(key));
        }

        /** docs/keys.md, Pass a key: a credential is 1–512 visible ASCII characters with no spaces. */
        static String checkKey(String value) {
            Objects.requireNonNull(value, "key");
            if (value.isEmpty() || value.length() > 512 || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("a key is 1-512 visible ASCII characters without spaces");
            }
            return value;
        }

        private static String version() {
            String v = Gatehouse.class.getPackage().getImplementationVersion();
            return v == null ? "dev" : v;
        }
    }
}
