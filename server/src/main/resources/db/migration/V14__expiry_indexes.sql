-- The hourly and daily sweeps delete what expired or was revoked a while ago. Without these, each
-- sweep read every row of its table: codes and used refresh tokens are written all the time, and a
-- scan of millions of rows holds SQLite's write lock (and PostgreSQL's I/O) for as long as it takes.
CREATE INDEX IF NOT EXISTS oauth_codes_expires ON oauth_codes (expires_at);
CREATE INDEX IF NOT EXISTS oauth_tokens_expires ON oauth_tokens (expires_at);
CREATE INDEX IF NOT EXISTS oauth_tokens_revoked ON oauth_tokens (revoked_at);
CREATE INDEX IF NOT EXISTS web_sessions_expires ON web_sessions (expires_at);
CREATE INDEX IF NOT EXISTS web_sessions_revoked ON web_sessions (revoked_at);
