//! Configuration from environment variables (and `.env` when present). Every variable is listed
//! in the README and `.env.example`; a bad value stops the start with a message naming it.

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    /// Connections the database pool opens at most; `None`: a number from the cores.
    pub database_pool_size: Option<u32>,
    pub bind_addr: SocketAddr,
    pub public_url: String,
    pub site_root: String,
    pub session_idle: Duration,
    pub session_lifetime: Duration,
    pub temp_password_lifetime: Duration,
    pub login_max_failures_per_account: i64,
    pub login_max_failures_per_ip: i64,
    /// Password hashes queued or running at once; past it, sign-ins get a 503 with Retry-After.
    pub hash_queue_max: usize,
    /// Google sign-ins an address may start per 10 minutes without finishing them.
    pub oidc_starts_per_ip: i64,
    /// A client must send a request's headers within this time, or its connection is closed.
    pub header_read_timeout: Duration,
    /// A request that has not been answered by then gets 408.
    pub request_timeout: Duration,
    /// Open connections at once; more wait in the listen backlog.
    pub max_connections: usize,
    pub login_lockout: Duration,
    pub max_body_bytes: usize,
    /// How many proxies in front of Roster append to `X-Forwarded-For`: the client address is
    /// the entry that many places from the right (0: the peer address, the header is ignored).
    pub trusted_proxy_hops: usize,
    pub invite_lifetime: Duration,
    pub invites_per_day: i64,
    /// Requests one API token may make per minute (429 beyond).
    pub token_requests_per_minute: i64,
    /// `None`: email is off; invitation links are copied by hand.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub mail_poll: Duration,
    /// First retry delay after a failed delivery; doubles per attempt, at most an hour.
    pub mail_retry_base: Duration,
    /// How often the webhook sender looks for due deliveries.
    pub webhook_poll: Duration,
    /// The first retry delay of a failed webhook delivery, doubled per attempt up to an hour.
    pub webhook_retry_base: Duration,
    /// How long a failing delivery is retried before it is given up.
    pub webhook_retry_hours: i64,
    /// Let webhooks reach loopback and private addresses (development and tests only: it would
    /// let an organization admin make Roster call services inside its network).
    pub webhook_allow_private_targets: bool,
    /// How long audit entries are kept before the background sweep deletes them; `None` keeps
    /// them for ever (`AUDIT_RETENTION_DAYS=0`).
    pub audit_retention_days: Option<i64>,
    /// `None` when Google (OpenID Connect) sign-in is not configured.
    pub oidc: Option<OidcConfig>,
}

#[derive(Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Accepted `hd` (hosted domain) claims at first sign-in; empty: any.
    pub allowed_domains: Vec<String>,
    /// Identity-provider role sync at every sign-in; `None`: off.
    pub role_sync: Option<RoleSyncConfig>,
}

/// What a claim value maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappedRole {
    Workspace(crate::domain::WorkspaceRole),
    Platform(crate::domain::PlatformRole),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GovernedWorkspaces {
    List(Vec<String>),
    Organization(String),
}

#[derive(Debug, Clone)]
pub struct RoleSyncConfig {
    /// The claim to read (`role`, `roles`, `groups`…): a string or an array of strings.
    pub claim: String,
    /// Read the claim from the userinfo endpoint instead of the ID token.
    pub from_userinfo: bool,
    /// Claim value → role, in priority order: when several values map, the first listed wins.
    pub map: Vec<(String, MappedRole)>,
    pub workspaces: GovernedWorkspaces,
    /// Add a missing membership when a value maps (otherwise only existing ones change).
    pub auto_join: bool,
    /// Without it, a mapping never grants a platform role.
    pub allow_platform_admin: bool,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind_addr", &self.bind_addr)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// Query parameters that carry a secret in a connection URL (libpq and sqlx accept a password
/// there as well as in the userinfo).
const SECRET_PARAMS: [&str; 5] = ["password", "pass", "pwd", "secret", "sslpassword"];

/// The URL with any password replaced, in the userinfo and in the query, for logs and error
/// messages.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        // Not a URL at all: nothing in it can be told apart from a password.
        return "(not a valid URL)".into();
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let secret = SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str());
                (
                    k.into_owned(),
                    if secret { "***".into() } else { v.into_owned() },
                )
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // `***` is percent-encoded by the setters; shown as written.
    url.to_string().replace("%2A%2A%2A", "***")
}

