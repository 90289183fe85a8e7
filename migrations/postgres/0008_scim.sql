-- SCIM 2.0 provisioning (RFC 7643, RFC 7644). An organization's identity provider pushes its
-- users and groups here with an organization token that has the `scim` scope. A SCIM user is
-- the provider's record, not an account: no `users` row is created for it. Its email is bound to
-- an account only when the organization manages that account, or when the person accepts the
-- pending invitation SCIM made for them (by signing in, as with any invitation).
ALTER TABLE workspace_members DROP CONSTRAINT workspace_members_role_source_check;
ALTER TABLE workspace_members ADD CONSTRAINT workspace_members_role_source_check
    CHECK (role_source IN ('manual', 'invite', 'idp', 'admin_create', 'scim'));
-- Where a pending invitation's workspace row came from: 'invite' (a person) or 'scim'. Accepting
-- a 'scim' row makes a membership with role_source 'scim'.
ALTER TABLE pending_invite_workspaces ADD COLUMN role_source TEXT NOT NULL DEFAULT 'invite'
    CHECK (role_source IN ('invite', 'scim'));

CREATE TABLE scim_users (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    -- lower(user_name): userName is unique and compared without case (RFC 7643 §4.1.1).
    user_name_key TEXT COLLATE "C" NOT NULL,
    external_id TEXT COLLATE "C",
    display_name TEXT,
    given_name TEXT,
    family_name TEXT,
    -- Lower-cased: the email an account is bound by.
    email TEXT COLLATE "C" NOT NULL,
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
    display_name_key TEXT COLLATE "C" NOT NULL,
    external_id TEXT COLLATE "C",
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
    group_key TEXT COLLATE "C" NOT NULL,
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
    id BIGSERIAL PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    request TEXT NOT NULL,
    status BIGINT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX scim_errors_org ON scim_errors (org_id, at);
