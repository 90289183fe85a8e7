-- The members list sorts by role, status, joined and last sign-in, each a range of its own index
-- read in order (keyset pages, never OFFSET). Status and last sign-in live on users: each
-- membership keeps a copy, kept by the triggers below (as name_key is), so that a workspace's
-- page never joins every member's account to sort.
ALTER TABLE workspace_members ADD COLUMN deactivated BIGINT NOT NULL DEFAULT 0;
-- 0 for never.
ALTER TABLE workspace_members ADD COLUMN last_sign_in_at BIGINT NOT NULL DEFAULT 0;
-- The counts per status beside the status filter: deactivated members are counted like members.
ALTER TABLE workspaces ADD COLUMN deactivated_count BIGINT NOT NULL DEFAULT 0;

UPDATE workspace_members m SET
    deactivated = CASE WHEN u.disabled_at IS NULL THEN 0 ELSE 1 END,
    last_sign_in_at = COALESCE(u.last_sign_in_at, 0)
    FROM users u WHERE u.id = m.user_id;
UPDATE workspaces w SET deactivated_count =
    (SELECT COUNT(*) FROM workspace_members m WHERE m.workspace_id = w.id AND m.deactivated = 1);

-- Every invitation row has its own expiry since 0004; the list filters and counts by it alone.
UPDATE pending_invite_workspaces SET expires_at =
    (SELECT i.expires_at FROM pending_invites i WHERE i.email = pending_invite_workspaces.email)
    WHERE expires_at IS NULL;

DROP INDEX workspace_members_role;
CREATE INDEX workspace_members_role ON workspace_members (workspace_id, role, email);
CREATE INDEX workspace_members_status ON workspace_members (workspace_id, deactivated, email);
CREATE INDEX workspace_members_joined ON workspace_members (workspace_id, joined_at, email);
CREATE INDEX workspace_members_last_sign_in ON workspace_members (workspace_id, last_sign_in_at, email);
CREATE INDEX pending_invite_workspaces_role ON pending_invite_workspaces (workspace_id, workspace_role, email);
-- Counting a workspace's expired invitations, and finding its next expiry.
CREATE INDEX pending_invite_workspaces_expiry ON pending_invite_workspaces (workspace_id, expires_at);

-- FOR SHARE: a deactivation or sign-in being written waits for this membership's transaction
-- (and its own trigger then sees the new row), or is read here once committed; without the
-- lock, a deactivation committed between this read and the insert would miss the new row.
CREATE FUNCTION workspace_members_account_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT CASE WHEN u.disabled_at IS NULL THEN 0 ELSE 1 END, COALESCE(u.last_sign_in_at, 0)
        INTO NEW.deactivated, NEW.last_sign_in_at FROM users u WHERE u.id = NEW.user_id FOR SHARE;
    RETURN NEW;
END $$;
CREATE TRIGGER workspace_members_account_facts BEFORE INSERT ON workspace_members
    FOR EACH ROW EXECUTE FUNCTION workspace_members_account_facts();

CREATE FUNCTION users_deactivated_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workspace_members SET deactivated = CASE WHEN NEW.disabled_at IS NULL THEN 0 ELSE 1 END
        WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_deactivated_changed AFTER UPDATE OF disabled_at ON users
    FOR EACH ROW WHEN ((OLD.disabled_at IS NULL) <> (NEW.disabled_at IS NULL))
    EXECUTE FUNCTION users_deactivated_changed();

CREATE FUNCTION users_signed_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workspace_members SET last_sign_in_at = COALESCE(NEW.last_sign_in_at, 0) WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_signed_in AFTER UPDATE OF last_sign_in_at ON users
    FOR EACH ROW WHEN (OLD.last_sign_in_at IS DISTINCT FROM NEW.last_sign_in_at)
    EXECUTE FUNCTION users_signed_in();

CREATE FUNCTION workspace_members_deactivated_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE workspaces SET deactivated_count = deactivated_count + NEW.deactivated WHERE id = NEW.workspace_id;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE workspaces SET deactivated_count = deactivated_count + NEW.deactivated - OLD.deactivated
            WHERE id = NEW.workspace_id;
    ELSE
        UPDATE workspaces SET deactivated_count = deactivated_count - OLD.deactivated WHERE id = OLD.workspace_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER workspace_members_deactivated_counted AFTER INSERT OR DELETE OR UPDATE OF deactivated
    ON workspace_members FOR EACH ROW EXECUTE FUNCTION workspace_members_deactivated_counted();
