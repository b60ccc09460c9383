package io.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealerTest {
    @TempDir
    Path dir;

    @Test
    void sealWhenOpenedBySameSecretThenPlaintextAndNeverInTheSealedText() {
        Sealer sealer = Sealer.open(Optional.of("a-configured-secret-of-at-least-32-chars"), dir);
        String sealed = sealer.seal("Bearer upstream-token");
        assertThat(sealed).startsWith("sealed:v1:").doesNotContain("upstream-token");
        assertThat(sealer.seal("Bearer upstream-token")).as("a fresh nonce each time").isNotEqualTo(sealed);
        assertThat(sealer.open(sealed)).isEqualTo("Bearer upstream-token");
    }

    @Test
    void openWhenSealedUnderAnotherSecretThenConfigErrorNamingTheSetting() {
        String sealed = Sealer.open(Optional.of("node-one-secret-node-one-secret-1234"), dir).seal("x");
        Sealer other = Sealer.open(Optional.of("node-two-secret-node-two-secret-5678"), dir);
        assertThatThrownBy(() -> other.open(sealed)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("secret-key");
    }

    @Test
    void openWhenNoSecretConfiguredThenOneIsKeptInTheDataDirectoryOwnerOnly() throws Exception {
        Sealer first = Sealer.open(Optional.empty(), dir);
        Path file = dir.resolve("secret.key");
        assertThat(file).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        Sealer again = Sealer.open(Optional.empty(), dir);
        assertThat(again.open(first.seal("kept"))).isEqualTo("kept");
        assertThat(again.derive("purpose a")).isEqualTo(first.derive("purpose a")).isNotEqualTo(first.derive("purpose b"));
    }
}
