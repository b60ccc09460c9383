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

    /** True when {@code key} has this format and its checksum holds. Allocation-free but for the CRC. */
    public boolean isWellFormed(String key) {
        if (key.length() != length || !key.startsWith(prefix) || key.charAt(length - CHECKSUM_CHARS - 1) != '_') {
            return false;
        }
        for (int i = prefix.length(); i < length; i++) {
            if (i != length - CHECKSUM_CHARS - 1 && !isBase62(key.charAt(i))) {
                return false;
            }
        }
        long crc = crc(key, length - CHECKSUM_CHARS - 1);
        long given = 0;
        for (int i = length - CHECKSUM_CHARS; i < length; i++) {
            given = given * 62 + Ids.BASE62.indexOf(key.charAt(i));
        }
        return crc == given;
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

    private static boolean isBase62(char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }
}
