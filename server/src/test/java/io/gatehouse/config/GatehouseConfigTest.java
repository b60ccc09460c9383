package io.gatehouse.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GatehouseConfigTest {

    @Test
    void defaultsAreTheEmbeddedSqliteOnPort8080() {
        GatehouseConfig c = GatehouseConfig.from(Settings.of(Map.of("data-dir", "/tmp/gh-defaults")));
        assertThat(c.http().port()).isEqualTo(8080);
        assertThat(c.http().host()).isEqualTo("127.0.0.1");
        assertThat(c.database().url()).isEqualTo("jdbc:sqlite:/tmp/gh-defaults/gatehouse.db");
        assertThat(c.keys().prefix()).isEqualTo("gk_live_");
        assertThat(c.plans().defaultPlan()).isEqualTo("free");
        assertThat(c.plans().find("free").orElseThrow().apiAccess()).isTrue();
        assertThat(c.gateway().privateUpstreams()).isEqualTo(GatehouseConfig.PrivateUpstreams.INSTANCE);
        assertThat(c.credits().charges()).isEqualTo(GatehouseConfig.Charges.JOURNAL);
        assertThat(c.credits().journalDir()).isEqualTo(Path.of("/tmp/gh-defaults/credits-journal"));
        assertThat(c.credits().journalBytes()).isEqualTo(64 << 20);
    }

    @Test
    void theChargeJournalsSizeIsBoundedAndEightByteAligned() {
        GatehouseConfig c = GatehouseConfig.from(Settings.of(Map.of("data-dir", "/tmp/gh", "credits.journal-bytes",
                "2000003")));
        assertThat(c.credits().journalBytes()).isEqualTo(2_000_000);
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("data-dir", "/tmp/gh",
                "credits.journal-bytes", "65536")))).hasMessageContaining("credits.journal-bytes");
    }

    private static GatehouseConfig.Plan.Access access(String permission) {
        return GatehouseConfig.Plan.Access.neededFor(Optional.of(permission));
    }

    @Test
    void aPlanGatesMcpAndApiApartAndACallNamingNeitherNeedsEither() throws Exception {
        Settings s = Settings.load(Optional.empty(), Map.of("GATEHOUSE_PLANS_FREE_MCP_ACCESS", "true",
                "GATEHOUSE_PLANS_FREE_API_ACCESS", "false", "GATEHOUSE_PLANS_STARTER_MCP_ACCESS", "false",
                "GATEHOUSE_PLANS_STARTER_API_ACCESS", "false", "GATEHOUSE_PLANS_TEAM_API_ACCESS", "true",
                "GATEHOUSE_PLANS_LEGACY_API_ACCESS", "false"), Map.of());
        GatehouseConfig.Plans plans = GatehouseConfig.from(s).plans();
        GatehouseConfig.Plan free = plans.find("free").orElseThrow();
        assertThat(free.allows(access("mcp:use"))).isTrue();
        assertThat(free.allows(access("api:read"))).isFalse();
        assertThat(free.allows(access("api:write"))).isFalse();
        assertThat(free.allows(GatehouseConfig.Plan.Access.neededFor(Optional.empty()))).isTrue();
        GatehouseConfig.Plan starter = plans.find("starter").orElseThrow();
        assertThat(starter.allows(GatehouseConfig.Plan.Access.neededFor(Optional.empty()))).isFalse();
        assertThat(starter.allows(access("mcp:use"))).isFalse();
        GatehouseConfig.Plan team = plans.find("team").orElseThrow();
        assertThat(team.mcpAccess()).as("mcp-access follows api-access").isTrue();
        assertThat(team.allows(access("api:write"))).isTrue();
        GatehouseConfig.Plan legacy = plans.find("legacy").orElseThrow();
        assertThat(legacy.mcpAccess()).as("api-access = false alone still closes the whole data plane").isFalse();
        assertThat(legacy.allows(GatehouseConfig.Plan.Access.neededFor(Optional.empty()))).isFalse();
    }

    @Test
    void environmentOverridesTheFileAndOverridesWin() throws Exception {
        Path file = Files.createTempFile("gatehouse", ".conf");
        Files.writeString(file, "http.port=9000\nkeys.prefix=pmcp_\nplans.business.api-access=true\n");
        Settings s = Settings.load(Optional.of(file), Map.of("GATEHOUSE_HTTP_PORT", "9100",
                "GATEHOUSE_DATA_DIR", "/tmp/gh-env", "GATEHOUSE_PLANS_FREE_API_ACCESS", "false",
                "GATEHOUSE_DATABASE_URL", "postgres://gh:s%40cret@db.internal:5433/gatehouse"), Map.of("log.level", "debug"));
        GatehouseConfig c = GatehouseConfig.from(s);
        assertThat(c.http().port()).isEqualTo(9100);
        assertThat(c.keys().prefix()).isEqualTo("pmcp_");
        assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/gh-env"));
        assertThat(c.plans().find("free").orElseThrow().apiAccess()).isFalse();
        assertThat(c.plans().find("business").orElseThrow().apiAccess()).isTrue();
        assertThat(c.database().url()).isEqualTo("jdbc:postgresql://db.internal:5433/gatehouse");
        assertThat(c.database().user()).contains("gh");
        assertThat(c.database().password()).contains("s@cret");
        assertThat(c.database().toString()).doesNotContain("s@cret");
        assertThat(c.logLevel()).isEqualTo("DEBUG");
    }

    @Test
    void badValuesStopStartUpNamingTheSetting() {
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.load(Optional.empty(),
                Map.of("GATEHOUSE_HTTP_PORT", "eighty"), Map.of())))
                .isInstanceOf(ConfigException.class).hasMessageContaining("GATEHOUSE_HTTP_PORT");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("http.port", "70000"))))
                .hasMessageContaining("http.port");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("keys.prefix", "no spaces "))))
                .hasMessageContaining("keys.prefix");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("database.url", "mysql://x"))))
                .hasMessageContaining("database.url");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("htp.port", "1"))))
                .hasMessageContaining("unknown setting htp.port");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("plans.default", "gold"))))
                .hasMessageContaining("no plan named 'gold'");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("keys.hash-secret", "short"))))
                .hasMessageContaining("keys.hash-secret");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.load(Optional.empty(),
                Map.of("GATEHOUSE_SECRET_KEY", "short"), Map.of()))).hasMessageContaining("GATEHOUSE_SECRET_KEY");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("gateway.allowed-origins",
                "https://ok.example, https://bad.example/path")))).hasMessageContaining("gateway.allowed-origins");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("http.public-url", "https://gh.example/auth"))))
                .hasMessageContaining("http.public-url").hasMessageContaining("no path");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("signin.providers.corp.issuer",
                "http://idp.example", "signin.providers.corp.client-id", "a", "signin.providers.corp.client-secret", "b"))))
                .hasMessageContaining("signin.providers.corp.issuer");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("oauth.redirect-schemes", "cursor,javascript"))))
                .hasMessageContaining("oauth.redirect-schemes");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("oauth.access-token-ttl", "10s"))))
                .hasMessageContaining("oauth.access-token-ttl");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("gateway.assertion-ttl", "2s"))))
                .hasMessageContaining("gateway.assertion-ttl");
        assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("gateway.private-upstreams", "org"))))
                .hasMessageContaining("gateway.private-upstreams");
        for (String[] bad : new String[][]{{"10.0.0.0/33", "has a prefix outside 0 to 32"},
                {"fd00::/129", "has a prefix outside 0 to 128"}, {"10.1.2.3/16", "has bits set past its prefix"},
                {"intranet.example", "is not an IP address"}, {"10.0.0/8", "is not an IP address"},
                {"10.0.0.0/-1", "has a prefix outside"}}) {
            assertThatThrownBy(() -> GatehouseConfig.from(Settings.of(Map.of("gateway.private-upstream-ranges",
                    "192.168.0.0/16, " + bad[0])))).as(bad[0]).hasMessageContaining("gateway.private-upstream-ranges")
                    .hasMessageContaining("'" + bad[0] + "' " + bad[1]);
        }
    }

    @Test
    void gatewaySettingsWhenGivenThenParsed() {
        GatehouseConfig c = GatehouseConfig.from(Settings.load(Optional.empty(), Map.of(
                "GATEHOUSE_GATEWAY_ALLOWED_ORIGINS", "https://claude.ai, https://chatgpt.com",
                "GATEHOUSE_GATEWAY_ASSERTION_TTL", "90s", "GATEHOUSE_GATEWAY_PRIVATE_UPSTREAMS", "any"), Map.of()));
        assertThat(c.gateway().allowedOrigins()).containsExactly("https://claude.ai", "https://chatgpt.com");
        assertThat(c.gateway().privateUpstreams()).isEqualTo(GatehouseConfig.PrivateUpstreams.ANY);
        assertThat(c.gateway().assertionTtl()).hasSeconds(90);
        assertThat(c.gateway().privateUpstreamRanges()).isEmpty();
        assertThat(c.secretKey()).isEmpty();
        assertThat(GatehouseConfig.from(Settings.of(Map.of("gateway.private-upstream-ranges", " 10.20.0.0/16,fd00:1::/64 ,"
                + "192.168.7.7"))).gateway().privateUpstreamRanges()).extracting(Object::toString)
                .containsExactly("10.20.0.0/16", "fd00:1::/64", "192.168.7.7");
    }

    @Test
    void theCliClientsVariablesAreNotNodeSettings() {
        GatehouseConfig c = GatehouseConfig.from(Settings.load(Optional.empty(), Map.of(
                "GATEHOUSE_URL", "http://127.0.0.1:8080", "GATEHOUSE_ADMIN_KEY", "gk_live_x", "GATEHOUSE_HTTP_PORT", "9001"),
                Map.of()));
        assertThat(c.http().port()).isEqualTo(9001);
    }

    @Test
    void durationsAcceptUnitsAndIso() {
        assertThat(GatehouseConfig.simpleDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(GatehouseConfig.simpleDuration("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(GatehouseConfig.simpleDuration("PT1H")).isEqualTo(Duration.ofHours(1));
    }
}
