package io.gatehouse.examples;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

final class JobStoreTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-22T07:00:00Z"));
    private final JobStore jobs = new JobStore(Duration.ofSeconds(1), clock);

    @Test
    void statusWhenYoungerThanRunTimeThenRunning() {
        JobStore.Job job = jobs.create("p");
        clock.advance(Duration.ofMillis(999));
        assertThat(jobs.status(job)).isEqualTo(JobStore.Status.RUNNING);
    }

    @Test
    void statusWhenRunTimeHasPassedThenSucceeded() {
        JobStore.Job job = jobs.create("p");
        clock.advance(Duration.ofSeconds(1));
        assertThat(jobs.status(job)).isEqualTo(JobStore.Status.SUCCEEDED);
    }

    @Test
    void createGivesDistinctIdsThatFindReturns() {
        JobStore.Job first = jobs.create("a");
        JobStore.Job second = jobs.create("b");
        assertThat(first.id()).isNotEqualTo(second.id()).startsWith("job_");
        assertThat(jobs.find(first.id())).contains(first);
        assertThat(jobs.find("job_unknown")).isEmpty();
    }

    private static final class ManualClock extends Clock {
        private Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
