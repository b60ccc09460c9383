package io.gatehouse.store;

import java.security.SecureRandom;

/** Public identifiers: a short type prefix and 20 random base62 characters ({@code key_3fZ…}). */
public final class Ids {
    public static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    public static String next(String type) {
        return type + "_" + random(20);
    }

    /**
     * An id that sorts by creation time: 8 base62 characters of the epoch millisecond, then 12 random
     * ones. For rows written all the time (tokens), so that the primary-key index, and those that name
     * a recent row, grow at their end instead of touching a random page each time. It tells when the
     * row was made: only for ids nobody outside sees.
     */
    public static String ordered(String type, long epochMillis) {
        return type + "_" + time(epochMillis) + random(12);
    }

    /**
     * As {@link #ordered}, with the random part from {@link #label}: for rows written on the hot
     * path (a charge per call) whose id guards nothing and is unique within its table by index.
     */
    public static String orderedLabel(String type, long epochMillis) {
        return type + "_" + time(epochMillis) + label(12);
    }

    private static String time(long epochMillis) {
        char[] time = new char[8];
        for (int i = 7; i >= 0; i--) {
            time[i] = BASE62.charAt((int) (epochMillis % 62));
            epochMillis /= 62;
        }
        return new String(time);
    }

    /**
     * {@code length} characters of base62 from a fast, unpredictable-enough source: for ids that
     * label things (request ids) and guard nothing. Secrets and public ids use {@link #random}.
     */
    public static String label(int length) {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = BASE62.charAt(r.nextInt(62));
        }
        return new String(out);
    }

    /** {@code length} characters of base62, each from the system's secure random source. */
    public static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = BASE62.charAt(RANDOM.nextInt(62));
        }
        return new String(out);
    }
}
