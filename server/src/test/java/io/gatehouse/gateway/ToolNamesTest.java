package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.door.Targets;
import io.gatehouse.limits.Rate;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The names calls are counted under, at chosen instants: the bound per credential, server and minute. */
class ToolNamesTest {
    static final long MINUTE = 60_000;
    static final long T0 = 1_796_000_000_000L - 1_796_000_000_000L % MINUTE;

    static Server server(String id) {
        return new Server(id, Optional.empty(), id, id, Server.Kind.MCP, URI.create("http://127.0.0.1:9/mcp"),
                Optional.empty(), false, false, Targets.ALL, Set.of(), 1, Map.of("priced", 5L), Optional.empty(),
                Map.of("limited", Rate.parse("10/min")), Server.UpstreamAuth.ASSERTION, Optional.empty(),
                Duration.ofSeconds(5), Duration.ofSeconds(30), Instant.EPOCH, Instant.EPOCH);
    }

    static List<String> label(ToolNames names, String credential, Server server, String prefix, int count, long at) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(names.label(credential, server, prefix + i, at));
        }
        return out;
    }

    @Test
    void aHundredNamesACredentialAndServerAMinuteThenOther() {
        ToolNames names = new ToolNames();
        Server s = server("srv_a");
        List<String> first = label(names, "key_a", s, "made_up_", 105, T0 + 1000);
        assertThat(first.subList(0, 100)).as("the first hundred: their own names")
                .allMatch(n -> n.startsWith("made_up_")).doesNotHaveDuplicates();
        assertThat(first.subList(100, 105)).containsOnly(ToolNames.OTHER);
        assertThat(names.label("key_a", s, "made_up_7", T0 + 2000)).as("a name it had").isEqualTo("made_up_7");
        assertThat(names.label("key_a", s, "priced", T0 + 2000)).as("priced: always its own").isEqualTo("priced");
        assertThat(names.label("key_a", s, "limited", T0 + 2000)).as("rate-limited: always its own")
                .isEqualTo("limited");
        assertThat(names.label("key_a", s, "", T0 + 2000)).as("no tool").isEmpty();

        assertThat(names.label("key_b", s, "made_up_200", T0 + 2000)).as("another credential").isEqualTo("made_up_200");
        assertThat(names.label("key_a", server("srv_b"), "made_up_200", T0 + 2000)).as("another server")
                .isEqualTo("made_up_200");
        assertThat(names.label("key_a", s, "made_up_200", T0 + MINUTE)).as("the next minute starts afresh")
                .isEqualTo("made_up_200");
    }

    @Test
    void aLateReadingOfTheClockDoesNotStartTheMinuteOver() {
        ToolNames names = new ToolNames();
        Server s = server("srv_a");
        label(names, "key_a", s, "now_", 100, T0 + MINUTE + 5);
        assertThat(names.label("key_a", s, "late", T0 + MINUTE - 5)).as("a reading from the minute before, "
                + "counted in this one").isEqualTo(ToolNames.OTHER);
        assertThat(names.label("key_a", s, "now_next", T0 + MINUTE + 10)).as("this minute's names were kept")
                .isEqualTo(ToolNames.OTHER);
    }
}
