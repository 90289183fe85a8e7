//! The mail outbox: rows written in the same transaction as what they announce, delivered by a
//! background sender that claims them with a lease so that no two instances send one row.

use super::{now, with_pool, Db, DbResult};
use std::sync::Arc;

/// A message to enqueue. For invitations, `invite_email` names the invitation and the bodies
/// carry [`INVITE_LINK`] where the link goes; the sender mints the token at delivery.
#[derive(Debug, Clone)]
pub struct OutboxMail {
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub invite_email: Option<String>,
}

pub const INVITE_LINK: &str = "{{invite_link}}";

pub const INSERT_SQL: &str = "INSERT INTO mail_outbox (id, to_address, subject, body_text, body_html, invite_email, created_at, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";

macro_rules! outbox_query {
    ($mail:expr) => {{
        let mail: &$crate::server::db::outbox::OutboxMail = $mail;
        sqlx::query($crate::server::db::outbox::INSERT_SQL)
            .bind($crate::server::db::new_id())
            .bind(mail.to.clone())
            .bind(mail.subject.clone())
            .bind(mail.body_text.clone())
            .bind(mail.body_html.clone())
            .bind(mail.invite_email.clone())
            .bind($crate::server::db::now())
    }};
}
pub(crate) use outbox_query;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub invite_email: Option<String>,
    pub attempts: i64,
}

/// Claims up to `limit` due rows for `lease_secs`: other instances skip them until the lease
/// runs out (a crash mid-delivery hands the row to the next claimer).
pub async fn claim_due(db: &Db, limit: i64, lease_secs: i64) -> DbResult<Vec<OutboxRow>> {
    let now = now();
    match db {
        Db::Sqlite(p, _) => {
            sqlx::query_as::<_, OutboxRow>(super::sqlite::CLAIM_OUTBOX)
                .bind(now)
                .bind(now + lease_secs)
                .bind(limit)
                .fetch_all(p)
                .await
        }
        Db::Postgres(p, _) => {
            sqlx::query_as::<_, OutboxRow>(super::postgres::CLAIM_OUTBOX)
                .bind(now)
                .bind(now + lease_secs)
                .bind(limit)
                .fetch_all(p)
                .await
        }
    }
}

pub async fn mark_sent(db: &Db, id: &str) -> DbResult<()> {
    with_pool!(db, p => sqlx::query("UPDATE mail_outbox SET sent_at = $1, locked_until = NULL, last_error = NULL WHERE id = $2")
        .bind(now())
        .bind(id)
        .execute(p)
        .await
        .map(|_| ()))
}

/// Records a failed attempt and when to try again: `base_secs` doubled per earlier attempt,
/// at most an hour.
pub async fn mark_failed(
    db: &Db,
    id: &str,
    attempts: i64,
    base_secs: i64,
    error: &str,
) -> DbResult<()> {
    let delay = (base_secs << (attempts - 1).clamp(0, 12)).min(3600);
    with_pool!(db, p => sqlx::query("UPDATE mail_outbox SET last_error = $1, locked_until = NULL, next_attempt_at = $2 WHERE id = $3")
        .bind(error)
        .bind(now() + delay)
        .bind(id)
        .execute(p)
        .await
        .map(|_| ()))
}

/// Gives up on a row for good (its invitation is gone): it is kept, marked, and never sent.
pub async fn mark_dropped(db: &Db, id: &str, reason: &str) -> DbResult<()> {
    with_pool!(db, p => sqlx::query("UPDATE mail_outbox SET sent_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
        .bind(now())
        .bind(reason)
        .bind(id)
        .execute(p)
        .await
        .map(|_| ()))
}

/// The latest email of each of these invitations, and what became of it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationMail {
    pub invite_email: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

/// The invitation emails of a members page, for their latest mails: a kind of read the read
/// cache keeps (every members page with invitations shows how their mail went).
#[derive(Clone, PartialEq, Eq, Hash)]
struct MailsOf(Vec<String>);

impl super::read_cache::CachedRead for MailsOf {
    type Answer = Arc<Vec<InvitationMail>>;
    const CAPACITY: usize = 512;
}

/// The latest outbox row of each invitation email in `emails` (one index range each: a page
/// holds at most a page of invitations), served from the read cache until the database next
/// changes (the sender's progress is a write; `read_cache` says which requests read through it).
pub async fn latest_invitation_mails(
    db: &Db,
    emails: &[&str],
) -> DbResult<Arc<Vec<InvitationMail>>> {
    if emails.is_empty() {
        return Ok(Arc::default());
    }
    let key = MailsOf(emails.iter().map(|e| e.to_string()).collect());
    let mails = db
        .read_through(&key, |db| async move {
            latest_uncached(&db, emails)
                .await
                .map(|m| Some(Arc::new(m)))
        })
        .await?;
    Ok(mails.unwrap_or_default())
}

async fn latest_uncached(db: &Db, emails: &[&str]) -> DbResult<Vec<InvitationMail>> {
    let placeholders: Vec<String> = (1..=emails.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT invite_email, created_at, CAST(attempts AS BIGINT) AS attempts, next_attempt_at, sent_at, last_error \
         FROM mail_outbox WHERE invite_email IN ({}) ORDER BY invite_email, created_at, id",
        placeholders.join(", ")
    );
    let rows: Vec<InvitationMail> = with_pool!(db, p => {
        let mut q = sqlx::query_as::<_, InvitationMail>(&sql);
        for email in emails {
            q = q.bind(*email);
        }
        q.fetch_all(p).await
    })?;
    // Ordered by email, then time: the last of each email is its latest.
    let mut latest: Vec<InvitationMail> = Vec::new();
    for row in rows {
        match latest.last_mut() {
            Some(last) if last.invite_email == row.invite_email => *last = row,
            _ => latest.push(row),
        }
    }
    Ok(latest)
}
