-- The sweep deletes deliveries that finished (delivered, or given up) more than 30 days ago;
-- this index lets it find them without reading the outbox's live rows.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (COALESCE(delivered_at, gave_up_at));

-- The audit log is kept AUDIT_RETENTION_DAYS: the sweep deletes the oldest by time.
CREATE INDEX audit_log_at ON audit_log (at);
-- The audit log page filters by action, newest first.
CREATE INDEX audit_log_action ON audit_log (action, id);

-- The members page shows what became of each pending invitation's latest email.
CREATE INDEX mail_outbox_invitation ON mail_outbox (invite_email, created_at);
