package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.ConfigException;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.config.Settings;
import io.gatehouse.testing.Certificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gateway.upstream-ca-file}: a file that is not what it should be stops Gatehouse at start, saying why. */
class UpstreamTlsTest {
    @Test
    void aPemFileOfCertificatesIsTakenAndAnythingElseIsRefusedAtStart(@TempDir Path dir) throws Exception {
        Path ca = Certificates.pem(Certificates.create(dir, "company-ca", "dns:mcp.internal.example"), dir.resolve("ca.pem"));
        assertThat(UpstreamTls.of(Optional.of(ca)).eventLoop()).isNotNull();
        assertThat(GatehouseConfig.from(Settings.of(Map.of("gateway.upstream-ca-file", ca.toString()))).gateway()
                .upstreamCaFile()).hasValue(ca);

        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        assertThatThrownBy(() -> UpstreamTls.of(Optional.of(empty))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("gateway.upstream-ca-file").hasMessageContaining("no PEM certificate");
        Path garbage = Files.writeString(dir.resolve("garbage.pem"),
                "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> UpstreamTls.of(Optional.of(garbage))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("gateway.upstream-ca-file");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("gateway.upstream-ca-file",
                dir.resolve("missing.pem").toString())))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("gateway.upstream-ca-file").hasMessageContaining("cannot read");
    }
}
