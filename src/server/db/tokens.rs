//! API tokens (`api_tokens`): created, found by the SHA-256 of their secret, listed, revoked.

use super::audit::{audit_query, AuditEvent};
use super::users::UserRow;
use super::BeginWrite;
use super::{new_id, with_pool, Db, DbResult};
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub scopes: String,
    pub user_id: String,
    pub org_id: Option<String>,
    pub created_by_email: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

const TOKEN_SELECT: &str = "SELECT t.id, t.name, t.scopes, t.user_id, t.org_id, \
     c.email AS created_by_email, t.created_at, t.expires_at, t.last_used_at \
     FROM api_tokens t LEFT JOIN users c ON c.id = t.created_by";

pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub name: &'a str,
    pub scopes: &'a str,
    /// `None`: a personal token of `created_by`.
    pub org_id: Option<&'a str>,
    pub created_by: &'a str,
    pub expires_at: i64,
    pub now: i64,
}

/// How many live tokens a person, or an organization, may hold.
pub const MAX_LIVE_TOKENS: i64 = 50;

/// Writes a token (and, for an organization token, its service account holding `org_admin`)
/// and its audit row in one transaction. Returns the token's id, or `None` when its owner
/// already holds [`MAX_LIVE_TOKENS`] (counted under a lock on the owner's row, so that a
/// burst of requests cannot pass the limit together).
pub async fn create(db: &Db, new: &NewToken<'_>, audit: &AuditEvent) -> DbResult<Option<String>> {
    let id = new_id();
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let live: i64 = match new.org_id {
            None => {
                sqlx::query("UPDATE users SET session_version = session_version WHERE id = $1")
                    .bind(new.created_by)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND org_id IS NULL AND revoked_at IS NULL AND expires_at > $2")
                    .bind(new.created_by)
                    .bind(new.now)
                    .fetch_one(&mut *tx)
                    .await?
            }
            Some(org_id) => {
                sqlx::query(super::orgs::LOCK_ORG).bind(org_id).execute(&mut *tx).await?;
                sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE org_id = $1 AND revoked_at IS NULL AND expires_at > $2")
                    .bind(org_id)
                    .bind(new.now)
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        if live >= MAX_LIVE_TOKENS {
            return Ok(None);
        }
        let user_id = match new.org_id {
            None => new.created_by.to_string(),
            Some(org_id) => {
                let service = new_id();
                sqlx::query(
                    "INSERT INTO users (id, email, name, created_at, service_token_id) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&service)
                .bind(format!("token-{id}@tokens.invalid"))
                .bind(format!("API token: {}", new.name))
                .bind(new.now)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'org_admin')")
                    .bind(org_id)
                    .bind(&service)
                    .execute(&mut *tx)
                    .await?;
                service
            }
        };
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, name, scopes, user_id, org_id, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(new.token_hash)
        .bind(new.name)
        .bind(new.scopes)
        .bind(&user_id)
        .bind(new.org_id)
        .bind(new.created_by)
        .bind(new.now)
        .bind(new.expires_at)
        .execute(&mut *tx)
        .await?;
        let mut ev = audit.clone();
        ev.target = Some(format!("token {} ({id})", new.name));
        audit_query!(&ev).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(Some(id))
}

/// A live token and the account it acts as, as the database has them now.
#[derive(Debug, Clone)]
pub struct ActiveToken {
    pub id: String,
    pub name: String,
    pub scopes: String,
    pub org_id: Option<String>,
    pub last_used_at: Option<i64>,
    pub user: UserRow,
}

/// The unrevoked, unexpired token with this secret's hash, with its account, in one query.
pub async fn find_active(db: &Db, token_hash: &str, now: i64) -> DbResult<Option<ActiveToken>> {
    let user_columns: Vec<String> = super::users::USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect();
    let sql = format!(
        "SELECT t.id AS t_id, t.name AS t_name, t.scopes AS t_scopes, t.org_id AS t_org_id, \
         t.last_used_at AS t_last_used_at, {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2",
        user_columns.join(", ")
    );
    with_pool!(db, p => {
        let Some(row) = sqlx::query(&sql).bind(token_hash).bind(now).fetch_optional(p).await? else {
            return Ok(None);
        };
        Ok(Some(ActiveToken {
            id: row.try_get("t_id")?,
            name: row.try_get("t_name")?,
            scopes: row.try_get("t_scopes")?,
            org_id: row.try_get("t_org_id")?,
            last_used_at: row.try_get("t_last_used_at")?,
            user: UserRow::from_row(&row)?,
        }))
    })
}

/// Records a use, at most once a minute per token (a conditional write, not one per request).
pub async fn touch(db: &Db, id: &str, now: i64) -> DbResult<()> {
    with_pool!(db, p => sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
    )
    .bind(id)
    .bind(now)
    .bind(now - 60)
    .execute(p)
    .await
    .map(|_| ()))
}

/// Live tokens: the personal ones of `user_id`, or those of organization `org_id`.
pub async fn list(db: &Db, owner: TokenOwner<'_>, now: i64) -> DbResult<Vec<TokenRow>> {
    let (filter, key) = match owner {
        TokenOwner::Person(user_id) => ("t.user_id = $1 AND t.org_id IS NULL", user_id),
        TokenOwner::Organization(org_id) => ("t.org_id = $1", org_id),
    };
    let sql = format!(
        "{TOKEN_SELECT} WHERE {filter} AND t.revoked_at IS NULL AND t.expires_at > $2 ORDER BY t.created_at DESC, t.id LIMIT 200"
    );
    with_pool!(db, p => sqlx::query_as::<_, TokenRow>(&sql).bind(key).bind(now).fetch_all(p).await)
}

#[derive(Debug, Clone, Copy)]
pub enum TokenOwner<'a> {
    Person(&'a str),
    Organization(&'a str),
}

/// The token with this id, live or not, with who it belongs to (to decide who may revoke it).
pub async fn get(db: &Db, id: &str) -> DbResult<Option<TokenRow>> {
    let sql = format!("{TOKEN_SELECT} WHERE t.id = $1 AND t.revoked_at IS NULL");
    with_pool!(db, p => sqlx::query_as::<_, TokenRow>(&sql).bind(id).fetch_optional(p).await)
}

/// Revokes a token at once (and deactivates an organization token's service account, which
/// ends nothing else: it never has sessions). `false` when it was already revoked.
pub async fn revoke(db: &Db, id: &str, now: i64, audit: &AuditEvent) -> DbResult<bool> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let n = sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET disabled_at = $2 WHERE service_token_id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}
