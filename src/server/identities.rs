//! The caller's ways to sign in: linked identities and a password.

use crate::domain::AuditAction;
use crate::model::auth::{IdentityDto, SignInMethods};
use crate::server::auth::Caller;
use crate::server::db::identities::{self, UnlinkOutcome};
use crate::server::db::users;
use crate::server::AppError;

const GOOGLE_ISSUER: &str = "https://accounts.google.com";

pub async fn sign_in_methods(caller: &Caller) -> Result<SignInMethods, AppError> {
    let db = &caller.state.db;
    let rows = identities::list_for_user(db, &caller.user.id).await?;
    let has_password = users::find_credentials_by_id(db, &caller.user.id)
        .await?
        .is_some_and(|c| c.password_hash.is_some());
    Ok(SignInMethods {
        identities: rows
            .into_iter()
            .map(|r| IdentityDto {
                provider: if r.issuer == GOOGLE_ISSUER {
                    "Google".into()
                } else {
                    r.issuer.clone()
                },
                issuer: r.issuer,
                subject: r.subject,
                email_at_link: r.email_at_link,
                linked_at: r.created_at,
            })
            .collect(),
        has_password,
        google_enabled: caller.state.oidc.is_some(),
    })
}

/// Unlinks one of the caller's identities while another way to sign in remains (409 otherwise).
pub async fn unlink(caller: &Caller, issuer: &str, subject: &str) -> Result<(), AppError> {
    let mut ev = caller.audit(AuditAction::IdentityUnlinked);
    ev.target = Some(caller.user.email.clone());
    ev.detail = Some(format!("issuer={issuer}"));
    match identities::unlink(&caller.state.db, &caller.user.id, issuer, subject, &ev).await? {
        UnlinkOutcome::Unlinked => Ok(()),
        UnlinkOutcome::NotLinked => Err(AppError::NotFound(
            "this sign-in method is not linked to you",
        )),
        UnlinkOutcome::LastWayIn => Err(AppError::Conflict {
            code: "last_sign_in_method",
            message:
                "This is your only way to sign in; set a password or link another account first"
                    .into(),
        }),
    }
}
