//! The background sweep: every table that anyone can make grow without signing in is trimmed
//! here — expired sessions (sign-in flows included, which live 10 minutes), sign-in counters
//! past every window, and the per-minute counts of refused cross-site requests (each minute's
//! count becomes one audit row), and SCIM failures older than two days. Webhook deliveries that
//! finished more than 30 days ago go too (an organization's events would otherwise grow the
//! outbox for ever), at most 10,000 a pass, and so do audit entries older than
//! `AUDIT_RETENTION_DAYS` (each pass that deletes some records how many).

use crate::server::db::{audit, now, sessions, throttle, webhooks, Db};

/// At most this many rows of one table are deleted a pass, so that a pass never holds a long
/// write (a first pass after years of history catches up over several).
const PURGE_BATCH: i64 = 10_000;

/// What the sweep keeps, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// `None` keeps the audit log for ever.
    pub audit_days: Option<i64>,
}

impl Retention {
    pub fn from_config(config: &crate::server::config::Config) -> Retention {
        Retention {
            audit_days: config.audit_retention_days,
        }
    }
}

/// One pass at `now`. Safe to run on several instances at once.
pub async fn sweep_once(db: &Db, now: i64, retention: Retention) {
    if let Err(e) = sessions::delete_expired(db, now).await {
        tracing::warn!(error = %e, "sweep: could not delete expired sessions");
    }
    if let Err(e) = throttle::purge_stale(db, now).await {
        tracing::warn!(error = %e, "sweep: could not purge sign-in counters");
    }
    if let Err(e) = throttle::summarize_cross_site_refusals(db, now).await {
        tracing::warn!(error = %e, "sweep: could not record refused cross-site requests");
    }
    if let Err(e) = crate::server::db::scim::purge_errors(db, now).await {
        tracing::warn!(error = %e, "sweep: could not purge old SCIM failures");
    }
    if let Err(e) = webhooks::purge_finished(db, now, PURGE_BATCH).await {
        tracing::warn!(error = %e, "sweep: could not purge finished webhook deliveries");
    }
    if let Some(days) = retention.audit_days {
        if let Err(e) = audit::purge_older_than(db, now - days * 86_400, PURGE_BATCH).await {
            tracing::warn!(error = %e, "sweep: could not purge old audit entries");
        }
    }
}

/// Runs [`sweep_once`] every 10 minutes until aborted.
pub async fn run(db: Db, retention: Retention) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        sweep_once(&db, now(), retention).await;
    }
}
