-- Accounts that no credential reaches past: operator keys, service accounts, invitations, and audit
-- actors an organization may see. Portable SQL, as in V1. docs/operations.md has the upgrade note.

-- A user is a person (signs in, holds keys they made themselves) or a service account: an
-- organization's own user for automation, which belongs to that one organization and never signs in.
-- users.instance_admin keeps its name and now means "an operator": someone holding operator keys.
-- It gives no power by itself; instance powers come from the credential's kind alone.
ALTER TABLE users ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'person';   -- person | service
ALTER TABLE users ADD COLUMN service_org_id VARCHAR(40);                   -- service accounts: their organization

-- api_keys.kind gains 'operator': keys issued by `gatehouse admin init` or by another operator key,
-- the only credentials that act for the whole instance. The keys `admin init` issued before this
-- migration become operator keys: issued with no acting user (created_by NULL), to an administrator.
-- Every other key keeps its kind and loses any instance power it drew from its owner's flag.
UPDATE api_keys SET kind = 'operator'
  WHERE kind = 'standard' AND created_by IS NULL
    AND user_id IN (SELECT id FROM users WHERE instance_admin = 1);
-- and so do the keys that replaced them by a renew or a roll, however many times (same owner throughout)
WITH RECURSIVE successors (id, user_id) AS (
  SELECT id, user_id FROM api_keys WHERE kind = 'operator'
  UNION
  SELECT k.id, k.user_id FROM api_keys k JOIN successors s ON k.rolled_from = s.id AND k.user_id = s.user_id
)
UPDATE api_keys SET kind = 'operator' WHERE id IN (SELECT id FROM successors) AND kind = 'standard';
-- Keys that someone else made for an administrator (issue 11's attack) are revoked by V5, which knows the time.

-- How a person joins an organization: an owner or admin invites an email address; the person
-- accepts with the token (shown once to the inviter, stored as its hash) and a credential of their own.
CREATE TABLE invitations (
  id           VARCHAR(40)  PRIMARY KEY,
  org_id       VARCHAR(40)  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email        VARCHAR(320) NOT NULL,
  role         VARCHAR(16)  NOT NULL,
  workspaces   TEXT         NOT NULL,   -- space-separated workspace ids the member joins on acceptance
  token_hash   VARCHAR(64)  NOT NULL,   -- hex SHA-256 of the token
  created_at   BIGINT       NOT NULL,
  created_by   VARCHAR(40),
  created_by_key VARCHAR(40),           -- the inviting credential: the first key reaches no further
  expires_at   BIGINT       NOT NULL,
  accepted_at  BIGINT,
  accepted_by  VARCHAR(40),
  revoked_at   BIGINT
);
CREATE UNIQUE INDEX invitations_token ON invitations (token_hash);
CREATE INDEX invitations_org ON invitations (org_id, created_at);

-- Who acted, as an organization may be told: 'operator' (an operator credential or the command
-- line), 'user' otherwise. Earlier events by an administrator or by the command line were operators'.
ALTER TABLE audit_events ADD COLUMN actor_kind VARCHAR(16) NOT NULL DEFAULT 'user';
UPDATE audit_events SET actor_kind = 'operator'
  WHERE actor_user_id IS NULL OR actor_user_id = 'operator'
     OR actor_user_id IN (SELECT id FROM users WHERE instance_admin = 1);
