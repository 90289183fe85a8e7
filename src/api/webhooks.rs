//! Webhooks of an organization: create, list, delete, test, redeliver (its owners and admins,
//! at a browser).

use super::ApiError;
use crate::model::webhooks::{CreatedWebhook, WebhookDto};
use leptos::prelude::*;

/// A new endpoint: `url` (https; http only for loopback), `events` comma-separated. The
/// signing secret is in the answer only.
#[server(prefix = "/api", endpoint = "webhooks/create", output = super::JsonResponse)]
pub async fn create_webhook(
    org_id: String,
    url: String,
    events: String,
) -> Result<CreatedWebhook, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    let created = crate::server::webhooks::create(&caller, &org_id, &url, &events).await?;
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

/// The organization's endpoints, each with its 20 most recent deliveries.
#[server(prefix = "/api", endpoint = "webhooks/list", output = super::JsonResponse)]
pub async fn list_webhooks(org_id: String) -> Result<Vec<WebhookDto>, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::webhooks::list(&caller, &org_id).await?)
}

#[server(prefix = "/api", endpoint = "webhooks/delete", output = super::JsonResponse)]
pub async fn delete_webhook(webhook_id: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::webhooks::delete(&caller, &webhook_id).await?)
}

/// Queues a `ping` delivery.
#[server(prefix = "/api", endpoint = "webhooks/test", output = super::JsonResponse)]
pub async fn test_webhook(webhook_id: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::webhooks::test(&caller, &webhook_id).await?)
}

/// Sends a delivery again (same id), whatever became of it.
#[server(prefix = "/api", endpoint = "webhooks/redeliver", output = super::JsonResponse)]
pub async fn redeliver_webhook(webhook_id: String, delivery_id: String) -> Result<(), ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::webhooks::redeliver(&caller, &webhook_id, &delivery_id).await?)
}
