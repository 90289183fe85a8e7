-- An invitation to a workspace may also grant a role in the workspace's organization: the
-- way an organization role reaches someone who has no place in the organization yet. It is
-- re-checked against its inviter at acceptance like the workspace role beside it.
ALTER TABLE pending_invite_workspaces ADD COLUMN org_role TEXT
    CHECK (org_role IN ('org_owner', 'org_admin', 'org_member'));

-- What a person needs to recognise their own sessions on the profile page: a public id (the
-- token hash is never shown), the browser and the address it signed in from.
ALTER TABLE sessions ADD COLUMN public_id TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
UPDATE sessions SET public_id = md5(random()::text || clock_timestamp()::text || token_hash) WHERE public_id IS NULL;
CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);

-- The people list: every account in email order, searched by the start of its email or of its
-- (lowercased) name, and filtered by status through partial indexes, so that a page is an
-- index range however many accounts there are. Compared bytewise (COLLATE "C", as on
-- SQLite): pages and searches are ranges.
CREATE INDEX users_email_bytewise ON users ((email COLLATE "C"));
CREATE INDEX users_name_key ON users ((lower(name) COLLATE "C"), (email COLLATE "C"));
CREATE INDEX users_deactivated ON users ((email COLLATE "C")) WHERE disabled_at IS NOT NULL;
CREATE INDEX users_must_change ON users ((email COLLATE "C")) WHERE must_change_password;

-- A person's page lists the recent audit entries about them (`target` is "user <id>" or
-- their email) without reading the whole log.
CREATE INDEX audit_log_target ON audit_log (target, id);
