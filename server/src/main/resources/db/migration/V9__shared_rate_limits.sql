-- Rate limits shared across nodes through the database (rate-limits.store = database, the default).
-- One row per limit that some node used lately: the bucket's theoretical arrival time (GCRA), in
-- microseconds since the epoch. Each node decides from its own memory and, every rate-limits.sync,
-- adds what it admitted to this row and reads back what every node admitted. A row whose time is
-- long past holds nothing (the bucket is full again) and is pruned.
CREATE TABLE rate_limit_buckets (
  id   VARCHAR(200) PRIMARY KEY,
  tat  BIGINT       NOT NULL
);
CREATE INDEX rate_limit_buckets_tat ON rate_limit_buckets (tat);
