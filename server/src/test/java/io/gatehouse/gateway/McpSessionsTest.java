package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class McpSessionsTest {
    private final McpSessions sessions = new McpSessions("a-node-secret-of-at-least-32-bytes!".getBytes(StandardCharsets.UTF_8));

    @Test
    void unwrapWhenSameBindingThenUpstreamId() {
        String wrapped = sessions.wrap("upstream-session-1", "srv_1\nusr_1\nkey_1");
        assertThat(wrapped).startsWith("gh1.").doesNotContain("upstream-session-1");
        assertThat(sessions.unwrap(wrapped, "srv_1\nusr_1\nkey_1")).contains("upstream-session-1");
    }

    @Test
    void unwrapWhenOtherCredentialThenEmpty() {
        String wrapped = sessions.wrap("upstream-session-1", "srv_1\nusr_1\nkey_1");
        assertThat(sessions.unwrap(wrapped, "srv_1\nusr_1\nkey_2")).isEmpty();
        assertThat(sessions.unwrap(wrapped, "srv_2\nusr_1\nkey_1")).isEmpty();
        assertThat(sessions.unwrap(wrapped, "srv_1\nanonymous")).isEmpty();
    }

    @Test
    void unwrapWhenTamperedOrForeignThenEmpty() {
        String wrapped = sessions.wrap("abc", "b");
        String otherId = sessions.wrap("abd", "b");
        String spliced = otherId.substring(0, otherId.lastIndexOf('.')) + wrapped.substring(wrapped.lastIndexOf('.'));
        assertThat(sessions.unwrap(spliced, "b")).isEmpty();
        assertThat(sessions.unwrap("abc", "b")).isEmpty();
        assertThat(sessions.unwrap("gh1.!!!.x", "b")).isEmpty();
        assertThat(sessions.unwrap("gh1.nodot", "b")).isEmpty();
        McpSessions otherNode = new McpSessions("another-node-secret-of-32-bytes-or-more".getBytes(StandardCharsets.UTF_8));
        assertThat(otherNode.unwrap(wrapped, "b")).isEmpty();
    }
}
