//! Invitations: create, resend, cancel, copy a link, and look up a link.

use super::ApiError;
use leptos::prelude::*;

use crate::model::invites::{Accepted, InvitationView, Invited};

/// Invites one or many emails (separated by commas, spaces or new lines; at most 100) to
/// `workspace_id` and optionally to `workspace_ids` (comma-separated) with a workspace `role`,
/// optionally an `org_role` in each workspace's organization (owners grant any, org admins
/// `org_admin` and `org_member`), and for platform admins a `platform_role`.
#[server(prefix = "/api", endpoint = "invites/create", output = super::JsonResponse)]
pub async fn create_invites(
    workspace_id: String,
    emails: String,
    role: String,
    workspace_ids: Option<String>,
    platform_role: Option<String>,
    org_role: Option<String>,
) -> Result<Invited, ApiError> {
    use crate::server::auth::caller;
    use crate::server::invites::{create, CreateRequest};
    let caller = caller().await?;
    let req = CreateRequest {
        workspace_id,
        emails,
        role,
        extra_workspace_ids: workspace_ids.unwrap_or_default(),
        platform_role: platform_role.unwrap_or_default(),
        org_role: org_role.unwrap_or_default(),
    };
    Ok(create(&caller, req).await?)
}

/// New link (the old one stops working), new expiry, email sent again. 3 per 10 minutes.
/// Returns the new expiry (Unix seconds).
#[server(prefix = "/api", endpoint = "invites/resend", output = super::JsonResponse)]
pub async fn resend_invite(workspace_id: String, email: String) -> Result<i64, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::invites::resend(&caller, &workspace_id, &email).await?)
}

/// Removes the invitation to this workspace (and the invitation when none is left).
#[server(prefix = "/api", endpoint = "invites/cancel", output = super::JsonResponse)]
pub async fn cancel_invite(workspace_id: String, email: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::invites::cancel(&caller, &workspace_id, &email).await?)
}

/// A fresh invitation link to hand over yourself (instances without email). Earlier links stop
/// working.
#[server(prefix = "/api", endpoint = "invites/link", output = super::JsonResponse)]
pub async fn invite_link(workspace_id: String, email: String) -> Result<String, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::invites::copy_link(&caller, &workspace_id, &email).await?)
}

/// What an invitation link is for. Public: the token is the credential.
#[server(prefix = "/api", endpoint = "invites/lookup", output = super::JsonResponse)]
pub async fn lookup_invite(token: String) -> Result<InvitationView, ApiError> {
    use crate::server::auth::request;
    let (state, _) = request().await?;
    Ok(crate::server::invites::lookup(&state, &token).await?)
}

/// The signed-in recipient accepts the invitation of the link (`token`), or without a token the
/// one addressed to their email once the account has proven it.
#[server(prefix = "/api", endpoint = "invites/accept", output = super::JsonResponse)]
pub async fn accept_invite(token: Option<String>) -> Result<Accepted, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    let token = token.filter(|t| !t.is_empty());
    Ok(crate::server::invites::accept(&caller, token.as_deref()).await?)
}

/// The signed-in recipient declines (same fields as accept).
#[server(prefix = "/api", endpoint = "invites/decline", output = super::JsonResponse)]
pub async fn decline_invite(token: Option<String>) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    let token = token.filter(|t| !t.is_empty());
    Ok(crate::server::invites::decline(&caller, token.as_deref()).await?)
}

/// The invitation addressed to the signed-in account's proven email, if any.
#[server(prefix = "/api", endpoint = "invites/mine", output = super::JsonResponse)]
pub async fn my_invitation() -> Result<Option<InvitationView>, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::invites::mine(&caller).await?)
}
