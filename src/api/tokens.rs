//! API tokens: create, list, revoke (by a person signed in with a browser, never by a token).

use super::ApiError;
use crate::model::tokens::{CreatedToken, TokenDto};
use leptos::prelude::*;

/// A new token: personal, or (with `org_id`) the organization's. `scopes` is comma-separated;
/// `expires_in_days` from 1 to 365 (empty: 90). The secret is in the answer only.
#[server(prefix = "/api", endpoint = "tokens/create", output = super::JsonResponse)]
pub async fn create_token(
    name: String,
    scopes: String,
    expires_in_days: Option<String>,
    org_id: Option<String>,
) -> Result<CreatedToken, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    let req = crate::server::api_tokens::CreateToken {
        name,
        scopes,
        expires_in_days: expires_in_days.unwrap_or_default(),
        org_id: org_id.unwrap_or_default(),
    };
    let created = crate::server::api_tokens::create(&caller, req).await?;
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::CREATED);
        // The answer carries a secret: no cache keeps it.
        res.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
    Ok(created)
}

/// The caller's live personal tokens, or (with `org_id`) the organization's.
#[server(prefix = "/api", endpoint = "tokens/list", output = super::JsonResponse)]
pub async fn list_tokens(org_id: Option<String>) -> Result<Vec<TokenDto>, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::api_tokens::list(&caller, &org_id.unwrap_or_default()).await?)
}

/// Revokes a token at once.
#[server(prefix = "/api", endpoint = "tokens/revoke", output = super::JsonResponse)]
pub async fn revoke_token(token_id: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::api_tokens::revoke(&caller, &token_id).await?)
}
