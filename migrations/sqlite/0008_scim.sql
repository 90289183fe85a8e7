-- SCIM 2.0 provisioning (RFC 7643, RFC 7644). An organization's identity provider pushes its
-- users and groups here with an organization token that has the `scim` scope. A SCIM user is
-- the provider's record, not an account: no `users` row is created for it. Its email is bound to
-- an account only when the organization manages that account, or when the person accepts the
-- pending invitation SCIM made for them (by signing in, as with any invitation).
-- SQLite cannot change a CHECK in place: workspace_members is rebuilt (the documented way:
-- new table, copy, drop, rename), with the triggers that name it dropped first and made again.
DROP TRIGGER users_renamed;
DROP TRIGGER audit_log_webhooks;
DROP TRIGGER workspace_members_added;
DROP TRIGGER workspace_members_removed;
CREATE TABLE workspace_members_new (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The member's email, copied from users (emails never change) so that a page of a
    -- workspace's members in email order is an index range, whatever the workspace's size.
    -- Compared bytewise: pages and searches are ranges of it.
    email TEXT NOT NULL,
    -- lower(users.name), kept by triggers: a search by the start of a name is an index range.
    name_key TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('workspace_admin', 'workspace_editor', 'workspace_viewer')),
    role_source TEXT NOT NULL CHECK (role_source IN ('manual', 'invite', 'idp', 'admin_create', 'scim')),
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
INSERT INTO workspace_members_new (workspace_id, user_id, email, name_key, role, role_source, invited_by, joined_at)
    SELECT workspace_id, user_id, email, name_key, role, role_source, invited_by, joined_at FROM workspace_members;
DROP TABLE workspace_members;
ALTER TABLE workspace_members_new RENAME TO workspace_members;
CREATE INDEX workspace_members_user ON workspace_members (user_id);
CREATE INDEX workspace_members_role ON workspace_members (workspace_id, role);
CREATE INDEX workspace_members_email ON workspace_members (workspace_id, email);
CREATE INDEX workspace_members_name ON workspace_members (workspace_id, name_key, email);
CREATE TRIGGER workspace_members_added AFTER INSERT ON workspace_members BEGIN
    UPDATE workspace_members SET name_key = (SELECT lower(name) FROM users WHERE id = NEW.user_id)
        WHERE workspace_id = NEW.workspace_id AND user_id = NEW.user_id;
    UPDATE workspaces SET member_count = member_count + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER workspace_members_removed AFTER DELETE ON workspace_members BEGIN
    UPDATE workspaces SET member_count = member_count - 1 WHERE id = OLD.workspace_id;
END;
CREATE TRIGGER users_renamed AFTER UPDATE OF name ON users BEGIN
    UPDATE workspace_members SET name_key = lower(NEW.name) WHERE user_id = NEW.id;
END;
CREATE TRIGGER audit_log_webhooks AFTER INSERT ON audit_log BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, payload, created_at, next_attempt_at)
    SELECT h.id, e.event, json_object('type', e.event, 'occurred_at', NEW.at, 'organization_id', h.org_id,
            'workspace_id', NEW.workspace_id, 'target', NEW.target, 'actor_user_id', NEW.actor_user_id,
            'actor_token', NEW.actor_token, 'detail', NEW.detail, 'audit_id', NEW.id), NEW.at, NEW.at
    FROM webhooks h, (SELECT 'member.added' AS event WHERE NEW.action IN ('membership_added', 'invite_accepted', 'admin_create_user') AND NEW.workspace_id IS NOT NULL
        UNION ALL SELECT 'invitation.accepted' WHERE NEW.action = 'invite_accepted' AND NEW.workspace_id IS NOT NULL
        UNION ALL SELECT 'member.role_changed' WHERE NEW.action = 'authz_change' AND NEW.workspace_id IS NOT NULL
        UNION ALL SELECT 'member.removed' WHERE NEW.action = 'membership_removed'
        UNION ALL SELECT 'invitation.created' WHERE NEW.action = 'invite_created'
        UNION ALL SELECT 'invitation.cancelled' WHERE NEW.action = 'invite_cancelled'
        UNION ALL SELECT 'user.deactivated' WHERE NEW.action = 'user_deactivated'
        UNION ALL SELECT 'user.reactivated' WHERE NEW.action = 'user_reactivated') AS e
    WHERE h.disabled_at IS NULL AND instr(',' || h.events || ',', ',' || e.event || ',') > 0
      AND h.org_id IN (SELECT org_id FROM workspaces WHERE id = NEW.workspace_id
          UNION SELECT w.org_id FROM users u JOIN workspace_members m ON m.user_id = u.id
              JOIN workspaces w ON w.id = m.workspace_id
              WHERE NEW.workspace_id IS NULL AND u.email = NEW.target
          UNION SELECT om.org_id FROM org_members om JOIN users u ON u.id = om.user_id
              WHERE NEW.workspace_id IS NULL AND u.email = NEW.target);
END;
-- Where a pending invitation's workspace row came from: 'invite' (a person) or 'scim'. Accepting
-- a 'scim' row makes a membership with role_source 'scim'.
ALTER TABLE pending_invite_workspaces ADD COLUMN role_source TEXT NOT NULL DEFAULT 'invite'
    CHECK (role_source IN ('invite', 'scim'));

CREATE TABLE scim_users (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    -- lower(user_name): userName is unique and compared without case (RFC 7643 §4.1.1).
    user_name_key TEXT NOT NULL,
    external_id TEXT,
    display_name TEXT,
    given_name TEXT,
    family_name TEXT,
    -- Lower-cased: the email an account is bound by.
    email TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    -- The account bound to this record, once the organization manages it or its owner accepted.
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- When SCIM deactivated the account: `active: true` restores it only while `disabled_at`
    -- is still that deactivation (never one made since by someone else).
    deactivated_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, user_name_key),
    UNIQUE (org_id, email)
);
CREATE INDEX scim_users_external ON scim_users (org_id, external_id);
CREATE INDEX scim_users_created ON scim_users (org_id, created_at, id);
CREATE INDEX scim_users_email ON scim_users (email);
CREATE INDEX scim_users_user ON scim_users (user_id);

CREATE TABLE scim_groups (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    display_name_key TEXT NOT NULL,
    external_id TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, display_name_key)
);
CREATE INDEX scim_groups_external ON scim_groups (org_id, external_id);
CREATE INDEX scim_groups_created ON scim_groups (org_id, created_at, id);

CREATE TABLE scim_group_members (
    group_id TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    scim_user_id TEXT NOT NULL REFERENCES scim_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, scim_user_id)
);
CREATE INDEX scim_group_members_user ON scim_group_members (scim_user_id);

-- Which role a SCIM group gives in which workspace. `group_key` matches a group's display name
-- (without case) or its external id. The highest mapped role wins; an unmapped group changes
-- nothing.
CREATE TABLE scim_role_mappings (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    group_key TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('workspace_admin', 'workspace_editor', 'workspace_viewer')),
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, group_key, workspace_id)
);
CREATE INDEX scim_role_mappings_org ON scim_role_mappings (org_id, position);

-- The last SCIM request of each organization, for its page.
CREATE TABLE scim_status (
    org_id TEXT PRIMARY KEY NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    last_request_at BIGINT NOT NULL,
    last_request TEXT NOT NULL,
    last_status BIGINT NOT NULL
);
-- Failed SCIM requests, kept two days by the sweep: the page counts those of the last day.
CREATE TABLE scim_errors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    request TEXT NOT NULL,
    status BIGINT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX scim_errors_org ON scim_errors (org_id, at);
