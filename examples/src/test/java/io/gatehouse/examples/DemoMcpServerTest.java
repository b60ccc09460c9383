package io.gatehouse.examples;

import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.HeaderAccessor;
import io.modelcontextprotocol.server.transport.ServerTransportSecurityException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The DNS-rebinding policy in front of /mcp (MCP 2025-11-25, basic/transports, "Security Warning"). */
final class DemoMcpServerTest {

    @Test
    void loopbackBindAcceptsLoopbackHostsAndOrigins() {
        DefaultServerTransportSecurityValidator policy = DemoMcpServer.originPolicy("127.0.0.1");
        for (String host : List.of("127.0.0.1:9090", "localhost:9090", "[::1]:9090", "localhost")) {
            assertThatCode(() -> policy.validate(headers(Map.of("Host", host)))).doesNotThrowAnyException();
        }
        assertThatCode(() -> policy.validate(headers(Map.of("Host", "127.0.0.1:9090",
                "Origin", "http://localhost:6274")))).doesNotThrowAnyException();
    }

    @Test
    void loopbackBindRefusesAForeignHost() {
        assertThatThrownBy(() -> DemoMcpServer.originPolicy("127.0.0.1")
                .validate(headers(Map.of("Host", "evil.example.com"))))
                .isInstanceOfSatisfying(ServerTransportSecurityException.class,
                        e -> assertThat(e.getStatusCode()).isEqualTo(421));
    }

    @Test
    void anyBindRefusesAForeignOrigin() {
        for (String bind : List.of("127.0.0.1", "0.0.0.0")) {
            assertThatThrownBy(() -> DemoMcpServer.originPolicy(bind).validate(headers(Map.of(
                    "Host", "127.0.0.1:9090", "Origin", "http://evil.example.com"))))
                    .isInstanceOfSatisfying(ServerTransportSecurityException.class,
                            e -> assertThat(e.getStatusCode()).isEqualTo(403));
        }
    }

    @Test
    void wildcardBindCannotKnowItsNamesSoLeavesHostAlone() {
        assertThatCode(() -> DemoMcpServer.originPolicy("0.0.0.0")
                .validate(headers(Map.of("Host", "upstream.internal:9090")))).doesNotThrowAnyException();
    }

    /** Header names compared without case, as HTTP has them. */
    private static HeaderAccessor headers(Map<String, String> values) {
        return new HeaderAccessor() {
            @Override
            public List<String> getHeader(String name) {
                return values.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                        .map(Map.Entry::getValue).toList();
            }

            @Override
            public List<String> getHeaderNames() {
                return List.copyOf(values.keySet());
            }
        };
    }
}
