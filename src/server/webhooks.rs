//! Webhooks: endpoints per organization (its owners and admins manage them), and the sender
//! that delivers the outbox rows the `audit_log` trigger writes: signed with HMAC-SHA256 over
//! `timestamp.body`, retried with backoff, each claimed with a lease so that one instance sends
//! it.

use crate::domain::webhook_events::parse_events;
use crate::domain::{Action, AuditAction};
use crate::model::webhooks::{CreatedWebhook, DeliveryDto, WebhookDto};
use crate::server::auth::Caller;
use crate::server::db::webhooks::{self, ClaimedDelivery, DeliveryRow, NewWebhook, WebhookRow};
use crate::server::db::{now, Db};
use crate::server::AppError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// How many deliveries one pass claims, and for how long.
const BATCH: i64 = 20;
const LEASE_SECS: i64 = 60;
/// A receiver gets this long to answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const RECENT_DELIVERIES: i64 = 20;

/// The signature header's value for `body` sent at `timestamp`: `t=<timestamp>,v1=<hex of
/// HMAC-SHA256(secret, "<timestamp>.<body>")>`. A receiver recomputes it, compares in constant
/// time and refuses old timestamps (replays).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Is `ip` an address on the public internet? Loopback, private, link-local, shared (CGNAT),
/// unspecified, multicast and documentation ranges are not.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b))
                || a == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// An endpoint URL: https, no credentials in it, and (unless private targets are allowed, for
/// development) not an address inside the network; http only for loopback with private targets
/// allowed.
fn endpoint_url(raw: &str, allow_private: bool) -> Result<String, AppError> {
    let bad = |why: &str| AppError::invalid_field("url", why.to_string());
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err(bad("at most 2000 characters"));
    }
    let url = reqwest::Url::parse(raw)
        .map_err(|_| bad("a full URL, such as https://hooks.example.com/roster"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("no user name or password in the URL"));
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    let loopback =
        literal.is_some_and(|ip| ip.is_loopback()) || url.host_str() == Some("localhost");
    if !allow_private && (loopback || literal.is_some_and(|ip| !is_public(ip))) {
        return Err(bad(
            "an address inside the network; use a public https endpoint",
        ));
    }
    match url.scheme() {
        "https" => Ok(url.to_string()),
        "http" if loopback => Ok(url.to_string()),
        _ => Err(bad("use https (http only for 127.0.0.1 or localhost)")),
    }
}

/// The URL as the audit log keeps it: scheme, host and path (a query may hold the receiver's
/// own secret).
fn url_for_audit(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.path()
        ),
        Err(_) => String::new(),
    }
}

/// Resolves receivers' host names for the sender, refusing any that resolve inside the network
/// (checked at every connection, so a name cannot be re-pointed after it was accepted).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn delivery_dto(d: DeliveryRow) -> DeliveryDto {
    let state = match (d.delivered_at, d.gave_up_at) {
        (Some(_), _) => "delivered",
        (None, Some(_)) => "failed",
        (None, None) => "pending",
    };
    DeliveryDto {
        next_attempt_at: (state == "pending").then_some(d.next_attempt_at),
        state: state.to_string(),
        id: d.id,
        event: d.event,
        created_at: d.created_at,
        attempts: d.attempts,
        delivered_at: d.delivered_at,
        last_status: d.last_status,
        last_error: d.last_error,
    }
}

async fn dto(db: &Db, w: WebhookRow) -> Result<WebhookDto, AppError> {
    let deliveries = webhooks::recent_deliveries(db, &w.id, RECENT_DELIVERIES)
        .await?
        .into_iter()
        .map(delivery_dto)
        .collect();
    Ok(WebhookDto {
        events: w.events.split(',').map(str::to_string).collect(),
        id: w.id,
        url: w.url,
        created_by: w.created_by_email,
        created_at: w.created_at,
        deliveries,
    })
}

/// The organization, if the caller manages it (its owners and admins, platform admins);
/// webhooks are managed by a person at a browser, never by an API token.
async fn managed_org(caller: &Caller, org_id: &str) -> Result<String, AppError> {
    if caller.token.is_some() {
        return Err(AppError::Forbidden("API tokens cannot manage webhooks"));
    }
    Ok(caller
        .organization(org_id, Action::ManageOrgMembers)
        .await?
        .id)
}

