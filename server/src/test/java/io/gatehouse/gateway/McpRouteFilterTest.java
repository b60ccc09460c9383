package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The tools/list filter on Server-Sent Events: what it cannot read as the client would, it never passes on. */
class McpRouteFilterTest {
    private static final String LIST = "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"tools\":[{\"name\":\"echo\"},{\"name\":\"secret\"}]}}";
    private static final Set<String> IDS = Set.of("3");
    private static final Predicate<String> ECHO_ONLY = "echo"::equals;

    @Test
    void anEventOfLfOrCrlfLinesIsFiltered() {
        for (String event : new String[] {"event: message\ndata: " + LIST + "\n\n", "event: message\r\ndata: " + LIST + "\r\n\r\n"}) {
            String out = McpRoute.filterEvent(event, IDS, ECHO_ONLY);
            assertThat(out).contains("echo").doesNotContain("secret").startsWith("event: message\n");
        }
    }

    @Test
    void aBareCrOrAByteOrderMarkThatCouldHideADataLineIsRefused() {
        // A client ends a line at a bare CR: "data:" is its own line there, not part of "event:".
        assertThatThrownBy(() -> McpRoute.filterEvent("event: message\rdata: " + LIST + "\r\n\n", IDS, ECHO_ONLY))
                .isInstanceOf(UncheckedIOException.class);
        assertThatThrownBy(() -> McpRoute.filterEvent("data: " + LIST + "\r", IDS, ECHO_ONLY))
                .isInstanceOf(UncheckedIOException.class);
        // A client drops a byte order mark at the stream's start, and reads the data line after it.
        assertThatThrownBy(() -> McpRoute.filterEvent("\uFEFFdata: " + LIST + "\n\n", IDS, ECHO_ONLY))
                .isInstanceOf(UncheckedIOException.class);
    }

    @Test
    void anEventWithoutDataOrWithAnotherAnswerPassesAsItCame() {
        assertThat(McpRoute.filterEvent(": keep-alive\n\n", IDS, ECHO_ONLY)).isEqualTo(": keep-alive\n\n");
        String other = "data: {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}\n\n";
        assertThat(McpRoute.filterEvent(other, IDS, ECHO_ONLY)).isEqualTo(other);
    }
}
