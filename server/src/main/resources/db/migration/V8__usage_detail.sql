-- Usage an operator can act on: refusals by kind, and where and when each credential was last used.
-- Portable SQL, as in V1. docs/billing.md explains the counts; docs/storage.md shows a row.

-- Errors by kind. The four kinds do not overlap: a call refused by a rate limit (429) is counted in
-- rate_limited only, one refused for want of credits (402) in unpaid only; client_errors keeps the
-- other 4xx (refused by Gatehouse past the door, or by the upstream), server_errors the 5xx,
-- unreachable upstreams and timeouts. Rows written before V8 counted 429s and 402s as client_errors.
ALTER TABLE usage_minutes ADD COLUMN rate_limited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minutes ADD COLUMN unpaid BIGINT NOT NULL DEFAULT 0;
-- The row's last call (epoch ms) and the client address it came from, kept by each node in memory
-- and written with the counts; of two nodes' batches, the later call wins. NULL on rows before V8.
ALTER TABLE usage_minutes ADD COLUMN last_used_at BIGINT;
ALTER TABLE usage_minutes ADD COLUMN last_used_ip VARCHAR(64);

-- Usage and alerts older than usage.retention are deleted, oldest first, by every node's sweep;
-- usage_minutes' primary key starts with minute, alerts need this.
CREATE INDEX alerts_created ON alerts (created_at);