/// May `issuer` be used as an OpenID provider: https, or http only on a loopback address
/// (a provider on the same machine, as in tests), decided on the parsed host.
fn acceptable_issuer(issuer: &str) -> bool {
    let Ok(url) = url::Url::parse(issuer) else {
        return false;
    };
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Domain(d))) => d.eq_ignore_ascii_case("localhost"),
        _ => false,
    }
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn var(lookup: Lookup, name: &'static str, default: &str) -> String {
    lookup(name)
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn number(
    lookup: Lookup,
    name: &'static str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ConfigError> {
    let raw = var(lookup, name, &default.to_string());
    match raw.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError {
            var: name,
            message: format!("expected a whole number from {min} to {max}, got `{raw}`"),
        }),
    }
}

/// `TRUSTED_PROXY_HOPS`. The old `TRUST_FORWARDED_FOR=true` trusted the left-most entry, which
/// the client writes itself: it stops the start rather than silently meaning something else.
fn trusted_proxy_hops(lookup: Lookup) -> Result<usize, ConfigError> {
    if boolean(lookup, "TRUST_FORWARDED_FOR", false)? {
        return Err(ConfigError {
            var: "TRUST_FORWARDED_FOR",
            message:
                "was replaced by TRUSTED_PROXY_HOPS: the number of proxies in front of Roster \
                      that append to X-Forwarded-For (1 for one load balancer)"
                    .into(),
        });
    }
    Ok(number(lookup, "TRUSTED_PROXY_HOPS", 0, 0, 10)? as usize)
}

fn boolean(lookup: Lookup, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match var(lookup, name, if default { "true" } else { "false" })
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(ConfigError {
            var: name,
            message: format!("expected true or false, got `{other}`"),
        }),
    }
}

fn smtp_url(lookup: Lookup) -> Result<Option<String>, ConfigError> {
    let raw = var(lookup, "SMTP_URL", "");
    if raw.is_empty() {
        return Ok(None);
    }
    if !(raw.starts_with("smtp://") || raw.starts_with("smtps://")) {
        return Err(ConfigError {
            var: "SMTP_URL",
            message: format!(
                "expected smtp://[user:pass@]host:port (add ?tls=required for STARTTLS) or smtps://…, got `{}`",
                redact_url(&raw)
            ),
        });
    }
    Ok(Some(raw))
}

fn mail_from(lookup: Lookup) -> Result<String, ConfigError> {
    let raw = var(lookup, "MAIL_FROM", "Roster <roster@localhost>");
    match raw.parse::<lettre::message::Mailbox>() {
        Ok(_) => Ok(raw),
        Err(e) => Err(ConfigError {
            var: "MAIL_FROM",
            message: format!("expected `Name <address>` or an address: {e}"),
        }),
    }
}

