//! The audit log page.

use super::ApiError;
use crate::model::audit::AuditPage;
use leptos::prelude::*;

/// Newest first, limited to what the caller may see: everything for platform admins and
/// operators; the workspaces they administer (and their own actions) for everybody else.
#[server(prefix = "/api", endpoint = "audit/list", output = super::JsonResponse)]
pub async fn list_audit(before: Option<i64>) -> Result<AuditPage, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::audit::list(&caller, before).await?)
}
