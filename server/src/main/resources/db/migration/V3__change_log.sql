-- Changes that invalidate cached answers, for the processes sharing a SQLite file (a server and the
-- local-store CLI, say): each change is a row, written in the transaction that makes it, and every
-- process reads the rows past the last one it saw. PostgreSQL carries the same payloads with
-- LISTEN/NOTIFY and leaves this table empty. Rows older than ten minutes are pruned; the newest is
-- always kept, so that seq (SQLite's rowid) never starts over.
CREATE TABLE change_log (
  seq        INTEGER       PRIMARY KEY,
  payload    VARCHAR(200)  NOT NULL,   -- as Invalidation.payload(): credential:<hash>, user:<id>, org:<id>, servers, all
  created_at BIGINT        NOT NULL
);
