//! Authentication: password hashing, sessions, and the checks every server function starts with.

pub mod login;
pub mod oidc;
pub mod oidc_routes;
pub mod password;
pub mod session;

use crate::domain::Actor;
use crate::server::db::users::{self, UserRow};
use crate::server::{AppError, AppState, RequestContext};
use axum::Extension;

/// The state and request context of the server function being run.
pub async fn request() -> Result<(AppState, RequestContext), AppError> {
    let state = leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::Internal("no AppState in context".into()))?;
    let Extension(ctx) = leptos_axum::extract::<Extension<RequestContext>>()
        .await
        .map_err(|e| AppError::Internal(format!("no request context: {e}")))?;
    Ok((state, ctx))
}

/// A signed-in caller: 401 otherwise. (The forced-password-change gate runs in middleware,
/// before any server function.)
pub struct Caller {
    pub state: AppState,
    pub user: UserRow,
    pub actor: Actor,
    pub ip: String,
}

pub async fn caller() -> Result<Caller, AppError> {
    let (state, ctx) = request().await?;
    let user = ctx.user.ok_or(AppError::Unauthenticated)?;
    let actor = users::load_actor(&state.db, &user).await?;
    Ok(Caller {
        state,
        user,
        actor,
        ip: ctx.ip,
    })
}

pub async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| AppError::Internal(format!("no session: {e}")))
}

impl Caller {
    /// Loads the workspace named by the request and checks `action` on it: 404 when it does
    /// not exist, 403 when the caller may not.
    pub async fn workspace(
        &self,
        workspace_id: &str,
        action: crate::domain::Action,
    ) -> Result<crate::server::db::workspaces::WorkspaceRow, AppError> {
        let ws = crate::server::db::workspaces::get(&self.state.db, workspace_id)
            .await?
            .ok_or(AppError::NotFound("no such workspace"))?;
        let target = crate::domain::Target::Workspace {
            workspace_id: &ws.id,
            org_id: &ws.org_id,
        };
        if !crate::domain::can(&self.actor, action, target) {
            return Err(AppError::Forbidden("you may not do this in this workspace"));
        }
        Ok(ws)
    }

    pub fn audit(&self, action: &'static str) -> crate::server::db::audit::AuditEvent {
        crate::server::db::audit::AuditEvent {
            actor_user_id: Some(self.user.id.clone()),
            action,
            ip: Some(self.ip.clone()),
            ..Default::default()
        }
    }
}
