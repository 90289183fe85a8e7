//! The background sweep: every table that anyone can make grow without signing in is trimmed
//! here — expired sessions (sign-in flows included, which live 10 minutes), sign-in counters
//! past every window, and the per-minute counts of refused cross-site requests (each minute's
//! count becomes one audit row), and SCIM failures older than two days.

use crate::server::db::{now, sessions, throttle, Db};

/// One pass at `now`. Safe to run on several instances at once.
pub async fn sweep_once(db: &Db, now: i64) {
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
}

/// Runs [`sweep_once`] every 10 minutes until aborted.
pub async fn run(db: Db) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        sweep_once(&db, now()).await;
    }
}
