-- Each grant of an invitation keeps who made it and until when it holds, so that only someone
-- who could make a grant changes, renews or removes it: the platform role with its own granter
-- ('cli' for `roster bootstrap-admin`) and expiry, and each workspace row with its own expiry
-- (its granter is already `invited_by_user_id`). `pending_invites.expires_at` stays the latest
-- expiry of any of its grants.
ALTER TABLE pending_invites ADD COLUMN platform_role_granted_by TEXT;
ALTER TABLE pending_invites ADD COLUMN platform_role_expires_at BIGINT;
ALTER TABLE pending_invite_workspaces ADD COLUMN expires_at BIGINT;
UPDATE pending_invites SET platform_role_granted_by = COALESCE(invited_by_user_id, 'cli'),
    platform_role_expires_at = expires_at
    WHERE platform_role IS NOT NULL;
UPDATE pending_invite_workspaces SET expires_at =
    (SELECT i.expires_at FROM pending_invites i WHERE i.email = pending_invite_workspaces.email);
