-- Webhooks: per organization, an https endpoint (http only for loopback), the events it wants
-- and a secret Roster generated (kept to sign each delivery with HMAC-SHA256). Deliveries are an
-- outbox written by a trigger on `audit_log`, so every change that is audited announces itself
-- in its own transaction, whichever code path made it; a background sender claims them with a
-- lease (as the mail outbox) so that each is delivered once however many instances run.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- Comma-separated event types.
    events TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    -- The JSON body, as signed and sent.
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    delivered_at BIGINT,
    -- Set when retrying stopped (WEBHOOK_RETRY_HOURS after the event).
    gave_up_at BIGINT,
    last_status BIGINT,
    last_error TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (webhook_id, id);

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
