-- Gatehouse foundation schema. Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Times are epoch milliseconds (BIGINT); flags are INTEGER 0/1; lists are space-separated TEXT.
-- docs/storage.md shows each table with example rows at each stage of their life.

CREATE TABLE users (
  id             VARCHAR(40)  PRIMARY KEY,
  email          VARCHAR(320) NOT NULL,
  name           VARCHAR(200),
  instance_admin INTEGER      NOT NULL DEFAULT 0,
  created_at     BIGINT       NOT NULL,
  disabled_at    BIGINT
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE organizations (
  id                    VARCHAR(40)  PRIMARY KEY,
  name                  VARCHAR(200) NOT NULL,
  plan                  VARCHAR(64)  NOT NULL,
  one_key_per_user      INTEGER      NOT NULL DEFAULT 0,
  max_key_lifetime_days INTEGER,
  created_at            BIGINT       NOT NULL
);

CREATE TABLE memberships (
  org_id     VARCHAR(40) NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id    VARCHAR(40) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       VARCHAR(16) NOT NULL,
  created_at BIGINT      NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE workspaces (
  id         VARCHAR(40)  PRIMARY KEY,
  org_id     VARCHAR(40)  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name       VARCHAR(200) NOT NULL,
  created_at BIGINT       NOT NULL
);
CREATE INDEX workspaces_org ON workspaces (org_id);

CREATE TABLE workspace_members (
  workspace_id VARCHAR(40) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      VARCHAR(40) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   BIGINT      NOT NULL,
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

-- One row per secret. Rolling a key makes a new row and gives the old one an expiry.
CREATE TABLE api_keys (
  id               VARCHAR(40)  PRIMARY KEY,
  org_id           VARCHAR(40)  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id          VARCHAR(40)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name             VARCHAR(200) NOT NULL,
  kind             VARCHAR(16)  NOT NULL,   -- standard | legacy
  secret_hash      VARCHAR(64)  NOT NULL,   -- hex SHA-256 of the plaintext (HMAC-keyed when configured)
  display_prefix   VARCHAR(64)  NOT NULL,   -- product prefix + first characters, safe to show
  last4            VARCHAR(8),
  scope_workspaces TEXT         NOT NULL,   -- '*' or workspace ids
  scope_servers    TEXT         NOT NULL,   -- '*' or server ids
  permissions      TEXT         NOT NULL,
  created_at       BIGINT       NOT NULL,
  created_by       VARCHAR(40),
  expires_at       BIGINT,
  revoked_at       BIGINT,
  revoked_reason   VARCHAR(32),
  deleted_at       BIGINT,
  rolled_from      VARCHAR(40),
  imported         INTEGER      NOT NULL DEFAULT 0,
  last_used_at     BIGINT,
  last_used_ip     VARCHAR(64),
  use_count        BIGINT       NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (secret_hash);
CREATE INDEX api_keys_user ON api_keys (user_id);
CREATE INDEX api_keys_org ON api_keys (org_id);

-- Prefixes of imported keys: a credential that fails Gatehouse's own checksum is still looked up
-- when it starts with one of these.
CREATE TABLE key_import_prefixes (
  prefix     VARCHAR(64) PRIMARY KEY,
  created_at BIGINT      NOT NULL
);

-- Audit events are data, never log lines. No foreign keys: events outlive what they describe.
CREATE TABLE audit_events (
  id                  VARCHAR(40) PRIMARY KEY,
  at                  BIGINT      NOT NULL,
  org_id              VARCHAR(40),
  actor_user_id       VARCHAR(40),
  actor_credential_id VARCHAR(40),
  action              VARCHAR(64) NOT NULL,
  target_type         VARCHAR(32),
  target_id           VARCHAR(40),
  ip                  VARCHAR(64),
  request_id          VARCHAR(64),
  detail              TEXT
);
CREATE INDEX audit_events_org_at ON audit_events (org_id, at);
