-- API tokens: a script's credential. Only the SHA-256 of the secret is stored. A personal token
-- acts as its owner; an organization token acts as its own service account (a `users` row with
-- `service_token_id` set, holding `org_admin` in the organization), so that it survives the
-- people who made it and can be seen, demoted or revoked like anyone else. A service account
-- never signs in: it has no password and cannot be given one.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- Comma-separated, from `domain::scopes::Scope`.
    scopes TEXT NOT NULL,
    -- The account it acts as: its owner, or the organization token's service account.
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Set for organization tokens.
    org_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Moved at most once a minute, never a write per request.
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX api_tokens_org ON api_tokens (org_id);

ALTER TABLE users ADD COLUMN service_token_id TEXT;

-- Which token acted ("name (id)"), beside the account it acted as.
ALTER TABLE audit_log ADD COLUMN actor_token TEXT;
