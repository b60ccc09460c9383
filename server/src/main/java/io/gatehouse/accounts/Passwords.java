package io.gatehouse.accounts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Password hashing with Argon2id (RFC 9106), Bouncy Castle's pure-Java implementation, stored as the
 * PHC string {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>} (OWASP's minimum parameters). A
 * stored hash carries its own parameters, so raising them later leaves existing passwords working.
 */
public final class Passwords {
    /** Long enough to resist guessing; the upper bound keeps one hash from costing more than it should. */
    public static final int MIN_LENGTH = 10;
    public static final int MAX_LENGTH = 1024;
    private static final int MEMORY_KIB = 19_456;
    private static final int ITERATIONS = 2;
    private static final int PARALLELISM = 1;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{16,})\\$([A-Za-z0-9+/]{16,})");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Each hash holds about 19 MiB and a core for about 25 ms: at most half the cores' worth run at
     * once, so that a burst of sign-ins (or of failed ones, from many addresses) costs time, not the
     * heap, and never takes the cores the data plane answers on. Past it, callers wait, briefly; one
     * core still checks about 40 passwords a second.
     */
    private static final java.util.concurrent.Semaphore AT_ONCE =
            new java.util.concurrent.Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), true);

    /** Thrown when the hashing capacity stays taken for a few seconds: answer "try again". */
    public static final class Busy extends RuntimeException {
        Busy() {
            super("too many password checks at once", null, false, false);
        }
    }

    /** Verified against when an account has no password, so that its absence takes as long as a wrong one. */
    private static final String DECOY = hash("decoy password that no one has");

    private Passwords() {
    }

    public static String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] out = derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$"
                + B64.encodeToString(salt) + "$" + B64.encodeToString(out);
    }

    /** Whether {@code password} matches {@code stored}; a missing or unreadable hash never matches (and costs the same). */
    public static boolean verify(String password, String stored) {
        Matcher m = stored == null ? null : PHC.matcher(stored);
        if (m == null || !m.matches()) {
            verify(password, DECOY);
            return false;
        }
        if (Integer.parseInt(m.group(1)) > 262_144 || Integer.parseInt(m.group(2)) > 16) {
            return false; // not a hash this code made: its cost is not the stranger's to choose
        }
        byte[] expected = B64D.decode(m.group(5));
        byte[] actual = derive(password, B64D.decode(m.group(4)), Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), expected.length);
        return MessageDigest.isEqual(expected, actual);
    }

    /** Spends the time a verification takes, for an account that does not exist. */
    public static void decoy(String password) {
        verify(password, DECOY);
    }

    /** Why {@code password} may not be chosen, or null when it may. */
    public static String weakness(String password) {
        if (password == null || password.codePointCount(0, password.length()) < MIN_LENGTH) {
            return "A password has at least " + MIN_LENGTH + " characters";
        }
        if (password.length() > MAX_LENGTH) {
            return "A password has at most " + MAX_LENGTH + " characters";
        }
        if (password.isBlank()) {
            return "A password is more than spaces";
        }
        return null;
    }

    private static byte[] derive(String password, byte[] salt, int memoryKib, int iterations, int parallelism,
                                 int length) {
        try {
            if (!AT_ONCE.tryAcquire(5, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new Busy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Busy();
        }
        try {
            return argon2(password, salt, memoryKib, iterations, parallelism, length);
        } finally {
            AT_ONCE.release();
        }
    }

    private static byte[] argon2(String password, byte[] salt, int memoryKib, int iterations, int parallelism,
                                 int length) {
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib).withIterations(iterations).withParallelism(parallelism)
                .withSalt(salt).build());
        byte[] out = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        return out;
    }
}
