-- How far into each node's charge journal the database has applied: portable SQL, as in V1.
-- docs/billing.md ("Where a charge is kept") explains the journal.

-- A node writes each charge to its journal (a file) before the call is answered, and applies the
-- journal to the ledger in batches. Each batch moves flushed_to (a byte position in the journal) in
-- its own transaction, so a journal replayed after a crash applies every charge exactly once.
-- The row goes when the journal does: at the node's clean stop, or once another node replayed it.
CREATE TABLE credit_journals (
  node        VARCHAR(64) PRIMARY KEY,
  flushed_to  BIGINT      NOT NULL,
  updated_at  BIGINT      NOT NULL
);
