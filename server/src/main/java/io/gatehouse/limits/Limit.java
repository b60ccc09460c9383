package io.gatehouse.limits;

/**
 * One quota a request draws on: the policy it belongs to (the name the RateLimit fields carry, such
 * as {@code key} or {@code org}), the partition it is counted in (a key id, an organization id) and
 * its rate. Each distinct limit has its own bucket, so one id can be held to a per-minute and a
 * per-day policy at once, and a changed rate starts a fresh bucket.
 *
 * <p>Policy names are restricted to lower-case letters, digits, {@code _} and {@code -} so that they
 * are written into a Structured Fields string without escaping.
 */
public record Limit(String policy, String key, Rate rate) {
    public Limit {
        if (!isPolicyName(policy)) {
            throw new IllegalArgumentException("a rate-limit policy name is 1 to 64 of a-z, 0-9, _ and -, not '"
                    + policy + "'");
        }
        if (key.isEmpty() || rate == null) {
            throw new IllegalArgumentException("a limit needs a key and a rate");
        }
    }

    /**
     * The name every node knows this limit's bucket by, in a shared store: policy, partition and rate
     * (a changed rate starts a fresh bucket, as in memory), at most 200 characters (longer ones are
     * hashed).
     */
    public String sharedId() {
        String id = policy + " " + key + " " + rate;
        if (id.length() <= 200) {
            return id;
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return policy + " sha256:" + java.util.HexFormat.of().formatHex(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A loop rather than a pattern: limits may be built on every request. */
    private static boolean isPolicyName(String name) {
        if (name.isEmpty() || name.length() > 64) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }
}
