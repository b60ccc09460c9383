-- What calls cost and what was used: trials, the credit pool and its ledger, usage by the minute,
-- and alerts. Portable SQL, as in V1. docs/billing.md explains each table; docs/storage.md shows rows.

-- A trial ends on a date: until then the organization is on its plan, from then on the plan's
-- `after-trial` plan. The door compares the date with the clock, so the end needs no write.
ALTER TABLE organizations ADD COLUMN trial_ends_at BIGINT;
-- When the organization first bought credits: a plan may entitle such organizations (seed 002).
ALTER TABLE organizations ADD COLUMN credits_purchased_at BIGINT;

-- Each server's prices past its credit_cost: for an MCP server, by tool name; for an HTTP API
-- server, by path prefix ("/v1/jobs"). JSON object of name -> credits; 0 makes it free.
ALTER TABLE servers ADD COLUMN costs TEXT;
-- Requests each credential may make to this server, as 100/min; NULL for none.
ALTER TABLE servers ADD COLUMN rate_limit VARCHAR(32);

-- One pool per organization. Its balance is allocation + purchased: what is left of this cycle's
-- monthly allocation (spent first, not carried over), and purchased credits (kept until spent).
-- Neither goes below zero: a lease takes credits only while they are there.
CREATE TABLE credit_pools (
  org_id        VARCHAR(40) PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  allocation    BIGINT      NOT NULL CHECK (allocation >= 0),
  purchased     BIGINT      NOT NULL CHECK (purchased >= 0),
  cycle_started_at BIGINT   NOT NULL,
  cycle_ends_at BIGINT      NOT NULL,
  updated_at    BIGINT      NOT NULL
);

-- A block of credits one node took from a pool to spend from memory. spent is what its charges
-- net of refunds took (each also a ledger row); a charge is written only while the lease is open,
-- so once closed_at is set, granted - spent is exactly what went back to the pool. The node returns
-- it or, once expires_at (plus a grace) has passed, any node reaps it.
CREATE TABLE credit_leases (
  id              VARCHAR(40) PRIMARY KEY,
  org_id          VARCHAR(40) NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  node            VARCHAR(64) NOT NULL,
  from_allocation BIGINT      NOT NULL,
  from_purchased  BIGINT      NOT NULL,
  spent           BIGINT      NOT NULL DEFAULT 0,
  cycle           BIGINT      NOT NULL,          -- the pool's cycle_started_at when taken
  created_at      BIGINT      NOT NULL,
  expires_at      BIGINT      NOT NULL,
  closed_at       BIGINT
);
CREATE INDEX credit_leases_open ON credit_leases (closed_at, expires_at);

-- Every movement of credits. pool_delta changes the pool's balance, lease_delta a lease's credits:
--   grant +a/0, expire -a/0, purchase +p/0, adjust ±n/0, lease -n/+n, return +r/-r, charge 0/-c,
--   refund 0/+c. The charges (and refunds) one node commits together for one lease, credential,
--   server and tool are one row, with their number in calls: every charge is in the ledger, and a
--   busy node writes a row per batch rather than per call.
-- So a pool's balance is the sum of its pool_delta, and a lease's credits left the sum of its lease_delta.
CREATE TABLE credit_ledger (
  id              VARCHAR(40)  PRIMARY KEY,
  org_id          VARCHAR(40)  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  kind            VARCHAR(16)  NOT NULL,
  pool_delta      BIGINT       NOT NULL,
  lease_id        VARCHAR(40),
  lease_delta     BIGINT       NOT NULL,
  call_id         VARCHAR(64),               -- the call, when the row is one call's charge or refund
  calls           INTEGER      NOT NULL DEFAULT 0, -- how many calls a charge or refund row holds
  credential_id   VARCHAR(40),
  server_id       VARCHAR(40),
  tool            VARCHAR(128),
  idempotency_key VARCHAR(200),              -- a purchase's, as the payment system or the caller named it
  note            VARCHAR(500),
  created_at      BIGINT       NOT NULL
);
-- Charges are written all the time: they touch the primary key and the organization's index only.
CREATE INDEX credit_ledger_org ON credit_ledger (org_id, id);
CREATE UNIQUE INDEX credit_ledger_idempotency ON credit_ledger (org_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Usage by the minute: one row per minute, credential, server and tool that saw calls. Hours and
-- days are sums of minutes. Written in batches by each node; two nodes add to the same row.
CREATE TABLE usage_minutes (
  minute        BIGINT       NOT NULL,        -- epoch ms at the start of the minute
  org_id        VARCHAR(40)  NOT NULL,
  credential_id VARCHAR(40)  NOT NULL,        -- key_… or grant_…
  server_id     VARCHAR(40)  NOT NULL,        -- '' for calls to no server (verify, whoami)
  tool          VARCHAR(128) NOT NULL,        -- '' for calls that name no tool
  calls         BIGINT       NOT NULL,
  client_errors BIGINT       NOT NULL,        -- refused by Gatehouse or a 4xx from the upstream
  server_errors BIGINT       NOT NULL,        -- 5xx, unreachable, timeout
  credits       BIGINT       NOT NULL,        -- charged, net of refunds
  PRIMARY KEY (minute, credential_id, server_id, tool)
);
CREATE INDEX usage_minutes_org ON usage_minutes (org_id, minute);

-- Something unusual about a credential, with what showed it.
CREATE TABLE alerts (
  id            VARCHAR(40)  PRIMARY KEY,
  org_id        VARCHAR(40)  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  credential_id VARCHAR(40)  NOT NULL,
  kind          VARCHAR(32)  NOT NULL,        -- burst | error_spike | new_network
  evidence      TEXT         NOT NULL,        -- JSON
  created_at    BIGINT       NOT NULL,
  delivered_at  BIGINT
);
CREATE INDEX alerts_org ON alerts (org_id, created_at);

-- The networks each credential was used from (an IPv4 /24, an IPv6 /48): a new one is an alert.
CREATE TABLE credential_networks (
  credential_id VARCHAR(40) NOT NULL,
  network       VARCHAR(64) NOT NULL,
  first_seen_at BIGINT      NOT NULL,
  PRIMARY KEY (credential_id, network)
);
