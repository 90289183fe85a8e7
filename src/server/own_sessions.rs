//! A person's own sessions: list them, end one, end every other. Only ever the caller's: a
//! session is found by its public id *and* the caller's user id.

use crate::domain::AuditAction;
use crate::model::auth::SessionDto;
use crate::server::auth::Caller;
use crate::server::db::{now, sessions};
use crate::server::AppError;

pub async fn list(caller: &Caller) -> Result<Vec<SessionDto>, AppError> {
    let current = caller.session.token_hash();
    let rows = sessions::list_for_user(
        &caller.state.db,
        &caller.user.id,
        caller.user.session_version,
        now(),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionDto {
            current: current.as_deref() == Some(r.token_hash.as_str()),
            id: r.public_id,
            browser: crate::domain::user_agent::describe(&r.user_agent),
            ip: r.ip,
            signed_in_at: r.signed_in_at,
            last_seen_at: r.seen_at,
            method: r.method,
        })
        .collect())
}

/// Ends one of the caller's sessions (404 when they have none by that id). Ending the one this
/// request came with signs the caller out.
pub async fn end(caller: &Caller, session_id: &str) -> Result<(), AppError> {
    let session_id = session_id.trim();
    if session_id.is_empty() {
        return Err(AppError::invalid_field("session_id", "name a session"));
    }
    let mut ev = caller.audit(AuditAction::SessionEnded);
    ev.target = Some(format!("user {}", caller.user.id));
    ev.detail = Some("scope=one".into());
    if !sessions::delete_own(&caller.state.db, &caller.user.id, session_id, &ev).await? {
        return Err(AppError::NotFound(
            "you have no such session (it may have ended already)",
        ));
    }
    Ok(())
}

/// Ends every session of the caller but this one. Returns how many ended.
pub async fn end_others(caller: &Caller) -> Result<u64, AppError> {
    let keep = caller
        .session
        .token_hash()
        .ok_or(AppError::Unauthenticated)?;
    let mut ev = caller.audit(AuditAction::SessionEnded);
    ev.target = Some(format!("user {}", caller.user.id));
    Ok(sessions::delete_others(&caller.state.db, &caller.user.id, &keep, &ev).await?)
}
