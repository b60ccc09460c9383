package io.gatehouse.examples;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Jobs of the demo job API, in memory. A job has no worker: its state is a function of its age
 * (running until {@code runTime} has passed, then succeeded), so polling is all it takes.
 */
final class JobStore {
    /** Past this many jobs, finished ones older than {@link #RETENTION} are dropped (benchmarks create many). */
    private static final int PURGE_ABOVE = 10_000;
    private static final Duration RETENTION = Duration.ofMinutes(10);

    enum Status { RUNNING, SUCCEEDED }

    record Job(String id, String prompt, Instant createdAt) {
    }

    private final ConcurrentMap<String, Job> jobs = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final AtomicLong lastPurgeMillis = new AtomicLong();
    private final Duration runTime;
    private final Clock clock;

    JobStore(Duration runTime, Clock clock) {
        this.runTime = runTime;
        this.clock = clock;
    }

    Job create(String prompt) {
        purgeIfLarge();
        byte[] bytes = new byte[12];
        random.nextBytes(bytes);
        Job job = new Job("job_" + HexFormat.of().formatHex(bytes), prompt, clock.instant());
        jobs.put(job.id(), job);
        return job;
    }

    Optional<Job> find(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    Status status(Job job) {
        return clock.instant().isBefore(job.createdAt().plus(runTime)) ? Status.RUNNING : Status.SUCCEEDED;
    }

    private void purgeIfLarge() {
        long now = clock.millis();
        long last = lastPurgeMillis.get();
        // At most one sweep a second, so a flood of creations never turns into a flood of sweeps.
        if (jobs.size() <= PURGE_ABOVE || now - last < 1_000 || !lastPurgeMillis.compareAndSet(last, now)) {
            return;
        }
        Instant cutoff = clock.instant().minus(runTime).minus(RETENTION);
        jobs.values().removeIf(job -> job.createdAt().isBefore(cutoff));
    }
}
