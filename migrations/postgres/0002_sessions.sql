-- Sessions are Roster's own: the cookie carries a random token and this table keeps only its
-- SHA-256, so a copy of the database holds no live session. The signed-in user is a column,
-- read together with the user's row in one query per request.
DROP TABLE sessions;
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    -- NULL while a sign-in with the identity provider is in progress (see `flow`).
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- Must equal users.session_version: bumping that ends every session of the user.
    session_version BIGINT NOT NULL DEFAULT 0,
    signed_in_at BIGINT NOT NULL,
    method TEXT NOT NULL,
    -- An OpenID Connect sign-in in progress (JSON), taken once by the callback.
    flow TEXT,
    -- The idle expiry, pushed forward at most once per 5 minutes of activity, never past
    -- signed_in_at + SESSION_LIFETIME_DAYS.
    seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);
