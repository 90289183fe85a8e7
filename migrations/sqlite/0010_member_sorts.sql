-- The members list sorts by role, status, joined and last sign-in, each a range of its own index
-- read in order (keyset pages, never OFFSET). Status and last sign-in live on users: each
-- membership keeps a copy, kept by the triggers below (as name_key is), so that a workspace's
-- page never joins every member's account to sort.
ALTER TABLE workspace_members ADD COLUMN deactivated BIGINT NOT NULL DEFAULT 0;
-- 0 for never.
ALTER TABLE workspace_members ADD COLUMN last_sign_in_at BIGINT NOT NULL DEFAULT 0;
-- The counts per status beside the status filter: deactivated members are counted like members.
ALTER TABLE workspaces ADD COLUMN deactivated_count BIGINT NOT NULL DEFAULT 0;

UPDATE workspace_members SET
    deactivated = (SELECT CASE WHEN u.disabled_at IS NULL THEN 0 ELSE 1 END FROM users u WHERE u.id = workspace_members.user_id),
    last_sign_in_at = COALESCE((SELECT u.last_sign_in_at FROM users u WHERE u.id = workspace_members.user_id), 0);
UPDATE workspaces SET deactivated_count =
    (SELECT COUNT(*) FROM workspace_members m WHERE m.workspace_id = workspaces.id AND m.deactivated = 1);

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

CREATE TRIGGER workspace_members_account_facts AFTER INSERT ON workspace_members BEGIN
    UPDATE workspace_members SET
        deactivated = (SELECT CASE WHEN u.disabled_at IS NULL THEN 0 ELSE 1 END FROM users u WHERE u.id = NEW.user_id),
        last_sign_in_at = COALESCE((SELECT u.last_sign_in_at FROM users u WHERE u.id = NEW.user_id), 0)
        WHERE workspace_id = NEW.workspace_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER users_deactivated_changed AFTER UPDATE OF disabled_at ON users
    WHEN (OLD.disabled_at IS NULL) <> (NEW.disabled_at IS NULL) BEGIN
    UPDATE workspace_members SET deactivated = CASE WHEN NEW.disabled_at IS NULL THEN 0 ELSE 1 END
        WHERE user_id = NEW.id;
END;
CREATE TRIGGER users_signed_in AFTER UPDATE OF last_sign_in_at ON users
    WHEN OLD.last_sign_in_at IS NOT NEW.last_sign_in_at BEGIN
    UPDATE workspace_members SET last_sign_in_at = COALESCE(NEW.last_sign_in_at, 0) WHERE user_id = NEW.id;
END;
CREATE TRIGGER workspace_members_deactivated_counted AFTER UPDATE OF deactivated ON workspace_members
    WHEN OLD.deactivated <> NEW.deactivated BEGIN
    UPDATE workspaces SET deactivated_count = deactivated_count + NEW.deactivated - OLD.deactivated
        WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER workspace_members_deactivated_removed AFTER DELETE ON workspace_members
    WHEN OLD.deactivated = 1 BEGIN
    UPDATE workspaces SET deactivated_count = deactivated_count - 1 WHERE id = OLD.workspace_id;
END;
