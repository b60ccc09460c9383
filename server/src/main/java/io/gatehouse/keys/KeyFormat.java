package io.gatehouse.keys;

import io.gatehouse.store.Ids;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.zip.CRC32;

/**
 * The shape of a Gatehouse key: {@code <prefix><32 base62 characters>_<6 base62 characters of CRC32>}.
 * 32 base62 characters carry 190 bits from a secure random source. The checksum, over the prefix and
 * the random part, lets the door turn away a mistyped or truncated key before any lookup, and lets
 * secret scanners recognise a leaked key without asking Gatehouse.
 */
public final class KeyFormat {
    static final int RANDOM_CHARS = 32;
    static final int CHECKSUM_CHARS = 6;
    /** Characters of the random part shown in the display prefix. */
    static final int SHOWN_CHARS = 4;

    private final String prefix;
    private final int length;
    private final SecureRandom random = new SecureRandom();

    public KeyFormat(String prefix) {
        this.prefix = prefix;
        this.length = prefix.length() + RANDOM_CHARS + 1 + CHECKSUM_CHARS;
    }

    public String prefix() {
        return prefix;
    }

    /** A new plaintext key. */
    public String generate() {
        char[] body = new char[RANDOM_CHARS];
        for (int i = 0; i < RANDOM_CHARS; i++) {
            body[i] = Ids.BASE62.charAt(random.nextInt(62));
        }
        String head = prefix + new String(body);
        return head + "_" + checksum(head);
    }

    /**
     * True when {@code key} has this format and its checksum holds. One pass over the characters and
     * one copy of the checksummed part (the CRC reads bytes): it runs on every request that carries a key.
     */
    public boolean isWellFormed(String key) {
        int head = length - CHECKSUM_CHARS - 1;
        if (key.length() != length || !key.startsWith(prefix) || key.charAt(head) != '_') {
            return false;
        }
        for (int i = prefix.length(); i < head; i++) {
            if (digit(key.charAt(i)) < 0) {
                return false;
            }
        }
        long given = 0;
        for (int i = head + 1; i < length; i++) {
            int d = digit(key.charAt(i));
            if (d < 0) {
                return false;
            }
            given = given * 62 + d;
        }
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.ISO_8859_1), 0, head); // ASCII: every character was checked
        return crc.getValue() == given;
    }

    /** What may be shown of a key: the prefix and the first characters of its random part. */
    public String displayPrefix(String key) {
        return key.substring(0, prefix.length() + SHOWN_CHARS);
    }

    static String last4(String key) {
        return key.substring(key.length() - 4);
    }

    static String checksum(String head) {
        long crc = crc(head, head.length());
        char[] out = new char[CHECKSUM_CHARS];
        for (int i = CHECKSUM_CHARS - 1; i >= 0; i--) {
            out[i] = Ids.BASE62.charAt((int) (crc % 62));
            crc /= 62;
        }
        return new String(out);
    }

    private static long crc(String s, int end) {
        CRC32 crc = new CRC32();
        crc.update(s.substring(0, end).getBytes(StandardCharsets.US_ASCII));
        return crc.getValue();
    }

    /** Each ASCII character's base62 value, -1 for the others. */
    private static final byte[] DIGITS = new byte[128];

    static {
        java.util.Arrays.fill(DIGITS, (byte) -1);
        for (int i = 0; i < Ids.BASE62.length(); i++) {
            DIGITS[Ids.BASE62.charAt(i)] = (byte) i;
        }
    }

    /** {@code c}'s base62 value, or -1 when it is not a base62 character. */
    private static int digit(char c) {
        return c < 128 ? DIGITS[c] : -1;
    }
}
