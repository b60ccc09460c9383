package io.gatehouse.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RateTest {
    @ParameterizedTest
    @CsvSource({
            "100/60s,    100, 60,    100/min",
            "100/min,    100, 60,    100/min",
            "100/m,      100, 60,    100/min",
            "10/s,       10,  1,     10/s",
            "10/sec,     10,  1,     10/s",
            "5000/h,     5000, 3600, 5000/h",
            "5/hour,     5,   3600,  5/h",
            "20000/day,  20000, 86400, 20000/day",
            "3/d,        3,   86400, 3/day",
            "100/90s,    100, 90,    100/90s",
            "100/120s,   100, 120,   100/2min",
            "1/7200s,    1,   7200,  1/2h",
            "1/86400s,   1,   86400, 1/day",
            "1000000000/s, 1000000000, 1, 1000000000/s",
            "'  7/2min ', 7,  120,   7/2min",
    })
    void parseReadsEachFormAndToStringGivesTheCanonicalOne(String text, long count, long seconds, String canonical) {
        Rate rate = Rate.parse(text);

        assertThat(rate).isEqualTo(new Rate(count, Duration.ofSeconds(seconds)));
        assertThat(rate).hasToString(canonical);
        assertThat(Rate.parse(rate.toString())).isEqualTo(rate);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "100", "100/", "/min", "100/fortnight", "100/minute", "100/MIN", "100 /min",
            "1e3/s", "-1/s", "100/ms", "100/500ms", "100/1.5s", "100/min/s"})
    void parseWhenNotARateThenSaysWhatWasExpected(String text) {
        assertThatThrownBy(() -> Rate.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "' is not a rate")
                .hasMessageContaining("100/min");
    }

    @ParameterizedTest
    @CsvSource({
            "0/min,          count must be 1 to 1000000000",
            "1000000001/s,   count must be 1 to 1000000000",
            "100/0s,         window must be whole seconds from 1s to 1 day",
            "100/86401s,     window must be whole seconds from 1s to 1 day",
            "100/25h,        window must be whole seconds from 1s to 1 day",
            "100/2day,       window must be whole seconds from 1s to 1 day",
    })
    void parseWhenOutOfRangeThenNamesTheRange(String text, String message) {
        assertThatThrownBy(() -> Rate.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "' is not a rate")
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 999, 1_500, 86_400_001})
    void aWindowOfPartSecondsOrBeyondADayIsRefused(long millis) {
        assertThatThrownBy(() -> new Rate(10, Duration.ofMillis(millis)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("whole seconds from 1s to 1 day");
    }

    @ParameterizedTest
    @CsvSource({
            "10/min,   10/min,  true",
            "5/min,    10/min,  true",
            "10/h,     10/min,  true",
            "1/day,    10/s,    true",
            "11/min,   10/min,  false",
            "10/30s,   10/min,  false",
            "600/h,    10/min,  false",
            "5/30s,    10/min,  false",
    })
    void noLooserThanOnlyWhenCountAtMostAndWindowAtLeast(String wanted, String ceiling, boolean within) {
        assertThat(Rate.parse(wanted).noLooserThan(Rate.parse(ceiling))).isEqualTo(within);
    }
}
