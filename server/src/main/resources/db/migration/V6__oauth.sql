-- People sign in, and MCP clients act for them with OAuth. Portable SQL, as in V1.
-- docs/storage.md shows each table with example rows.

-- A local account's password: Argon2id, as a PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
-- NULL: the person has no password (federated sign-in only, or not yet chosen).
ALTER TABLE users ADD COLUMN password_hash VARCHAR(256);

-- A person's link to an account at an OpenID provider: (issuer, subject) is who they are there.
CREATE TABLE user_identities (
  issuer     VARCHAR(512) NOT NULL,
  subject    VARCHAR(255) NOT NULL,
  user_id    VARCHAR(40)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email      VARCHAR(320),
  created_at BIGINT       NOT NULL,
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- A browser session: the cookie's value is shown to the browser only; its SHA-256 is kept here.
CREATE TABLE web_sessions (
  id           VARCHAR(40) PRIMARY KEY,
  token_hash   VARCHAR(64) NOT NULL,
  user_id      VARCHAR(40) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   BIGINT      NOT NULL,
  expires_at   BIGINT      NOT NULL,
  revoked_at   BIGINT,
  ip           VARCHAR(64),
  method       VARCHAR(32) NOT NULL          -- password | oidc:<provider>
);
CREATE UNIQUE INDEX web_sessions_token ON web_sessions (token_hash);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- An OAuth client. client_id is Gatehouse's own id (gh_client_…) for registered clients, or the URL
-- of its metadata document (CIMD). Dynamic registrations are public (auth_method 'none'); an
-- operator may register confidential ones, whose secret is kept as its hash.
CREATE TABLE oauth_clients (
  id               VARCHAR(512) PRIMARY KEY,
  kind             VARCHAR(16)  NOT NULL,   -- dynamic | metadata | admin
  name             VARCHAR(200) NOT NULL,
  redirect_uris    TEXT         NOT NULL,   -- space-separated (a URI has no space)
  application_type VARCHAR(16)  NOT NULL,   -- web | native
  auth_method      VARCHAR(32)  NOT NULL,   -- none | client_secret_basic | client_secret_post
  secret_hash      VARCHAR(64),
  scope            TEXT,                    -- what it may ask for; NULL: any supported scope
  client_uri       VARCHAR(2048),
  logo_uri         VARCHAR(2048),
  fingerprint      VARCHAR(64),             -- dynamic: hash of the registered metadata, to de-duplicate
  created_at       BIGINT       NOT NULL,
  created_by       VARCHAR(40),
  last_used_at     BIGINT,                  -- its last authorization; sweeping reads it
  fetched_at       BIGINT,                  -- metadata: when the document was read
  fresh_until      BIGINT,                  -- metadata: read it again after this
  revoked_at       BIGINT
);
CREATE INDEX oauth_clients_fingerprint ON oauth_clients (fingerprint);

-- A grant ("connected app"): one person's consent to one client, for one organization, a set of
-- scopes and workspaces. Revoking it refuses every token issued under it.
CREATE TABLE oauth_grants (
  id             VARCHAR(40)  PRIMARY KEY,
  user_id        VARCHAR(40)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  org_id         VARCHAR(40)  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  client_id      VARCHAR(512) NOT NULL,
  scope          TEXT         NOT NULL,   -- space-separated OAuth scopes consented to
  workspaces     TEXT         NOT NULL,   -- '*' or workspace ids
  tools          TEXT         NOT NULL DEFAULT '*',   -- '*' or server/tool entries, as a key's tool scope
  redirect_uri   VARCHAR(2048) NOT NULL,  -- the last one used, shown as "redirect host"
  created_at     BIGINT       NOT NULL,
  updated_at     BIGINT       NOT NULL,
  last_used_at   BIGINT,
  last_used_ip   VARCHAR(64),
  use_count      BIGINT       NOT NULL DEFAULT 0,
  revoked_at     BIGINT,
  revoked_reason VARCHAR(32)
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id, client_id);
CREATE INDEX oauth_grants_org ON oauth_grants (org_id);

-- Authorization codes: single use, a minute or so; kept as the hash.
CREATE TABLE oauth_codes (
  code_hash      VARCHAR(64)  PRIMARY KEY,
  grant_id       VARCHAR(40)  NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
  client_id      VARCHAR(512) NOT NULL,
  redirect_uri   VARCHAR(2048) NOT NULL,
  code_challenge VARCHAR(128) NOT NULL,
  resource       VARCHAR(2048) NOT NULL,
  servers        TEXT         NOT NULL,   -- the servers that resource reaches: '*' or server slugs
  scope          TEXT         NOT NULL,
  created_at     BIGINT       NOT NULL,
  expires_at     BIGINT       NOT NULL,
  used_at        BIGINT
);

-- Access and refresh tokens, as hashes. family: the code that started the chain (a replayed code
-- revokes its family). A refresh token that was used is 'rotated' and stays usable for the grace
-- window (clients refresh in parallel, or retry after a lost answer); used again after it, or once a
-- token it issued was used in turn, it is stolen: the whole grant is revoked.
CREATE TABLE oauth_tokens (
  id          VARCHAR(40)  PRIMARY KEY,
  token_hash  VARCHAR(64)  NOT NULL,
  kind        VARCHAR(8)   NOT NULL,   -- access | refresh
  grant_id    VARCHAR(40)  NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
  family      VARCHAR(64)  NOT NULL,
  resource    VARCHAR(2048) NOT NULL,   -- the audience (RFC 8707), as the client named it
  servers     TEXT         NOT NULL,   -- the servers that audience reaches: '*' or server slugs
  scope       TEXT         NOT NULL,
  created_at  BIGINT       NOT NULL,
  expires_at  BIGINT       NOT NULL,
  rotated_at  BIGINT,
  parent      VARCHAR(40),             -- refresh tokens: the refresh token whose use issued this one
  revoked_at  BIGINT
);
CREATE UNIQUE INDEX oauth_tokens_hash ON oauth_tokens (token_hash);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_family ON oauth_tokens (family);
CREATE INDEX oauth_tokens_parent ON oauth_tokens (parent, rotated_at);
