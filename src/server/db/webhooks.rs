//! Webhook endpoints and their deliveries (migration 0007: a trigger on `audit_log` writes the
//! deliveries in the transaction of each change).

use super::audit::{audit_query, AuditEvent};
use super::BeginWrite;
use super::{new_id, now, with_pool, Db, DbResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub events: String,
    pub created_by_email: Option<String>,
    pub created_at: i64,
}

const WEBHOOK_SELECT: &str =
    "SELECT h.id, h.org_id, h.url, h.events, c.email AS created_by_email, h.created_at \
     FROM webhooks h LEFT JOIN users c ON c.id = h.created_by";

pub struct NewWebhook<'a> {
    pub org_id: &'a str,
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a str,
    pub created_by: &'a str,
}

pub async fn create(db: &Db, new: &NewWebhook<'_>, audit: &AuditEvent) -> DbResult<String> {
    let id = new_id();
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        sqlx::query("INSERT INTO webhooks (id, org_id, url, secret, events, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(new.org_id)
            .bind(new.url)
            .bind(new.secret)
            .bind(new.events)
            .bind(new.created_by)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        let mut ev = audit.clone();
        ev.target = Some(format!("webhook {id}"));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(id)
}

pub async fn get(db: &Db, id: &str) -> DbResult<Option<WebhookRow>> {
    let sql = format!("{WEBHOOK_SELECT} WHERE h.id = $1 AND h.disabled_at IS NULL");
    with_pool!(db, p => sqlx::query_as::<_, WebhookRow>(&sql).bind(id).fetch_optional(p).await)
}

pub async fn list(db: &Db, org_id: &str) -> DbResult<Vec<WebhookRow>> {
    let sql = format!("{WEBHOOK_SELECT} WHERE h.org_id = $1 AND h.disabled_at IS NULL ORDER BY h.created_at, h.id LIMIT 100");
    with_pool!(db, p => sqlx::query_as::<_, WebhookRow>(&sql).bind(org_id).fetch_all(p).await)
}

/// Deletes an endpoint and its deliveries, audited.
pub async fn delete(db: &Db, id: &str, audit: &AuditEvent) -> DbResult<bool> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let n = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n > 0 {
            audit_query!(audit).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: String,
    pub event: String,
    pub created_at: i64,
    pub attempts: i64,
    pub delivered_at: Option<i64>,
    pub gave_up_at: Option<i64>,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

/// The most recent deliveries of an endpoint, newest first.
pub async fn recent_deliveries(
    db: &Db,
    webhook_id: &str,
    limit: i64,
) -> DbResult<Vec<DeliveryRow>> {
    with_pool!(db, p => sqlx::query_as::<_, DeliveryRow>(
        "SELECT id, webhook_id, event, created_at, attempts, delivered_at, gave_up_at, next_attempt_at, last_status, last_error \
         FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(webhook_id)
    .bind(limit)
    .fetch_all(p)
    .await)
}

/// Queues a `ping` for an endpoint (its "Send test" button).
pub async fn enqueue_ping(db: &Db, webhook: &WebhookRow) -> DbResult<()> {
    let at = now();
    let payload = serde_json::json!({
        "type": "ping",
        "occurred_at": at,
        "organization_id": webhook.org_id,
    })
    .to_string();
    with_pool!(db, p => sqlx::query(
        "INSERT INTO webhook_deliveries (webhook_id, event, payload, created_at, next_attempt_at) VALUES ($1, 'ping', $2, $3, $3)",
    )
    .bind(&webhook.id)
    .bind(payload)
    .bind(at)
    .execute(p)
    .await
    .map(|_| ()))
}

/// Sends a delivery again from now on, whatever became of it (the "Redeliver" button); it keeps
/// its id, so a receiver that already has it can tell. `false` when it is not this endpoint's.
pub async fn redeliver(db: &Db, webhook_id: &str, delivery_id: i64) -> DbResult<bool> {
    let at = now();
    with_pool!(db, p => sqlx::query(
        "UPDATE webhook_deliveries SET delivered_at = NULL, gave_up_at = NULL, next_attempt_at = $1, \
         created_at = $1, attempts = 0, locked_until = NULL WHERE id = $2 AND webhook_id = $3",
    )
    .bind(at)
    .bind(delivery_id)
    .bind(webhook_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// A delivery claimed for sending, with what it goes to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedDelivery {
    pub id: i64,
    /// The lease this claim holds: the marks below change the row only while it is still ours.
    pub locked_until: i64,
    pub event: String,
    pub payload: String,
    pub created_at: i64,
    pub attempts: i64,
    pub url: String,
    pub secret: String,
}

/// Is anything due? A read, so that an idle poll writes nothing (and on SQLite leaves the read
/// cache alone).
pub async fn any_due(db: &Db, now: i64) -> DbResult<bool> {
    let n: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries WHERE delivered_at IS NULL AND gave_up_at IS NULL \
         AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1) LIMIT 1) AS due",
    )
    .bind(now)
    .fetch_one(p)
    .await)?;
    Ok(n > 0)
}

/// Claims up to `limit` due deliveries for `lease_secs` (other instances skip them until the
/// lease runs out; a crash mid-delivery hands them to the next claimer).
pub async fn claim_due(db: &Db, limit: i64, lease_secs: i64) -> DbResult<Vec<ClaimedDelivery>> {
    let now = now();
    let skip_locked = match db {
        Db::Sqlite(..) => "",
        Db::Postgres(..) => " FOR UPDATE SKIP LOCKED",
    };
    let claim = format!(
        "UPDATE webhook_deliveries SET locked_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND gave_up_at IS NULL \
             AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1) \
             ORDER BY next_attempt_at, id LIMIT $3{skip_locked}) \
         RETURNING id"
    );
    with_pool!(db, p => {
        let ids: Vec<i64> = sqlx::query_scalar(&claim)
            .bind(now)
            .bind(now + lease_secs)
            .bind(limit)
            .fetch_all(p)
            .await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sqlx::query_as::<_, ClaimedDelivery>(
                "SELECT d.id, d.locked_until, d.event, d.payload, d.created_at, CAST(d.attempts AS BIGINT) AS attempts, h.url, h.secret \
                 FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?;
            claimed.extend(row);
        }
        Ok(claimed)
    })
}

/// Renews the claim on `d` for `lease_secs` just before it is sent; `false` when the lease ran
/// out and another instance claimed it meanwhile (then this one must not send it).
pub async fn renew(db: &Db, d: &mut ClaimedDelivery, lease_secs: i64) -> DbResult<bool> {
    let until = now() + lease_secs;
    let n = with_pool!(db, p => sqlx::query(
        "UPDATE webhook_deliveries SET locked_until = $1 WHERE id = $2 AND locked_until = $3 AND delivered_at IS NULL",
    )
    .bind(until)
    .bind(d.id)
    .bind(d.locked_until)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 1 {
        d.locked_until = until;
    }
    Ok(n == 1)
}

/// Deliveries are kept this long after they finished (delivered, or given up): the endpoint's
/// page shows the latest, and Redeliver can reach back this far.
pub const FINISHED_DELIVERY_RETENTION_SECS: i64 = 30 * 86_400;

/// Deletes up to `limit` deliveries that finished more than the retention ago (an index range:
/// the live outbox is not read). Returns how many went.
pub async fn purge_finished(db: &Db, now: i64, limit: i64) -> DbResult<u64> {
    with_pool!(db, p => sqlx::query(
        "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries \
         WHERE COALESCE(delivered_at, gave_up_at) < $1 LIMIT $2)",
    )
    .bind(now - FINISHED_DELIVERY_RETENTION_SECS)
    .bind(limit)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
}

pub async fn mark_delivered(db: &Db, d: &ClaimedDelivery, status: i64) -> DbResult<()> {
    with_pool!(db, p => sqlx::query(
        "UPDATE webhook_deliveries SET delivered_at = $1, last_status = $2, last_error = NULL, locked_until = NULL \
         WHERE id = $3 AND locked_until = $4",
    )
    .bind(now())
    .bind(status)
    .bind(d.id)
    .bind(d.locked_until)
    .execute(p)
    .await
    .map(|_| ()))
}

/// Records a failed attempt: retried after `base_secs` doubled per earlier attempt (at most an
/// hour), or given up once `give_up_at` has passed.
pub async fn mark_failed(
    db: &Db,
    d: &ClaimedDelivery,
    status: Option<i64>,
    error: &str,
    base_secs: i64,
    give_up_at: i64,
) -> DbResult<()> {
    let now = now();
    let delay = (base_secs << (d.attempts - 1).clamp(0, 12)).min(3600);
    let gave_up = (now + delay > give_up_at).then_some(now);
    with_pool!(db, p => sqlx::query(
        "UPDATE webhook_deliveries SET last_status = $1, last_error = $2, locked_until = NULL, \
         next_attempt_at = $3, gave_up_at = $4 WHERE id = $5 AND locked_until = $6",
    )
    .bind(status)
    .bind(error)
    .bind(now + delay)
    .bind(gave_up)
    .bind(d.id)
    .bind(d.locked_until)
    .execute(p)
    .await
    .map(|_| ()))
}
