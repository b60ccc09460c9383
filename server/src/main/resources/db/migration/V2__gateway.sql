-- The gateway: upstream servers, the keys that sign upstream assertions, job ownership, and the
-- tool scope of keys. Portable SQL, as in V1.

-- An upstream MCP server or HTTP API. org_id NULL: the instance's own server, managed by instance
-- administrators and reachable by every organisation; set: one organisation's server.
CREATE TABLE servers (
  id                 VARCHAR(40)   PRIMARY KEY,
  org_id             VARCHAR(40)   REFERENCES organizations (id) ON DELETE CASCADE,
  slug               VARCHAR(64)   NOT NULL,
  name               VARCHAR(200)  NOT NULL,
  kind               VARCHAR(8)    NOT NULL,   -- mcp | http
  upstream_url       VARCHAR(2048) NOT NULL,
  mount              VARCHAR(200),             -- http only: a path such as /api/v1 served as-is
  is_default         INTEGER       NOT NULL DEFAULT 0,  -- mcp only: the server behind bare /mcp
  is_public          INTEGER       NOT NULL DEFAULT 0,  -- no credential needed
  scope_workspaces   TEXT          NOT NULL,   -- '*' or the workspace ids it is visible to
  hidden_tools       TEXT          NOT NULL,   -- space-separated tool names nobody may see or call
  credit_cost        INTEGER       NOT NULL DEFAULT 0,
  upstream_auth      VARCHAR(16)   NOT NULL,   -- assertion | static | none
  static_header      VARCHAR(64),
  static_value       TEXT,                     -- sealed (AES-GCM under the node secret), never plaintext
  jobs               TEXT,                     -- JSON: {"create": "POST /generate", "poll": "GET /jobs/{id}", "id_field": "id"}
  connect_timeout_ms INTEGER       NOT NULL,
  timeout_ms         INTEGER       NOT NULL,
  created_at         BIGINT        NOT NULL,
  updated_at         BIGINT        NOT NULL
);
CREATE UNIQUE INDEX servers_slug ON servers (slug);

-- Keys that sign the assertions Gatehouse sends upstream; public halves are served at /oauth/jwks.
CREATE TABLE signing_keys (
  kid         VARCHAR(64) PRIMARY KEY,
  alg         VARCHAR(16) NOT NULL,
  public_jwk  TEXT        NOT NULL,
  private_jwk TEXT        NOT NULL,   -- sealed (AES-GCM under the node secret)
  created_at  BIGINT      NOT NULL,
  retired_at  BIGINT
);

-- Which credential created a job, so that only it may poll the job (a route property, seed 001).
CREATE TABLE jobs (
  server_id     VARCHAR(40)  NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
  job_id        VARCHAR(200) NOT NULL,
  credential_id VARCHAR(40)  NOT NULL,
  created_at    BIGINT       NOT NULL,
  PRIMARY KEY (server_id, job_id)
);

-- Tools a key may use: '*' or space-separated 'server/tool' entries ('server/*' for all of one server).
ALTER TABLE api_keys ADD COLUMN scope_tools TEXT NOT NULL DEFAULT '*';
