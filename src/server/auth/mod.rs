//! Authentication: password hashing, sessions, and the checks every server function starts with.

pub mod login;
pub mod oidc;
pub mod oidc_routes;
pub mod password;
pub mod session;

use crate::domain::{Actor, AuditAction};
use crate::server::db::users::{self, UserRow};
use crate::server::db::workspaces::{self, WorkspaceAccess, WorkspaceRow};
use crate::server::{AppError, AppState, RequestContext};

/// The state and request context of the server function being run; the state's database is
/// the request's ([`RequestContext::db`]).
pub async fn request() -> Result<(AppState, RequestContext), AppError> {
    let (state, ctx) = shared_state_and_context().await?;
    Ok((reading_as_request(state, &ctx), ctx))
}

/// The app's shared state and the request context, as the server function's context has them.
async fn shared_state_and_context() -> Result<(AppState, RequestContext), AppError> {
    let state = leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::Internal("no AppState in context".into()))?;
    // Read where the request's parts are, not through `leptos_axum::extract`, which copies all
    // of them (headers and every extension) for each call: three times per members page.
    let ctx = leptos::prelude::with_context::<axum::http::request::Parts, _>(|parts| {
        parts.extensions.get::<RequestContext>().cloned()
    })
    .flatten()
    .ok_or_else(|| AppError::Internal("no request context".into()))?;
    Ok((state, ctx))
}

/// The app's state with the request's handle on the database in place of the shared one.
fn reading_as_request(state: AppState, ctx: &RequestContext) -> AppState {
    AppState {
        db: ctx.db.clone(),
        ..state
    }
}

/// A signed-in caller: 401 otherwise. (The forced-password-change gate runs in middleware,
/// before any server function.)
pub struct Caller {
    pub state: AppState,
    pub user: UserRow,
    pub ip: String,
    pub session: session::SessionHandle,
    /// The API token the call authenticated with, if not a session.
    pub token: Option<crate::server::api_tokens::TokenGrant>,
    /// Every role of the user, loaded when first asked for: a call about one workspace
    /// needs only [`Caller::workspace`].
    actor: tokio::sync::OnceCell<Actor>,
}

pub async fn caller() -> Result<Caller, AppError> {
    let (state, ctx) = shared_state_and_context().await?;
    Caller::from_request(state, ctx)
}

impl Caller {
    /// The caller of a plain axum route (the exports), from what the request middleware found.
    pub fn from_request(state: AppState, ctx: RequestContext) -> Result<Caller, AppError> {
        let state = reading_as_request(state, &ctx);
        let user = ctx.user.ok_or(AppError::Unauthenticated)?;
        Ok(Caller {
            state,
            user,
            ip: ctx.ip,
            session: ctx.session,
            token: ctx.token,
            actor: tokio::sync::OnceCell::new(),
        })
    }
}

impl Caller {
    /// Every role the caller holds.
    pub async fn actor(&self) -> Result<&Actor, AppError> {
        Ok(self
            .actor
            .get_or_try_init(|| users::load_actor(&self.state.db, &self.user))
            .await?)
    }

    /// Loads the workspace named by the request and checks `action` on it: 404 when it does
    /// not exist, 403 when the caller may not. One query.
    pub async fn workspace(
        &self,
        workspace_id: &str,
        action: crate::domain::Action,
    ) -> Result<WorkspaceRow, AppError> {
        let access =
            workspaces::get_with_roles(&self.state.db, workspace_id, &self.user.id).await?;
        self.authorize_workspace(access, action)
    }

    /// Loads the organization named by the request and checks `action` on it: 404 when it does
    /// not exist, 403 when the caller may not.
    pub async fn organization(
        &self,
        org_id: &str,
        action: crate::domain::Action,
    ) -> Result<workspaces::OrgRow, AppError> {
        let org = workspaces::get_org(&self.state.db, org_id)
            .await?
            .ok_or(AppError::NotFound("no such organization"))?;
        let target = crate::domain::Target::Organization { org_id: &org.id };
        if !crate::domain::can(self.actor().await?, action, target) {
            return Err(AppError::Forbidden(
                "you may not do this in this organization",
            ));
        }
        Ok(org)
    }

    /// Checks `action` on a workspace loaded with the caller's roles in it and in its
    /// organization, which are all that [`crate::domain::can`] consults for a workspace target:
    /// 404 when it does not exist, 403 when the caller may not.
    pub fn authorize_workspace(
        &self,
        access: Option<WorkspaceAccess>,
        action: crate::domain::Action,
    ) -> Result<WorkspaceRow, AppError> {
        let access = access.ok_or(AppError::NotFound("no such workspace"))?;
        if !self.may_in_workspace(&access, action) {
            return Err(AppError::Forbidden("you may not do this in this workspace"));
        }
        Ok(access.workspace)
    }

    /// May the caller do `action` on this workspace (loaded with their roles)? For what a
    /// request shows or not, once [`Caller::authorize_workspace`] let it through.
    pub fn may_in_workspace(
        &self,
        access: &WorkspaceAccess,
        action: crate::domain::Action,
    ) -> bool {
        let ws = &access.workspace;
        let actor = Actor {
            user_id: self.user.id.clone(),
            platform_role: self.user.platform_role(),
            org_roles: access
                .org_role
                .map(|r| (ws.org_id.clone(), r))
                .into_iter()
                .collect(),
            workspace_roles: access
                .workspace_role
                .map(|r| (ws.id.clone(), r))
                .into_iter()
                .collect(),
        };
        let target = crate::domain::Target::Workspace {
            workspace_id: &ws.id,
            org_id: &ws.org_id,
        };
        crate::domain::can(&actor, action, target)
    }

    /// An audit row of `action` by the caller, from their address.
    pub fn audit(&self, action: AuditAction) -> crate::server::db::audit::AuditEvent {
        crate::server::db::audit::AuditEvent {
            actor_user_id: Some(self.user.id.clone()),
            actor_token: self.token.as_ref().map(|t| t.audit_name()),
            action,
            ip: Some(self.ip.clone()),
            target: None,
            workspace_id: None,
            detail: None,
        }
    }
}
