package io.gatehouse.client;

/**
 * How a secret (a key, an invitation token, a static upstream credential) appears in a
 * {@code toString()}: never whole. Long enough values keep their first 8 and last 4 characters,
 * like the API's own {@code masked} field; anything shorter shows nothing of itself.
 */
final class Secrets {
    private Secrets() {
    }

    static String mask(String secret) {
        if (secret == null) {
            return "null";
        }
        if (secret.length() < 24) {
            return "****";
        }
        return secret.substring(0, 8) + "…" + secret.substring(secret.length() - 4);
    }
}
