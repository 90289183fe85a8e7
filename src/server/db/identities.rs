//! External identities, keyed on (issuer, subject) — never on an email address.

use super::audit::{audit_query, AuditEvent};
use super::users::UserRow;
use super::BeginWrite;
use super::{now, with_pool, Db, DbResult};

pub async fn find_user(db: &Db, issuer: &str, subject: &str) -> DbResult<Option<UserRow>> {
    with_pool!(db, p => sqlx::query_as::<_, UserRow>(
        "SELECT u.id, u.email, u.name, u.platform_role, u.must_change_password, u.temp_password_expires_at, \
         u.session_version, u.disabled_at \
         FROM identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2",
    )
    .bind(issuer)
    .bind(subject)
    .fetch_optional(p)
    .await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityRow {
    pub issuer: String,
    pub subject: String,
    pub email_at_link: String,
    pub created_at: i64,
}

pub async fn list_for_user(db: &Db, user_id: &str) -> DbResult<Vec<IdentityRow>> {
    with_pool!(db, p => sqlx::query_as::<_, IdentityRow>(
        "SELECT issuer, subject, email_at_link, created_at FROM identities WHERE user_id = $1 ORDER BY created_at",
    )
    .bind(user_id)
    .fetch_all(p)
    .await)
}

#[derive(Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    Linked,
    AlreadyLinkedToYou,
    LinkedToSomeoneElse,
}

/// Links an identity the user just proved they hold (verified email equal to theirs).
pub async fn link(
    db: &Db,
    user_id: &str,
    issuer: &str,
    subject: &str,
    email: &str,
    audit: &AuditEvent,
) -> DbResult<LinkOutcome> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        let owner: Option<String> = sqlx::query_scalar("SELECT user_id FROM identities WHERE issuer = $1 AND subject = $2")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(&mut *tx)
            .await?;
        match owner {
            Some(owner) if owner == user_id => return Ok(LinkOutcome::AlreadyLinkedToYou),
            Some(_) => return Ok(LinkOutcome::LinkedToSomeoneElse),
            None => {}
        }
        sqlx::query("INSERT INTO identities (issuer, subject, user_id, email_at_link, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(issuer)
            .bind(subject)
            .bind(user_id)
            .bind(email)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        // Linked with the account's own (verified) email: the email is proven.
        sqlx::query("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2 AND email = $3")
            .bind(now())
            .bind(user_id)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(LinkOutcome::Linked)
    })
}

#[derive(Debug, PartialEq, Eq)]
pub enum UnlinkOutcome {
    Unlinked,
    NotLinked,
    /// Refused: it is the user's only way to sign in.
    LastWayIn,
}

pub async fn unlink(
    db: &Db,
    user_id: &str,
    issuer: &str,
    subject: &str,
    audit: &AuditEvent,
) -> DbResult<UnlinkOutcome> {
    with_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        // The user's row is locked first (an UPDATE takes the row lock on PostgreSQL; SQLite's
        // write lock is already held), so that two concurrent unlinks are counted one after
        // the other and can never both leave the account without a way in.
        sqlx::query("UPDATE users SET session_version = session_version WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let (identities, has_password): (i64, bool) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM identities WHERE user_id = $1), \
             (SELECT password_hash IS NOT NULL FROM users WHERE id = $1)",
        )
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        if identities <= 1 && !has_password {
            return Ok(UnlinkOutcome::LastWayIn);
        }
        let n = sqlx::query("DELETE FROM identities WHERE user_id = $1 AND issuer = $2 AND subject = $3")
            .bind(user_id)
            .bind(issuer)
            .bind(subject)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(UnlinkOutcome::NotLinked);
        }
        // The sessions opened through an identity provider end with it. (Sessions record the
        // method, not which identity: with two identities linked, both sets end, which errs on
        // the safe side.)
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND method = 'oidc'")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        audit_query!(audit).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(UnlinkOutcome::Unlinked)
    })
}