/// The endpoint, if the caller manages its organization; 404 otherwise (another
/// organization's endpoint is not there for this caller).
async fn managed_webhook(caller: &Caller, webhook_id: &str) -> Result<WebhookRow, AppError> {
    let not_found = || AppError::NotFound("no such webhook");
    let hook = webhooks::get(&caller.state.db, webhook_id)
        .await?
        .ok_or_else(not_found)?;
    managed_org(caller, &hook.org_id)
        .await
        .map_err(|e| match e {
            AppError::Forbidden(_) => not_found(),
            other => other,
        })?;
    Ok(hook)
}

pub async fn create(
    caller: &Caller,
    org_id: &str,
    url: &str,
    events: &str,
) -> Result<CreatedWebhook, AppError> {
    let org_id = managed_org(caller, org_id).await?;
    let url = endpoint_url(url, caller.state.config.webhook_allow_private_targets)?;
    let events = parse_events(events).map_err(|e| AppError::invalid_field("events", e))?;
    let (raw, _) = crate::server::tokens::new_token();
    let secret = format!("whsec_{raw}");
    let mut ev = caller.audit(AuditAction::WebhookCreated);
    ev.detail = Some(format!(
        "organization={org_id} url={} events={}",
        url_for_audit(&url),
        events.join(",")
    ));
    let id = webhooks::create(
        &caller.state.db,
        &NewWebhook {
            org_id: &org_id,
            url: &url,
            secret: &secret,
            events: &events.join(","),
            created_by: &caller.user.id,
        },
        &ev,
    )
    .await?;
    let hook = webhooks::get(&caller.state.db, &id)
        .await?
        .ok_or_else(|| AppError::Internal("a webhook just created is missing".into()))?;
    Ok(CreatedWebhook {
        webhook: dto(&caller.state.db, hook).await?,
        secret,
    })
}

pub async fn list(caller: &Caller, org_id: &str) -> Result<Vec<WebhookDto>, AppError> {
    let org_id = managed_org(caller, org_id).await?;
    let mut out = Vec::new();
    for hook in webhooks::list(&caller.state.db, &org_id).await? {
        out.push(dto(&caller.state.db, hook).await?);
    }
    Ok(out)
}

pub async fn delete(caller: &Caller, webhook_id: &str) -> Result<(), AppError> {
    let hook = managed_webhook(caller, webhook_id).await?;
    let mut ev = caller.audit(AuditAction::WebhookDeleted);
    ev.target = Some(format!("webhook {}", hook.id));
    ev.detail = Some(format!(
        "organization={} url={}",
        hook.org_id,
        url_for_audit(&hook.url)
    ));
    if !webhooks::delete(&caller.state.db, &hook.id, &ev).await? {
        return Err(AppError::NotFound("no such webhook"));
    }
    Ok(())
}

/// Queues a `ping` delivery to the endpoint.
pub async fn test(caller: &Caller, webhook_id: &str) -> Result<(), AppError> {
    let hook = managed_webhook(caller, webhook_id).await?;
    webhooks::enqueue_ping(&caller.state.db, &hook).await?;
    Ok(())
}

pub async fn redeliver(
    caller: &Caller,
    webhook_id: &str,
    delivery_id: &str,
) -> Result<(), AppError> {
    let hook = managed_webhook(caller, webhook_id).await?;
    let id: i64 = delivery_id
        .trim()
        .parse()
        .map_err(|_| AppError::invalid_field("delivery_id", "a delivery's id"))?;
    if !webhooks::redeliver(&caller.state.db, &hook.id, id).await? {
        return Err(AppError::NotFound("no such delivery of this webhook"));
    }
    Ok(())
}

/// Delivers due webhook deliveries until the task is dropped.
pub struct Sender {
    db: Db,
    client: reqwest::Client,
    allow_private: bool,
    poll: Duration,
    retry_base_secs: i64,
    retry_secs: i64,
}

