package io.gatehouse.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RateLimitHeadersTest {
    private static final long T0 = 5_000_000_000L;
    private static final long SECOND = 1_000_000_000L;

    private final Limit key = new Limit("key", "key_a", Rate.parse("100/min"));
    private final Limit org = new Limit("org", "org_a", Rate.parse("1000/min"));
    private final Limit daily = new Limit("per-day_2", "key_a", Rate.parse("20000/day"));

    @Test
    void policyListsEachLimitsQuotaAndWindowInOrder() {
        assertThat(RateLimitHeaders.policy(List.of(key, org))).isEqualTo("\"key\";q=100;w=60, \"org\";q=1000;w=60");
        assertThat(RateLimitHeaders.policy(List.of(daily))).isEqualTo("\"per-day_2\";q=20000;w=86400");
    }

    @Test
    void limitListsWhatIsLeftAndForHowLongAsTheLimiterAnswered() {
        RateLimiter limiter = new RateLimiter();
        Limit once = new Limit("key", "key_a", Rate.parse("1/min"));
        limiter.take(once, T0);
        Outcome denied = limiter.take(once, T0 + 43 * SECOND);
        Outcome allowed = limiter.take(org, T0);

        assertThat(RateLimitHeaders.limit(List.of(denied))).isEqualTo("\"key\";r=0;t=17");
        assertThat(RateLimitHeaders.limit(List.of(denied, allowed))).isEqualTo("\"key\";r=0;t=17, \"org\";r=999;t=1");
    }

    @Test
    void retryAfterOfADenialIsItsWaitInSeconds() {
        assertThat(RateLimitHeaders.retryAfter(new Outcome(key, false, 0, 17))).isEqualTo("17");
        assertThatThrownBy(() -> RateLimitHeaders.retryAfter(new Outcome(key, true, 3, 17)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anEmptyListHasNoFieldValue() {
        assertThatThrownBy(() -> RateLimitHeaders.policy(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RateLimitHeaders.limit(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
