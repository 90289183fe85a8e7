//! The audit log page.

// `audit/list` takes its filter as flat form fields (one per filter, as documented), which
// the server macro turns into as many function arguments, on the server and in the browser.
#![allow(clippy::too_many_arguments)]

use super::ApiError;
use crate::model::audit::AuditPage;
use leptos::prelude::*;

/// Newest first, limited to what the caller may see: everything for platform admins and
/// operators; the workspaces they administer (and their own actions) for everybody else.
/// Narrowed by any of `action` (a stored name), `actor` (an email), `target` (as shown),
/// `workspace_id`, `person` (a user id: done to them or by them), `from` and `to` (days,
/// `YYYY-MM-DD`, both included, or Unix seconds); `before` is the `next_before` of the
/// previous page.
#[server(prefix = "/api", endpoint = "audit/list", output = super::JsonResponse)]
pub async fn list_audit(
    before: Option<i64>,
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    workspace_id: Option<String>,
    person: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<AuditPage, ApiError> {
    use crate::model::audit::AuditFilter;
    use crate::server::auth::caller;
    let caller = caller().await?;
    let filter = AuditFilter {
        action,
        actor,
        target,
        workspace_id,
        person,
        from,
        to,
    };
    Ok(crate::server::audit::list(&caller, filter, before).await?)
}
