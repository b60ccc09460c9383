package io.gatehouse.keys;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.CredentialResolver;
import io.gatehouse.door.Identity;
import io.gatehouse.errors.ApiError;
import io.gatehouse.store.Database;
import io.gatehouse.store.Invalidation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hot path for API keys: format and checksum first (a malformed key costs no lookup), then an
 * in-process cache keyed by the stored hash, holding answers both positive and negative, and one
 * query on a miss. Nothing here writes to the database or takes a lock on a cache hit.
 *
 * <p>Invalidation races: a miss reads the {@link #generation} before its query and caches the result
 * only if no invalidation happened meanwhile, so an answer loaded before a revoke can never be
 * cached after it.
 */
public final class KeyVerifier implements CredentialResolver {
    private final KeyFormat format;
    private final KeyHasher hasher;
    private final KeyStore store;
    private final Database db;
    private final UsageRecorder usage;
    private final Cache<String, Entry> cache;
    private final AtomicLong generation = new AtomicLong();
    private volatile Set<String> importPrefixes;

    /** A cached answer: the key's state and identity, or that no key has this hash. */
    sealed interface Entry {
    }

    record Found(KeyStore.Verifiable key) implements Entry {
    }

    record Missing() implements Entry {
    }

    private static final Missing MISSING = new Missing();
    private static final ApiError UNKNOWN_KEY = ApiError.unauthorized("unknown", "Invalid or missing API key", true);

    public KeyVerifier(KeyFormat format, KeyHasher hasher, KeyStore store, Database db, UsageRecorder usage,
                       GatehouseConfig.Keys config, MeterRegistry metrics) {
        this.format = format;
        this.hasher = hasher;
        this.store = store;
        this.db = db;
        this.usage = usage;
        this.cache = answerCache(config, metrics, "gatehouse.keys.cache", v -> v instanceof Missing);
        this.importPrefixes = db.withHandle(store::importPrefixes);
    }

    /**
     * The cache of a credential kind's answers by hash: {@code keys.cache-size} entries, positive ones
     * kept {@code keys.cache-ttl}, negative ones ({@code negative}) {@code keys.negative-cache-ttl},
     * with its statistics in {@code /metrics} under {@code name}. Keys and access tokens use one each.
     *
     * <p>Its upkeep (recording reads, expiring, evicting) runs on the thread that reads, a few entries
     * at a time: with Caffeine's default, the common pool, every sixteenth read or so woke a pool
     * thread, a system call on the door's hot path that profiled at a tenth of a cache hit.
     */
    public static <V> Cache<String, V> answerCache(GatehouseConfig.Keys config, MeterRegistry metrics, String name,
                                                   java.util.function.Predicate<V> negative) {
        Cache<String, V> cache = Caffeine.newBuilder()
                .executor(Runnable::run)
                .maximumSize(config.cacheSize())
                .expireAfter(Expiry.<String, V>creating((k, v) ->
                        negative.test(v) ? config.negativeCacheTtl() : config.cacheTtl()))
                .recordStats()
                .build();
        CaffeineCacheMetrics.monitor(metrics, cache, name);
        return cache;
    }

    @Override
    public Optional<Identity> resolve(String credential, Instant now) {
        // 1. format: our checksum, or the prefix of a family of imported keys.
        if (!format.isWellFormed(credential) && !hasImportPrefix(credential)) {
            return Optional.empty();
        }
        // 2. lookup
        String hash = hasher.hash(credential);
        Entry entry = cache.getIfPresent(hash);
        if (entry == null) {
            entry = load(hash);
        }
        if (!(entry instanceof Found(KeyStore.Verifiable key)) || !KeyHasher.same(key.hash(), hash)) {
            throw UNKNOWN_KEY;
        }
        // 3. state
        ApiError refusal = refusal(key, now);
        if (refusal != null) {
            throw refusal;
        }
        return Optional.of(key.identity());
    }

    /** The same three checks on the cache alone: the key is hashed once. */
    @Override
    public Recall recall(String credential, Instant now) {
        if (!format.isWellFormed(credential) && !hasImportPrefix(credential)) {
            return Recall.NOT_MINE;
        }
        String hash = hasher.hash(credential);
        Entry entry = cache.getIfPresent(hash);
        if (entry instanceof Found(KeyStore.Verifiable key) && KeyHasher.same(key.hash(), hash)) {
            ApiError refusal = refusal(key, now);
            return refusal == null ? Recall.of(key.identity()) : Recall.refused(refusal);
        }
        if (entry instanceof Missing) {
            return Recall.refused(UNKNOWN_KEY);
        }
        return Recall.UNKNOWN;
    }

    /** Why a key that exists may not be used now; null when it may. */
    private static ApiError refusal(KeyStore.Verifiable key, Instant now) {
        if (key.revokedAt().isPresent() || key.deletedAt().isPresent()) {
            return ApiError.unauthorized("revoked", "This API key has been revoked", true);
        }
        Optional<Instant> expiresAt = key.identity().expiresAt();
        if (expiresAt.isPresent() && !expiresAt.get().isAfter(now)) {
            return ApiError.unauthorized("expired", "This API key has expired", true);
        }
        return null;
    }

    @Override
    public void recordUse(Identity identity, String clientAddress, Instant at) {
        usage.record(identity.credentialId(), clientAddress, at);
    }

    private Entry load(String hash) {
        long before = generation.get();
        Entry loaded = db.withHandle(h -> store.loadForVerification(h, hash))
                .<Entry>map(Found::new).orElse(MISSING);
        if (generation.get() == before) {
            cache.put(hash, loaded);
        }
        return loaded;
    }

    private boolean hasImportPrefix(String credential) {
        for (String prefix : importPrefixes) {
            if (credential.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** Drops every cached answer the change may have altered. */
    public void invalidate(Invalidation invalidation) {
        if (invalidation instanceof Invalidation.Servers || invalidation instanceof Invalidation.Grant) {
            return;
        }
        generation.incrementAndGet();
        switch (invalidation) {
            case Invalidation.Credential c -> cache.invalidate(c.hash());
            case Invalidation.User u -> cache.asMap().values().removeIf(
                    e -> e instanceof Found f && f.key().identity().userId().equals(u.userId()));
            case Invalidation.Organization o -> cache.asMap().values().removeIf(
                    e -> e instanceof Found f && f.key().identity().orgId().equals(o.orgId()));
            case Invalidation.Servers s -> {
                // servers change no key's answer: scope is checked per request against the registry
            }
            case Invalidation.Grant g -> {
                // an OAuth grant is no key
            }
            case Invalidation.All a -> {
                cache.invalidateAll();
                importPrefixes = db.withHandle(store::importPrefixes);
            }
        }
    }

    /** Re-reads the import prefixes after an import on this or another node. */
    void refreshImportPrefixes() {
        importPrefixes = db.withHandle(store::importPrefixes);
    }

    long cachedEntries() {
        return cache.estimatedSize();
    }
}
