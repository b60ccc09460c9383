package io.gatehouse.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LimitTest {
    private static final Rate RATE = Rate.parse("10/s");

    @ParameterizedTest
    @ValueSource(strings = {"key", "org", "per-day_2", "a",
            "0123456789012345678901234567890123456789012345678901234567890123"})
    void aPolicyNameOfLowerCaseLettersDigitsUnderscoresAndDashesIsTaken(String policy) {
        assertThat(new Limit(policy, "key_a", RATE).policy()).isEqualTo(policy);
    }

    /** Each would need escaping, or could not be written at all, in the sf-string of the RateLimit fields. */
    @ParameterizedTest
    @ValueSource(strings = {"", "Key", "a\"b", "a\\b", "a b", "a,b", "a;b", "é",
            "01234567890123456789012345678901234567890123456789012345678901234"})
    void anyOtherPolicyNameIsRefused(String policy) {
        assertThatThrownBy(() -> new Limit(policy, "key_a", RATE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("policy name");
    }

    @Test
    void anEmptyKeyIsRefused() {
        assertThatThrownBy(() -> new Limit("key", "", RATE)).isInstanceOf(IllegalArgumentException.class);
    }
}
