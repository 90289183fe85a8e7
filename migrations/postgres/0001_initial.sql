-- Roster data model (DESIGN §3). Times are Unix seconds, UTC. IDs are UUID text.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    platform_role TEXT CHECK (platform_role IN ('platform_admin', 'platform_operator')),
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    temp_password_expires_at BIGINT,
    session_version BIGINT NOT NULL DEFAULT 1,
    disabled_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_platform_role ON users (platform_role) WHERE platform_role IS NOT NULL;

CREATE TABLE identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email_at_link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE org_members (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('org_owner', 'org_admin', 'org_member')),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Kept by the triggers below, so that showing a workspace's size never counts its rows.
    member_count BIGINT NOT NULL DEFAULT 0,
    invite_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX workspaces_org ON workspaces (org_id);

CREATE TABLE workspace_members (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The member's email, copied from users (emails never change) so that a page of a
    -- workspace's members in email order is an index range, whatever the workspace's size.
    -- Compared bytewise (COLLATE "C", as on SQLite): pages and searches are ranges of it.
    email TEXT COLLATE "C" NOT NULL,
    -- lower(users.name), kept by triggers: a search by the start of a name is an index range.
    name_key TEXT COLLATE "C" NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('workspace_admin', 'workspace_editor', 'workspace_viewer')),
    role_source TEXT NOT NULL CHECK (role_source IN ('manual', 'invite', 'idp', 'admin_create')),
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);
CREATE INDEX workspace_members_role ON workspace_members (workspace_id, role);
CREATE INDEX workspace_members_email ON workspace_members (workspace_id, email);
CREATE INDEX workspace_members_name ON workspace_members (workspace_id, name_key, email);

CREATE TABLE pending_invites (
    email TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    platform_role TEXT CHECK (platform_role IN ('platform_admin', 'platform_operator')),
    invited_by_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    invited_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    last_sent_at BIGINT,
    send_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pending_invites_inviter ON pending_invites (invited_by_user_id, invited_at);

CREATE TABLE pending_invite_workspaces (
    email TEXT COLLATE "C" NOT NULL REFERENCES pending_invites (email) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    workspace_role TEXT NOT NULL CHECK (workspace_role IN ('workspace_admin', 'workspace_editor', 'workspace_viewer')),
    invited_by_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (email, workspace_id)
);
CREATE INDEX pending_invite_workspaces_ws ON pending_invite_workspaces (workspace_id, email);

-- Derived columns and counters, kept by the database so that no write path can forget them.
CREATE FUNCTION workspace_members_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.name_key := (SELECT lower(name) FROM users WHERE id = NEW.user_id);
    RETURN NEW;
END $$;
CREATE TRIGGER workspace_members_name_key BEFORE INSERT ON workspace_members
    FOR EACH ROW EXECUTE FUNCTION workspace_members_name_key();

CREATE FUNCTION users_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workspace_members SET name_key = lower(NEW.name) WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_renamed AFTER UPDATE OF name ON users
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION users_renamed();

CREATE FUNCTION workspace_members_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE workspaces SET member_count = member_count + 1 WHERE id = NEW.workspace_id;
    ELSE
        UPDATE workspaces SET member_count = member_count - 1 WHERE id = OLD.workspace_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER workspace_members_counted AFTER INSERT OR DELETE ON workspace_members
    FOR EACH ROW EXECUTE FUNCTION workspace_members_counted();

CREATE FUNCTION invite_workspaces_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE workspaces SET invite_count = invite_count + 1 WHERE id = NEW.workspace_id;
    ELSE
        UPDATE workspaces SET invite_count = invite_count - 1 WHERE id = OLD.workspace_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER invite_workspaces_counted AFTER INSERT OR DELETE ON pending_invite_workspaces
    FOR EACH ROW EXECUTE FUNCTION invite_workspaces_counted();

-- No foreign keys: the history outlives the users and workspaces it names.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_user_id TEXT,
    action TEXT NOT NULL,
    target TEXT,
    workspace_id TEXT,
    ip TEXT,
    detail TEXT
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, id);

CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    -- Set for invitation emails: the link is minted when the row is sent, so no usable
    -- token is ever stored (only its SHA-256, in pending_invites).
    invite_email TEXT,
    created_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Failed sign-in counters, in the database so that every instance shares them.
CREATE TABLE auth_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at BIGINT NOT NULL,
    locked_until BIGINT
);

-- tower-sessions store table (schema expected by tower-sessions-sqlx-store).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data BYTEA NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_date);
