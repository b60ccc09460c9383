package io.gatehouse.client;

import java.time.Clock;
import java.time.Duration;

/**
 * How long a {@link KeyVerifier} keeps answers. Gatehouse itself drops a cached decision the
 * moment a key is revoked; a copy kept in another process cannot learn of it, so it is kept only
 * briefly: a revoked key stays valid here for at most {@code positiveTtl}. A positive answer is
 * also never kept past the key's own {@code expires_at}.
 *
 * @param maxEntries the most answers kept (least recently used go first); 0 turns caching off
 * @param positiveTtl how long a {@code valid: true} answer is kept
 * @param negativeTtl how long a {@code valid: false} answer is kept
 * @param clock the clock the lifetimes are measured with
 * @see "docs/keys.md, How fast changes take effect"
 */
public record VerifierCache(int maxEntries, Duration positiveTtl, Duration negativeTtl, Clock clock) {
    /** Checks the bounds. */
    public VerifierCache {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must not be negative");
        }
        if (positiveTtl.isNegative() || negativeTtl.isNegative()) {
            throw new IllegalArgumentException("lifetimes must not be negative");
        }
    }

    /** @return 10,000 answers, valid ones for 30 seconds, refusals for 10 seconds, on the system clock */
    public static VerifierCache defaults() {
        return new VerifierCache(10_000, Duration.ofSeconds(30), Duration.ofSeconds(10), Clock.systemUTC());
    }

    /** @return no caching: every verification calls Gatehouse */
    public static VerifierCache none() {
        return new VerifierCache(0, Duration.ZERO, Duration.ZERO, Clock.systemUTC());
    }

    /**
     * @param entries the most answers kept
     * @return a copy with it set
     */
    public VerifierCache withMaxEntries(int entries) {
        return new VerifierCache(entries, positiveTtl, negativeTtl, clock);
    }

    /**
     * @param positive how long valid answers are kept
     * @param negative how long refusals are kept
     * @return a copy with both set
     */
    public VerifierCache withTtl(Duration positive, Duration negative) {
        return new VerifierCache(maxEntries, positive, negative, clock);
    }

    /**
     * @param value the clock lifetimes are measured with (tests move it by hand)
     * @return a copy with it set
     */
    public VerifierCache withClock(Clock value) {
        return new VerifierCache(maxEntries, positiveTtl, negativeTtl, value);
    }
}