impl Sender {
    pub fn new(db: Db, config: &crate::server::config::Config) -> Sender {
        let allow_private = config.webhook_allow_private_targets;
        let mut client = reqwest::Client::builder();
        if !allow_private {
            client = client.dns_resolver(std::sync::Arc::new(PublicOnly));
        }
        Sender {
            db,
            allow_private,
            client: client
                .timeout(SEND_TIMEOUT)
                // A receiver answers; it does not send Roster elsewhere.
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("Roster-Webhooks/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("an HTTP client"),
            poll: config.webhook_poll,
            retry_base_secs: config.webhook_retry_base.as_secs() as i64,
            retry_secs: config.webhook_retry_hours * 3600,
        }
    }

    pub async fn run(self) {
        loop {
            match self.deliver_due().await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhooks: could not claim deliveries"),
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// One pass; returns how many deliveries were claimed.
    pub async fn deliver_due(&self) -> Result<usize, sqlx::Error> {
        if !webhooks::any_due(&self.db, now()).await? {
            return Ok(0);
        }
        let claimed = webhooks::claim_due(&self.db, BATCH, LEASE_SECS).await?;
        let n = claimed.len();
        for mut d in claimed {
            // Slow receivers earlier in the batch may have outlasted the lease: send only what
            // is still this instance's.
            if webhooks::renew(&self.db, &mut d, LEASE_SECS).await? {
                self.deliver(d).await?;
            }
        }
        Ok(n)
    }

    async fn deliver(&self, d: ClaimedDelivery) -> Result<(), sqlx::Error> {
        let give_up_at = d.created_at + self.retry_secs;
        // Stored URLs were checked when added; checked again in case the setting changed.
        if let Err(e) = endpoint_url(&d.url, self.allow_private) {
            return webhooks::mark_failed(
                &self.db,
                &d,
                None,
                &e.to_string(),
                self.retry_base_secs,
                give_up_at,
            )
            .await;
        }
        let timestamp = now();
        let sent = self
            .client
            .post(&d.url)
            .header("content-type", "application/json")
            .header("roster-event", &d.event)
            .header("roster-delivery", d.id.to_string())
            .header(
                "roster-signature",
                signature(&d.secret, timestamp, &d.payload),
            )
            .body(d.payload.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                webhooks::mark_delivered(&self.db, &d, i64::from(r.status().as_u16())).await
            }
            Ok(r) => {
                let status = r.status().as_u16();
                tracing::warn!(
                    delivery = d.id,
                    status,
                    attempts = d.attempts,
                    "webhook refused"
                );
                webhooks::mark_failed(
                    &self.db,
                    &d,
                    Some(i64::from(status)),
                    &format!("the receiver answered {status}"),
                    self.retry_base_secs,
                    give_up_at,
                )
                .await
            }
            Err(e) => {
                // Without the URL (its query may hold the receiver's own secret); never a header.
                let error: String = e.without_url().to_string().chars().take(300).collect();
                tracing::warn!(delivery = d.id, attempts = d.attempts, error = %error, "webhook not delivered");
                webhooks::mark_failed(&self.db, &d, None, &error, self.retry_base_secs, give_up_at)
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_public_https_unless_private_targets_are_allowed() {
        assert!(endpoint_url("https://hooks.example.com/roster", false).is_ok());
        assert!(endpoint_url("https://93.184.215.14/roster", false).is_ok());
        for private in [
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "https://10.0.0.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://100.64.0.1/",
            "https://192.168.1.1/",
            "https://[::ffff:127.0.0.1]/",
        ] {
            assert!(endpoint_url(private, false).is_err(), "{private}");
        }
        assert!(endpoint_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(endpoint_url("http://localhost/hook", true).is_ok());
        for bad in [
            "http://hooks.example.com/",
            "ftp://x/",
            "not a url",
            "https://u:p@example.com/",
            "javascript:alert(1)",
        ] {
            assert!(endpoint_url(bad, true).is_err(), "{bad}");
        }
        assert_eq!(
            url_for_audit("https://h.example/p?token=secret"),
            "https://h.example/p"
        );
    }

    #[test]
    fn signatures_cover_the_timestamp_and_the_body() {
        let a = signature("whsec_x", 1000, "{}");
        assert!(a.starts_with("t=1000,v1="));
        assert_ne!(a, signature("whsec_x", 1001, "{}"));
        assert_ne!(a, signature("whsec_x", 1000, "{ }"));
        assert_ne!(a, signature("whsec_y", 1000, "{}"));
    }
}
