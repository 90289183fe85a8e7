//! Webhook endpoints and their recent deliveries.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryDto {
    pub id: i64,
    pub event: String,
    pub created_at: i64,
    pub attempts: i64,
    /// `delivered`, `pending` (with `next_attempt_at`) or `failed` (retrying stopped).
    pub state: String,
    pub delivered_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDto {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    /// The 20 most recent, newest first.
    pub deliveries: Vec<DeliveryDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWebhook {
    pub webhook: WebhookDto,
    /// Signs every delivery (`Roster-Signature`); shown this once.
    pub secret: String,
}
