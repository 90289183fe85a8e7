//! Outbound email: invitation messages and the background sender that delivers the outbox.

use crate::server::db::outbox::{self, OutboxMail, OutboxRow, INVITE_LINK};
use crate::server::db::{invites, Db};
use crate::server::tokens::new_token;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The link an invitation email (or Copy link) hands over.
pub fn invite_link(public_url: &str, token: &str) -> String {
    format!("{public_url}/invite/{token}")
}

/// How long a claimed row is reserved for the instance that claimed it.
const LEASE_SECS: i64 = 120;
const BATCH: i64 = 20;

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The invitation email, with [`INVITE_LINK`] where the link goes (minted at delivery).
pub fn invitation_mail(
    to: &str,
    inviter: &str,
    workspaces: &[String],
    expires_at: i64,
) -> OutboxMail {
    let list = workspaces.join(", ");
    let expiry = crate::domain::time::format_utc(expires_at);
    let subject = format!("{inviter} invited you to {list} on Roster");
    let body_text = format!(
        "Hello,\n\n{inviter} invited you to join {list} on Roster.\n\n\
         Accept the invitation by signing in with Google:\n{INVITE_LINK}\n\n\
         The invitation expires on {expiry}. If you did not expect it, ignore this email.\n"
    );
    let body_html = format!(
        "<p>Hello,</p><p>{inviter} invited you to join <strong>{list}</strong> on Roster.</p>\
         <p><a href=\"{INVITE_LINK}\">Accept the invitation</a> by signing in with Google.</p>\
         <p>The invitation expires on {expiry}. If you did not expect it, ignore this email.</p>",
        inviter = escape_html(inviter),
        list = escape_html(&list),
    );
    OutboxMail {
        to: to.to_string(),
        subject,
        body_text,
        body_html,
        invite_email: Some(to.to_string()),
    }
}

#[derive(Clone)]
pub struct Sender {
    db: Db,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    wakeup: Arc<Notify>,
    poll: Duration,
    retry_base_secs: i64,
}

impl Sender {
    pub fn new(
        db: Db,
        config: &crate::server::config::Config,
        smtp_url: &str,
        wakeup: Arc<Notify>,
    ) -> Result<Sender, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("SMTP_URL: {e}"))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from = config
            .mail_from
            .parse()
            .map_err(|e| format!("MAIL_FROM: {e}"))?;
        Ok(Sender {
            db,
            transport,
            from,
            public_url: config.public_url.clone(),
            wakeup,
            poll: config.mail_poll,
            retry_base_secs: config.mail_retry_base.as_secs() as i64,
        })
    }

    /// Delivers due rows until the task is dropped: woken by new rows, and every poll interval.
    pub async fn run(self) {
        loop {
            match self.deliver_due().await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox: could not claim rows"),
            }
            tokio::select! {
                _ = self.wakeup.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// One pass over the due rows; returns how many were claimed.
    pub async fn deliver_due(&self) -> Result<usize, sqlx::Error> {
        let rows = outbox::claim_due(&self.db, BATCH, LEASE_SECS).await?;
        let n = rows.len();
        for row in rows {
            self.deliver(row).await?;
        }
        Ok(n)
    }

    async fn deliver(&self, row: OutboxRow) -> Result<(), sqlx::Error> {
        let (text, html) = match &row.invite_email {
            Some(email) => {
                let (token, hash) = new_token();
                if !invites::set_token_for_delivery(&self.db, email, &hash).await? {
                    return outbox::mark_dropped(&self.db, &row.id, "invitation no longer pending")
                        .await;
                }
                let link = invite_link(&self.public_url, &token);
                (
                    row.body_text.replace(INVITE_LINK, &link),
                    row.body_html.replace(INVITE_LINK, &link),
                )
            }
            None => (row.body_text.clone(), row.body_html.clone()),
        };
        match self.send(&row, text, html).await {
            Ok(()) => {
                tracing::info!(outbox_id = %row.id, attempts = row.attempts, "email delivered");
                outbox::mark_sent(&self.db, &row.id).await
            }
            Err(error) => {
                tracing::warn!(outbox_id = %row.id, attempts = row.attempts, %error, "email not delivered; will retry");
                outbox::mark_failed(
                    &self.db,
                    &row.id,
                    row.attempts,
                    self.retry_base_secs,
                    &error,
                )
                .await
            }
        }
    }

    async fn send(&self, row: &OutboxRow, text: String, html: String) -> Result<(), String> {
        let to: Mailbox = row
            .to_address
            .parse()
            .map_err(|e| format!("recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html),
                    ),
            )
            .map_err(|e| format!("message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
