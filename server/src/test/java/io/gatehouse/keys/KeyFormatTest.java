package io.gatehouse.keys;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class KeyFormatTest {

    @ParameterizedTest
    @ValueSource(strings = {"gk_live_", "sk-live-per-", "pmcp_"})
    void generatedKeysHaveThePrefixAndPassTheirChecksum(String prefix) {
        KeyFormat format = new KeyFormat(prefix);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            String key = format.generate();
            assertThat(key).startsWith(prefix).hasSize(prefix.length() + 32 + 1 + 6);
            assertThat(format.isWellFormed(key)).isTrue();
            assertThat(seen.add(key)).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gk_live_", "sk-live-per-", "pmcp_"})
    void everySingleCharacterTypoIsCaughtByTheChecksum(String prefix) {
        KeyFormat format = new KeyFormat(prefix);
        String key = format.generate();
        for (int i = prefix.length(); i < key.length(); i++) {
            if (key.charAt(i) == '_' && i == key.length() - 7) {
                continue;
            }
            char replacement = key.charAt(i) == 'a' ? 'b' : 'a';
            String typo = key.substring(0, i) + replacement + key.substring(i + 1);
            assertThat(format.isWellFormed(typo)).as("typo at %d", i).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gk_live_", "gk_test_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_AAAAAA", "gk_live_short_AAAAAA",
            "gk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-AAAAAA", "gk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\u00e9_AAAAAA",
            "gk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_AAA\u00e9AA", "gk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_AAA-AA",
            "gk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_AAA\u0100AA"})
    void malformedKeysAreRejectedWithoutLookup(String candidate) {
        assertThat(new KeyFormat("gk_live_").isWellFormed(candidate)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void storedHashesAreTheSameOnlyWhenEveryCharacterIs() {
        String hash = new KeyHasher(Optional.empty()).hash(new KeyFormat("gk_live_").generate());
        assertThat(KeyHasher.same(hash, new String(hash.toCharArray()))).isTrue();
        for (int i = 0; i < hash.length(); i++) {
            String other = hash.substring(0, i) + (hash.charAt(i) == '0' ? '1' : '0') + hash.substring(i + 1);
            assertThat(KeyHasher.same(hash, other)).as("differs at %d", i).isFalse();
        }
        assertThat(KeyHasher.same(hash, hash.substring(1))).isFalse();
        assertThat(KeyHasher.same(hash, hash + "0")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gk_live_", "pmcp_"})
    void displayPrefixShowsOnlyFourCharactersOfTheSecret(String prefix) {
        KeyFormat format = new KeyFormat(prefix);
        String key = format.generate();
        assertThat(format.displayPrefix(key)).isEqualTo(key.substring(0, prefix.length() + 4));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a-server-secret-of-at-least-32-characters!"})
    void storedHashOfAKeyEqualsTheHashOfItsImportedSha256(String secret) throws Exception {
        KeyHasher hasher = new KeyHasher(secret.isEmpty() ? Optional.empty() : Optional.of(secret));
        String key = new KeyFormat("gk_live_").generate();
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(hasher.fromSha256(sha)).isEqualTo(hasher.hash(key));
        assertThat(hasher.hash(key).equals(sha)).isEqualTo(secret.isEmpty());
    }
}