fn oidc(lookup: Lookup) -> Result<Option<OidcConfig>, ConfigError> {
    let client_id = var(lookup, "OIDC_CLIENT_ID", "");
    if client_id.is_empty() {
        return Ok(None);
    }
    let client_secret = var(lookup, "OIDC_CLIENT_SECRET", "");
    if client_secret.is_empty() {
        return Err(ConfigError {
            var: "OIDC_CLIENT_SECRET",
            message: "required when OIDC_CLIENT_ID is set".into(),
        });
    }
    let issuer = var(lookup, "OIDC_ISSUER", "https://accounts.google.com");
    if !acceptable_issuer(&issuer) {
        return Err(ConfigError {
            var: "OIDC_ISSUER",
            message: format!("expected an https:// URL (http:// only on loopback), got `{issuer}`"),
        });
    }
    let allowed_domains = var(lookup, "OIDC_ALLOWED_DOMAINS", "")
        .split(',')
        .map(|d| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    let role_sync = role_sync(lookup)?;
    Ok(Some(OidcConfig {
        issuer,
        client_id,
        client_secret,
        allowed_domains,
        role_sync,
    }))
}

fn role_sync(lookup: Lookup) -> Result<Option<RoleSyncConfig>, ConfigError> {
    let claim = var(lookup, "OIDC_ROLE_CLAIM", "");
    if claim.is_empty() {
        return Ok(None);
    }
    let map_raw = var(lookup, "OIDC_ROLE_MAP", "");
    let mut map = Vec::new();
    for entry in map_raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let bad = |m: String| ConfigError {
            var: "OIDC_ROLE_MAP",
            message: m,
        };
        let (value, role) = entry.rsplit_once('=').ok_or_else(|| {
            bad(format!(
                "expected value=role pairs separated by commas, got `{entry}`"
            ))
        })?;
        let role = role.trim();
        let mapped = if let Ok(r) = role.parse() {
            MappedRole::Workspace(r)
        } else if let Ok(r) = role.parse() {
            MappedRole::Platform(r)
        } else {
            return Err(bad(format!(
                "unknown role `{role}` for `{value}`: use workspace_admin, workspace_editor, workspace_viewer, platform_admin or platform_operator"
            )));
        };
        map.push((value.trim().to_string(), mapped));
    }
    if map.is_empty() {
        return Err(ConfigError {
            var: "OIDC_ROLE_MAP",
            message: "required when OIDC_ROLE_CLAIM is set, e.g. admin=workspace_admin,dev=workspace_editor".into(),
        });
    }
    let ws_raw = var(lookup, "OIDC_ROLE_WORKSPACES", "");
    let workspaces = match ws_raw.strip_prefix("org:") {
        Some(org) if !org.trim().is_empty() => {
            GovernedWorkspaces::Organization(org.trim().to_string())
        }
        _ => {
            let ids: Vec<String> = ws_raw
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if ids.is_empty() {
                return Err(ConfigError {
                    var: "OIDC_ROLE_WORKSPACES",
                    message: "required when OIDC_ROLE_CLAIM is set: workspace ids separated by commas, or org:<organization id>".into(),
                });
            }
            GovernedWorkspaces::List(ids)
        }
    };
    let from_userinfo = match var(lookup, "OIDC_ROLE_SOURCE", "id_token").as_str() {
        "id_token" => false,
        "userinfo" => true,
        other => {
            return Err(ConfigError {
                var: "OIDC_ROLE_SOURCE",
                message: format!("expected id_token or userinfo, got `{other}`"),
            })
        }
    };
    Ok(Some(RoleSyncConfig {
        claim,
        from_userinfo,
        map,
        workspaces,
        auto_join: boolean(lookup, "OIDC_ROLE_AUTO_JOIN", false)?,
        allow_platform_admin: boolean(lookup, "OIDC_ROLE_ALLOW_PLATFORM_ADMIN", false)?,
    }))
}

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(&|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: Lookup) -> Result<Config, ConfigError> {
        let database_url = var(lookup, "DATABASE_URL", "sqlite://data/roster.db");
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            return Err(ConfigError {
                var: "DATABASE_URL",
                message: format!(
                    "unsupported database `{}`; use sqlite://path/to/file.db or postgres://user@host:5432/db",
                    redact_url(&database_url)
                ),
            });
        }
        let bind_raw = var(lookup, "BIND_ADDR", "127.0.0.1:3000");
        let bind_addr = bind_raw.parse().map_err(|_| ConfigError {
            var: "BIND_ADDR",
            message: format!("expected host:port such as 127.0.0.1:3000, got `{bind_raw}`"),
        })?;
        let public_url = var(lookup, "PUBLIC_URL", &format!("http://{bind_raw}"))
            .trim_end_matches('/')
            .to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError {
                var: "PUBLIC_URL",
                message: format!("expected an http:// or https:// URL, got `{public_url}`"),
            });
        }
        Ok(Config {
            database_url,
            bind_addr,
            public_url,
            site_root: var(lookup, "SITE_ROOT", "target/site"),
            session_idle: Duration::from_secs(
                number(lookup, "SESSION_IDLE_HOURS", 12, 1, 24 * 30)? as u64 * HOUR,
            ),
            session_lifetime: Duration::from_secs(
                number(lookup, "SESSION_LIFETIME_DAYS", 7, 1, 90)? as u64 * DAY,
            ),
            temp_password_lifetime: Duration::from_secs(
                number(lookup, "TEMP_PASSWORD_DAYS", 7, 1, 90)? as u64 * DAY,
            ),
            login_max_failures_per_account: number(
                lookup,
                "LOGIN_MAX_FAILURES_PER_ACCOUNT",
                5,
                1,
                1000,
            )?,
            login_max_failures_per_ip: number(lookup, "LOGIN_MAX_FAILURES_PER_IP", 50, 1, 100_000)?,
            hash_queue_max: number(lookup, "HASH_QUEUE_MAX", 64, 1, 10_000)? as usize,
            oidc_starts_per_ip: number(lookup, "OIDC_STARTS_PER_IP", 60, 1, 100_000)?,
            header_read_timeout: Duration::from_secs(number(
                lookup,
                "HEADER_READ_TIMEOUT_SECS",
                10,
                1,
                3600,
            )? as u64),
            request_timeout: Duration::from_secs(number(
                lookup,
                "REQUEST_TIMEOUT_SECS",
                30,
                1,
                3600,
            )? as u64),
            max_connections: number(lookup, "MAX_CONNECTIONS", 1024, 1, 1_000_000)? as usize,
            database_pool_size: match number(lookup, "DATABASE_POOL_SIZE", 0, 0, 10_000)? {
                0 => None,
                n => Some(n as u32),
            },
            login_lockout: Duration::from_secs(
                number(lookup, "LOGIN_LOCKOUT_MINUTES", 15, 1, 24 * 60)? as u64 * 60,
            ),
            max_body_bytes: number(lookup, "MAX_BODY_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024)?
                as usize,
            trusted_proxy_hops: trusted_proxy_hops(lookup)?,
            invite_lifetime: Duration::from_secs(
                number(lookup, "INVITE_LIFETIME_DAYS", 7, 1, 30)? as u64 * DAY,
            ),
            invites_per_day: number(lookup, "INVITES_PER_DAY", 100, 1, 100_000)?,
            token_requests_per_minute: number(
                lookup,
                "TOKEN_REQUESTS_PER_MINUTE",
                600,
                1,
                1_000_000,
            )?,
            smtp_url: smtp_url(lookup)?,
            mail_from: mail_from(lookup)?,
            mail_poll: Duration::from_secs(number(lookup, "MAIL_POLL_SECONDS", 5, 1, 3600)? as u64),
            mail_retry_base: Duration::from_secs(number(
                lookup,
                "MAIL_RETRY_BASE_SECONDS",
                15,
                1,
                3600,
            )? as u64),
            webhook_poll: Duration::from_millis(number(
                lookup,
                "WEBHOOK_POLL_MILLISECONDS",
                1000,
                50,
                3_600_000,
            )? as u64),
            webhook_retry_base: Duration::from_secs(number(
                lookup,
                "WEBHOOK_RETRY_BASE_SECONDS",
                30,
                1,
                3600,
            )? as u64),
            webhook_retry_hours: number(lookup, "WEBHOOK_RETRY_HOURS", 26, 24, 720)?,
            webhook_allow_private_targets: boolean(lookup, "WEBHOOK_ALLOW_PRIVATE_TARGETS", false)?,
            audit_retention_days: Some(number(lookup, "AUDIT_RETENTION_DAYS", 365, 0, 36_500)?)
                .filter(|&days| days > 0),
            oidc: oidc(lookup)?,
        })
    }

    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of `PUBLIC_URL`, to compare with an `Origin` header.
    pub fn public_origin(&self) -> &str {
        let after_scheme = self.public_url.find("://").map(|i| i + 3).unwrap_or(0);
        match self.public_url[after_scheme..].find('/') {
            Some(slash) => &self.public_url[..after_scheme + slash],
            None => &self.public_url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(&move |k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://data/roster.db");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.session_idle, Duration::from_secs(12 * 3600));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = config(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        assert!(err.to_string().contains("sqlite://"));
        assert_eq!(
            config(&[("SESSION_IDLE_HOURS", "soon")]).unwrap_err().var,
            "SESSION_IDLE_HOURS"
        );
        assert_eq!(
            config(&[("BIND_ADDR", "nowhere")]).unwrap_err().var,
            "BIND_ADDR"
        );
    }

    #[test]
    fn database_password_is_redacted() {
        let err = config(&[("DATABASE_URL", "mysql://root:hunter2@db/x")]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=require&password=hunter2"),
            "postgres://u@h/db?sslmode=require&password=***"
        );
        assert!(!redact_url("postgres://h/db?PassWord=hunter2").contains("hunter2"));
        assert!(!redact_url("not a url hunter2").contains("hunter2"));
        let c = config(&[("DATABASE_URL", "postgres://u:pw@h/db")]).unwrap();
        assert!(!format!("{c:?}").contains("pw@"));
    }

    #[test]
    fn an_http_issuer_is_accepted_only_on_loopback() {
        for ok in [
            "https://accounts.google.com",
            "http://127.0.0.1:9000",
            "http://127.8.0.1/",
            "http://[::1]:9000",
            "http://localhost:8080/realm",
        ] {
            assert!(acceptable_issuer(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1@evil.example",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "accounts.google.com",
        ] {
            assert!(!acceptable_issuer(bad), "{bad}");
        }
    }

    #[test]
    fn mail_settings() {
        assert!(config(&[]).unwrap().smtp_url.is_none());
        assert_eq!(
            config(&[("SMTP_URL", "http://x")]).unwrap_err().var,
            "SMTP_URL"
        );
        assert!(!config(&[("SMTP_URL", "imap://u:secret@x")])
            .unwrap_err()
            .to_string()
            .contains("secret"));
        assert_eq!(
            config(&[("MAIL_FROM", "not an address")]).unwrap_err().var,
            "MAIL_FROM"
        );
        assert_eq!(
            config(&[("INVITE_LIFETIME_DAYS", "31")]).unwrap_err().var,
            "INVITE_LIFETIME_DAYS"
        );
        assert_eq!(
            config(&[("INVITE_LIFETIME_DAYS", "30")])
                .unwrap()
                .invite_lifetime,
            Duration::from_secs(30 * DAY)
        );
    }

    #[test]
    fn role_sync_settings() {
        let base = [
            ("OIDC_CLIENT_ID", "c"),
            ("OIDC_CLIENT_SECRET", "s"),
            ("OIDC_ROLE_CLAIM", "roles"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v = base.to_vec();
            v.extend_from_slice(extra);
            config(&v)
        };
        assert_eq!(
            with(&[("OIDC_ROLE_WORKSPACES", "w1")]).unwrap_err().var,
            "OIDC_ROLE_MAP"
        );
        let unknown = with(&[
            ("OIDC_ROLE_MAP", "admin=superuser"),
            ("OIDC_ROLE_WORKSPACES", "w1"),
        ])
        .unwrap_err();
        assert_eq!(unknown.var, "OIDC_ROLE_MAP");
        assert!(unknown.message.contains("superuser"));
        assert_eq!(
            with(&[("OIDC_ROLE_MAP", "admin=workspace_admin")])
                .unwrap_err()
                .var,
            "OIDC_ROLE_WORKSPACES"
        );
        let ok = with(&[
            (
                "OIDC_ROLE_MAP",
                "admin=workspace_admin, dev=workspace_editor",
            ),
            ("OIDC_ROLE_WORKSPACES", "org:o1"),
        ])
        .unwrap();
        let sync = ok.oidc.unwrap().role_sync.unwrap();
        assert_eq!(
            sync.map[1],
            (
                "dev".to_string(),
                MappedRole::Workspace(crate::domain::WorkspaceRole::WorkspaceEditor)
            )
        );
        assert_eq!(
            sync.workspaces,
            GovernedWorkspaces::Organization("o1".into())
        );
        assert!(!sync.auto_join && !sync.allow_platform_admin);
    }

    #[test]
    fn public_origin_strips_path() {
        let c = config(&[("PUBLIC_URL", "https://roster.example.com/base/")]).unwrap();
        assert_eq!(c.public_origin(), "https://roster.example.com");
        assert!(c.is_https());
    }
}
