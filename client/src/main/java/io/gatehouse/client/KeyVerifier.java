package io.gatehouse.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Verifies keys for a service that checks them itself, through {@code POST /v1/keys/verify},
 * keeping each answer in memory for a short while ({@link VerifierCache}) so that Gatehouse is not
 * called on every request. Answers are keyed by the SHA-256 of the key with the use asked about;
 * the plaintext is never kept. Both valid and refused answers are kept; an error of the verifying
 * call itself (its own credential refused, Gatehouse unreachable) is thrown and never kept.
 *
 * <p>An answer served from the cache is not counted as a use of the key ({@code use_count},
 * {@code last_used_at}), and a {@code client_address} given then is not recorded.
 *
 * <p>Thread-safe; keep one per service.
 *
 * @see "docs/keys.md, Verify a key from another service"
 */
public final class KeyVerifier {
    private final Keys keys;
    private final VerifierCache settings;
    private final Map<CacheKey, Kept> entries;
    /** Moves on each {@link #clear}: an answer fetched before it is not kept after it. */
    private long generation;

    KeyVerifier(Keys keys, VerifierCache settings) {
        this.keys = keys;
        this.settings = settings;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<CacheKey, Kept> eldest) {
                return size() > settings.maxEntries();
            }
        };
    }

    /**
     * Whether {@code key} would pass the door, for no particular workspace, server or permission.
     *
     * @param key the plaintext key presented to the service
     * @return {@link VerifiedKey} or {@link RejectedKey}
     */
    public VerifyKeyResult verify(String key) {
        return verify(VerifyKeyRequest.of(key));
    }

    /**
     * Whether the key would pass the door for the use described.
     *
     * @param request the key and its intended use
     * @return {@link VerifiedKey} or {@link RejectedKey}, from the cache while it is fresh
     */
    public VerifyKeyResult verify(VerifyKeyRequest request) {
        if (settings.maxEntries() == 0) {
            return keys.verify(request);
        }
        CacheKey cacheKey = CacheKey.of(request);
        Instant now = settings.clock().instant();
        long before;
        synchronized (entries) {
            before = generation;
            Kept hit = entries.get(cacheKey);
            if (hit != null && now.isBefore(hit.expiresAt())) {
                return hit.result();
            }
            entries.remove(cacheKey);
        }
        VerifyKeyResult result = keys.verify(request);
        Instant expiresAt = expiry(result, now);
        if (now.isBefore(expiresAt)) {
            synchronized (entries) {
                if (generation == before) {
                    entries.put(cacheKey, new Kept(result, expiresAt));
                }
            }
        }
        return result;
    }

    /** Forgets every kept answer, e.g. after revoking a key from this same process. */
    public void clear() {
        synchronized (entries) {
            entries.clear();
            generation++;
        }
    }

    /** The kept keys, for tests: hashes only. */
    Set<CacheKey> cachedKeys() {
        synchronized (entries) {
            return Set.copyOf(entries.keySet());
        }
    }

    private Instant expiry(VerifyKeyResult result, Instant now) {
        if (result instanceof VerifiedKey ok) {
            Instant byTtl = now.plus(settings.positiveTtl());
            // Never keep a key valid past its own expiry.
            return ok.expiresAt().filter(byTtl::isAfter).orElse(byTtl);
        }
        return now.plus(settings.negativeTtl());
    }

    /** What an answer depends on: the key (as its SHA-256) and the use asked about. */
    record CacheKey(String keySha256, String workspace, String server, String permission, Boolean planGated) {
        static CacheKey of(VerifyKeyRequest r) {
            return new CacheKey(sha256(r.key()), r.workspace(), r.server(), r.permission(), r.planGated());
        }
    }

    private record Kept(VerifyKeyResult result, Instant expiresAt) {
    }

    static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "KeyVerifier[" + settings + "]";
    }

    /** @return how many answers are kept now */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
