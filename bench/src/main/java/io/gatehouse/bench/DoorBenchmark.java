package io.gatehouse.bench;

import io.gatehouse.Bootstrap;
import io.gatehouse.GatehouseServer;
import io.gatehouse.Logging;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.config.Settings;
import io.gatehouse.door.Door;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.errors.ApiError;
import io.gatehouse.keys.KeyFormat;
import io.gatehouse.keys.KeyHasher;
import io.gatehouse.keys.KeyVerifier;
import io.gatehouse.store.Invalidation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The in-process credential check at the door, against a real node (SQLite in a temporary data
 * directory, HTTP on a free port, nothing mocked), with baselines measured in the same run:
 *
 * <ul>
 *   <li>{@code admitCacheHit} — a valid key whose answer is cached: format, hash, cache, authorize, note use</li>
 *   <li>{@code admitUnknownNegativeCacheHit} — a well-formed key that does not exist, answered from the
 *       negative cache (the door throws the 401 {@code unknown} denial)</li>
 *   <li>{@code rejectMalformed} — a key whose checksum fails: no hash, no lookup</li>
 *   <li>{@code admitTokenCacheHit} — the same for an OAuth access token: the door's second resolver, after
 *       the key verifier has turned the token away by its format (no hash there)</li>
 *   <li>{@code admitCacheMiss} — the key's cache entry is dropped before every call, so each call runs
 *       the one query of the miss path (the drop itself, a Caffeine invalidate, is in the figure)</li>
 *   <li>{@code admitStandardCacheHit} — a valid standard key of an organization whose plan has credits
 *       and rate limits, admitted by the door alone: the baseline of the next</li>
 *   <li>{@code admitMeteredCacheHit} — the same key, then the data plane's steps 6 and 7 as the gateway
 *       runs them ({@code Billing.meter}): its key's and organization's rate limits taken, the two
 *       RateLimit fields written, one credit taken from the node's lease in memory and the charge
 *       appended to the node's charge journal (its flush to the database runs on its own thread, as
 *       in the server; the plan's leases are large, so a top-up is rare)</li>
 *   <li>{@code baselineSha256} — SHA-256 of a key-sized string: the floor any hit pays</li>
 *   <li>{@code baselineSha256Hex} — the same plus lower-case hex, which is what the cache is keyed by</li>
 *   <li>{@code baselineConcurrentHashMapGet} — a map read by a 64-character hex key: the floor of a lookup</li>
 *   <li>{@code baselineMeteringFloor} — what steps 6 and 7 cannot do without, alone: one monotonic
 *       clock read, six uncontended compare-and-sets (two rate-limit buckets and the two counts other
 *       nodes are told of, the lease, the journal's reservation), a CRC32C of a charge-sized record
 *       and its copy into a memory-mapped ring. {@code admitMeteredCacheHit} minus
 *       {@code admitStandardCacheHit} can come no closer to zero than this</li>
 * </ul>
 *
 * One thread: the "one core" figure. Run with {@code bench/run-jmh} (see docs/benchmarks.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
public class DoorBenchmark {
    /** Keys to cycle through, so one branch-predicted cache slot does not flatter the figures. */
    private static final int KEYS = 16;
    private static final String CLIENT = "127.0.0.1";
    private static final String SERVER = "srv_bench";

    private Path dataDir;
    private GatehouseServer server;
    private Door door;
    private KeyVerifier verifier;
    private final Requirement dataPlane = Requirement.dataPlane();

    private String[] validKeys;
    private Invalidation[] validKeyInvalidations;
    private String[] accessTokens;
    private String[] meteredKeys;
    private io.gatehouse.billing.Billing billing;
    private String unknownKey;
    private String malformedKey;

    private MessageDigest sha256;
    private static final HexFormat HEX = HexFormat.of();
    private ConcurrentHashMap<String, Object> map;
    private final java.util.concurrent.atomic.AtomicLong[] floorCounters = new java.util.concurrent.atomic.AtomicLong[6];
    private final byte[] floorRecord = new byte[112];
    private final java.util.zip.CRC32C floorCrc = new java.util.zip.CRC32C();
    private java.nio.MappedByteBuffer floorRing;
    private int floorAt;
    private String[] mapKeys;

    private int next;

    @Setup(Level.Trial)
    public void start() throws IOException, NoSuchAlgorithmException {
        dataDir = Files.createTempDirectory("gatehouse-jmh-");
        Logging.configure("WARN");
        GatehouseConfig config = GatehouseConfig.from(Settings.of(Map.of(
                "data-dir", dataDir.toString(), "http.port", "0", "log.level", "WARN",
                "plans.free.api-access", "true", "plans.metered.credits", "1000000000000",
                "plans.metered.key-rate-limit", "1000000000/s", "plans.metered.org-rate-limit", "1000000000/s",
                "credits.max-lease", "1000000000", "credits.min-lease", "100000000")));
        server = GatehouseServer.start(config, Optional.empty());
        GatehouseServer.Services services = server.services();
        door = services.door();
        verifier = services.verifier();

        KeyHasher hasher = new KeyHasher(config.keys().hashSecret());
        validKeys = new String[KEYS];
        validKeyInvalidations = new Invalidation[KEYS];
        for (int i = 0; i < KEYS; i++) {
            validKeys[i] = Bootstrap.initAdmin(services, "admin@localhost", i > 0).key().plaintext();
            validKeyInvalidations[i] = new Invalidation.Credential(hasher.hash(validKeys[i]));
        }
        accessTokens = accessTokens(services, hasher);
        billing = services.billing();
        meteredKeys = meteredKeys(services);
        unknownKey = new KeyFormat(config.keys().prefix()).generate();
        char last = validKeys[0].charAt(validKeys[0].length() - 1);
        malformedKey = validKeys[0].substring(0, validKeys[0].length() - 1) + (last == 'a' ? 'b' : 'a');

        // Fail fast if the set-up is not what the benchmark names claim.
        for (String key : validKeys) {
            door.admit(Optional.of(key), dataPlane, CLIENT);
        }
        for (String token : accessTokens) {
            Principal p = door.admit(Optional.of(token), dataPlane, CLIENT);
            if (p.identity().kind() != io.gatehouse.door.Identity.CredentialKind.OAUTH_TOKEN) {
                throw new IllegalStateException("not admitted as an access token: " + p.credentialId());
            }
        }
        expectDenied(unknownKey, "unknown");
        expectDenied(malformedKey, "malformed");

        sha256 = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < floorCounters.length; i++) {
            floorCounters[i] = new java.util.concurrent.atomic.AtomicLong();
        }
        try (java.nio.channels.FileChannel ring = java.nio.channels.FileChannel.open(dataDir.resolve("floor.ring"),
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            floorRing = ring.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, 16 << 20); // as the journal's
        }
        map = new ConcurrentHashMap<>();
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String h = hasher.hash(new KeyFormat(config.keys().prefix()).generate());
            map.put(h, new Object());
            hashes.add(h);
        }
        mapKeys = hashes.subList(0, KEYS).toArray(String[]::new);
    }

    /**
     * Access tokens of one person's grant, written to the store the way the token endpoint writes them
     * (the hash of a gh_at_ token, bound to the grant): the benchmark measures the door, not the flow.
     */
    /** Standard keys of an organization on the metered plan, its lease taken before measuring. */
    private String[] meteredKeys(GatehouseServer.Services services) {
        Principal op = door.admit(Optional.of(validKeys[0]), dataPlane, CLIENT);
        io.gatehouse.audit.Actor actor = io.gatehouse.audit.Actor.localOperator();
        var org = services.accounts().createOrganization(op, actor, "Metered", Optional.of("metered"),
                Optional.of(op.userId()));
        String[] keys = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = services.keys().create(op, actor, io.gatehouse.keys.KeyRequests.Create.of("metered " + i,
                    io.gatehouse.keys.ApiKey.Kind.STANDARD, op.userId(), org.id(), io.gatehouse.door.Targets.ALL,
                    io.gatehouse.door.Targets.ALL, io.gatehouse.door.Targets.ALL,
                    io.gatehouse.door.Permissions.DEFAULT_DATA_PLANE, new io.gatehouse.keys.KeyRequests.Expiry.Default()))
                    .plaintext();
        }
        Principal p = door.admit(Optional.of(keys[0]), dataPlane, CLIENT);
        // the lease, taken before measuring
        billing.credits().cancel(billing.credits().take(p.orgId(), 1, p.credentialId(), SERVER, null),
                p.credentialId(), SERVER, null);
        io.gatehouse.billing.Billing.Meter m = billing.meter(p, 1, SERVER, Optional.empty(), null, Optional.empty());
        if (m.charge().isEmpty() || m.outcome() == null || !m.outcome().allowed()) {
            throw new IllegalStateException("the metered key is not metered from memory: " + m);
        }
        billing.credits().cancel(m.charge().get(), p.credentialId(), SERVER, null);
        return keys;
    }

    private static String[] accessTokens(GatehouseServer.Services services, KeyHasher hasher) {
        long now = System.currentTimeMillis();
        String[] tokens = new String[KEYS];
        services.db().inTransaction(h -> {
            io.gatehouse.audit.Actor actor = io.gatehouse.audit.Actor.localOperator();
            String user = services.accounts().createUser(h, actor, "person@localhost", Optional.empty(), false).id();
            String org = services.accounts().createOrganization(h, actor, "Bench", services.plans().defaultPlan()).id();
            services.accountStore().upsertMember(h, org, user, io.gatehouse.door.Role.OWNER, java.time.Instant.now());
            h.createUpdate("INSERT INTO oauth_grants (id, user_id, org_id, client_id, scope, workspaces, redirect_uri, "
                            + "created_at, updated_at) VALUES ('grant_bench', :u, :o, 'gh_client_bench', 'mcp:use api:read "
                            + "api:write', '*', 'http://127.0.0.1/cb', :now, :now)")
                    .bind("u", user).bind("o", org).bind("now", now).execute();
            for (int i = 0; i < KEYS; i++) {
                tokens[i] = io.gatehouse.oauth.Tokens.ACCESS.generate();
                h.createUpdate("INSERT INTO oauth_tokens (id, token_hash, kind, grant_id, family, resource, servers, scope, "
                                + "created_at, expires_at) VALUES (:id, :hash, 'access', 'grant_bench', 'bench', "
                                + "'http://127.0.0.1', '*', 'mcp:use api:read api:write', :now, :exp)")
                        .bind("id", "tok_bench" + i).bind("hash", hasher.hash(tokens[i])).bind("now", now)
                        .bind("exp", now + 86_400_000L).execute();
            }
            return null;
        });
        return tokens;
    }

    private void expectDenied(String key, String reason) {
        try {
            door.admit(Optional.of(key), dataPlane, CLIENT);
            throw new IllegalStateException("expected a denial (" + reason + ") for " + key);
        } catch (ApiError denied) {
            if (!denied.reason().orElse("").equals(reason)) {
                throw new IllegalStateException("expected " + reason + ", got " + denied.getMessage());
            }
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        server.close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private int nextIndex() {
        int i = next;
        next = (i + 1) & (KEYS - 1);
        return i;
    }

    @Benchmark
    public Principal admitCacheHit() {
        return door.admit(Optional.of(validKeys[nextIndex()]), dataPlane, CLIENT);
    }

    @Benchmark
    public Principal admitStandardCacheHit() {
        return door.admit(Optional.of(meteredKeys[nextIndex()]), dataPlane, CLIENT);
    }

    @Benchmark
    public Object admitMeteredCacheHit() {
        Principal p = door.admit(Optional.of(meteredKeys[nextIndex()]), dataPlane, CLIENT);
        io.gatehouse.billing.Billing.Meter m = billing.meter(p, 1, SERVER, Optional.empty(), null, Optional.empty());
        String policy = m.policy();
        String limit = io.gatehouse.limits.RateLimitHeaders.limit(List.of(m.outcome()));
        if (!billing.credits().record(m.charge().orElseThrow(), p.credentialId(), SERVER, null).getNow(false)) {
            throw new IllegalStateException("a charge was not kept");
        }
        return policy.length() + limit.length() > 0 ? m : null;
    }

    @Benchmark
    public Principal admitTokenCacheHit() {
        return door.admit(Optional.of(accessTokens[nextIndex()]), dataPlane, CLIENT);
    }

    @Benchmark
    public Object admitUnknownNegativeCacheHit() {
        try {
            return door.admit(Optional.of(unknownKey), dataPlane, CLIENT);
        } catch (ApiError denied) {
            return denied;
        }
    }

    @Benchmark
    public Object rejectMalformed() {
        try {
            return door.admit(Optional.of(malformedKey), dataPlane, CLIENT);
        } catch (ApiError denied) {
            return denied;
        }
    }

    @Benchmark
    public Principal admitCacheMiss() {
        int i = nextIndex();
        verifier.invalidate(validKeyInvalidations[i]);
        return door.admit(Optional.of(validKeys[i]), dataPlane, CLIENT);
    }

    @Benchmark
    public byte[] baselineSha256() {
        return sha256.digest(validKeys[nextIndex()].getBytes(StandardCharsets.UTF_8));
    }

    @Benchmark
    public String baselineSha256Hex() {
        return HEX.formatHex(sha256.digest(validKeys[nextIndex()].getBytes(StandardCharsets.UTF_8)));
    }

    @Benchmark
    public long baselineMeteringFloor() {
        long now = System.nanoTime();
        for (java.util.concurrent.atomic.AtomicLong counter : floorCounters) {
            long was = counter.get();
            counter.compareAndSet(was, was + now);
        }
        floorCrc.reset();
        floorCrc.update(floorRecord, 0, floorRecord.length);
        int at = floorAt;
        floorAt = (at + 128) & ((16 << 20) - 1);
        floorRing.put(at, floorRecord, 0, floorRecord.length);
        floorRing.putLong(at + 112, floorCrc.getValue());
        return now;
    }

    @Benchmark
    public Object baselineConcurrentHashMapGet() {
        return map.get(mapKeys[nextIndex()]);
    }
}
