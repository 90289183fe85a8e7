//! API tokens: minting (by a person, signed in), listing, revoking, and authenticating a
//! bearer request. A token's rights are its scopes intersected with what its account may do
//! now: the scope is checked here, the rest by `can` in each server function, as for a browser.

use crate::domain::scopes::{
    join_scopes, parse_scopes, required_scope, Scope, DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS,
    ORGANIZATION_PREFIX, PERSONAL_PREFIX,
};
use crate::domain::{Action, AuditAction};
use crate::model::tokens::{CreatedToken, TokenDto};
use crate::server::auth::Caller;
use crate::server::db::tokens::{self, NewToken, TokenOwner, TokenRow};
use crate::server::db::users::UserRow;
use crate::server::db::{now, throttle};
use crate::server::tokens::{new_token, token_hash};
use crate::server::{AppError, AppState};

/// What a bearer request may do beyond its account's rights: the token's scopes.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub org_id: Option<String>,
}

impl TokenGrant {
    /// How the audit log names the token ("name (id)").
    pub fn audit_name(&self) -> String {
        format!("{} ({})", self.name, self.id)
    }
}

fn dto(row: TokenRow) -> TokenDto {
    TokenDto {
        scopes: row.scopes.split(',').map(str::to_string).collect(),
        id: row.id,
        name: row.name,
        org_id: row.org_id,
        created_by: row.created_by_email,
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
    }
}

/// Only a person at a browser mints, lists or revokes tokens (never a token).
fn person_only(caller: &Caller) -> Result<(), AppError> {
    if caller.token.is_some() {
        return Err(AppError::Forbidden("API tokens cannot manage API tokens"));
    }
    Ok(())
}

/// May the caller manage the tokens of organization `org_id` (its owners and admins, platform
/// admins)? 404 for an organization that does not exist.
async fn org_manager(caller: &Caller, org_id: &str) -> Result<String, AppError> {
    Ok(caller
        .organization(org_id, Action::ManageOrgMembers)
        .await?
        .id)
}

pub struct CreateToken {
    pub name: String,
    pub scopes: String,
    pub expires_in_days: String,
    pub org_id: String,
}

pub async fn create(caller: &Caller, req: CreateToken) -> Result<CreatedToken, AppError> {
    person_only(caller)?;
    let name = crate::domain::requests::entity_name(&req.name)
        .map_err(|e| AppError::invalid_field("name", e))?;
    let scopes = parse_scopes(&req.scopes).map_err(|e| AppError::invalid_field("scopes", e))?;
    let days = match req.expires_in_days.trim() {
        "" => DEFAULT_TOKEN_DAYS,
        raw => raw
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=MAX_TOKEN_DAYS).contains(d))
            .ok_or_else(|| {
                AppError::invalid_field(
                    "expires_in_days",
                    format!("a number of days from 1 to {MAX_TOKEN_DAYS}"),
                )
            })?,
    };
    let org_id = match req.org_id.trim() {
        "" => None,
        id => Some(org_manager(caller, id).await?),
    };
    if org_id.is_none() && scopes.contains(&Scope::Scim) {
        return Err(AppError::invalid_field(
            "scopes",
            "scim is for organization tokens",
        ));
    }
    let (raw, _) = new_token();
    let prefix = if org_id.is_some() {
        ORGANIZATION_PREFIX
    } else {
        PERSONAL_PREFIX
    };
    let secret = format!("{prefix}{raw}");
    let hash = token_hash(&secret);
    let now = now();
    let scopes_text = join_scopes(&scopes);
    let mut ev = caller.audit(AuditAction::TokenCreated);
    ev.detail = Some(format!(
        "scopes={scopes_text} expires_in_days={days}{}",
        org_id
            .as_deref()
            .map(|o| format!(" organization={o}"))
            .unwrap_or_default()
    ));
    let new = NewToken {
        token_hash: &hash,
        name: &name,
        scopes: &scopes_text,
        org_id: org_id.as_deref(),
        created_by: &caller.user.id,
        expires_at: now + days * 86_400,
        now,
    };
    let id = tokens::create(&caller.state.db, &new, &ev)
        .await?
        .ok_or_else(|| AppError::Conflict {
            code: "too_many_tokens",
            message: format!(
                "At most {} live tokens: revoke one you no longer use first",
                tokens::MAX_LIVE_TOKENS
            ),
        })?;
    let row = tokens::get(&caller.state.db, &id)
        .await?
        .ok_or_else(|| AppError::Internal("a token just created is missing".into()))?;
    Ok(CreatedToken {
        token: dto(row),
        secret,
    })
}

/// The caller's personal tokens, or (with `org_id`) the organization's.
pub async fn list(caller: &Caller, org_id: &str) -> Result<Vec<TokenDto>, AppError> {
    person_only(caller)?;
    let org;
    let owner = match org_id.trim() {
        "" => TokenOwner::Person(&caller.user.id),
        id => {
            org = org_manager(caller, id).await?;
            TokenOwner::Organization(&org)
        }
    };
    Ok(tokens::list(&caller.state.db, owner, now())
        .await?
        .into_iter()
        .map(dto)
        .collect())
}

/// Revokes a token at once: one's own personal token, or an organization's (its owners and
/// admins). 404 for a token the caller may not see.
pub async fn revoke(caller: &Caller, token_id: &str) -> Result<(), AppError> {
    person_only(caller)?;
    let not_found = || AppError::NotFound("no such token");
    let row = tokens::get(&caller.state.db, token_id)
        .await?
        .ok_or_else(not_found)?;
    match &row.org_id {
        None if row.user_id == caller.user.id => {}
        None => return Err(not_found()),
        // Someone else's organization's token is not there for this caller (404, not 403).
        Some(org_id) => {
            org_manager(caller, org_id).await.map_err(|e| match e {
                AppError::Forbidden(_) => not_found(),
                other => other,
            })?;
        }
    }
    let mut ev = caller.audit(AuditAction::TokenRevoked);
    ev.target = Some(format!("token {} ({})", row.name, row.id));
    if !tokens::revoke(&caller.state.db, &row.id, now(), &ev).await? {
        return Err(not_found());
    }
    Ok(())
}

/// Authenticates a bearer request to `path`: the token must be well-formed, live and scoped for
/// the endpoint, its account active, and within its per-minute allowance.
pub async fn authenticate(
    state: &AppState,
    authorization: &str,
    path: &str,
) -> Result<(UserRow, TokenGrant), AppError> {
    authenticate_for(state, authorization, required_scope(path)).await
}

/// As [`authenticate`], for a request that needs scope `needed` (`None`: not for tokens).
pub async fn authenticate_for(
    state: &AppState,
    authorization: &str,
    needed: Option<Scope>,
) -> Result<(UserRow, TokenGrant), AppError> {
    let secret = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|s| s.starts_with(PERSONAL_PREFIX) || s.starts_with(ORGANIZATION_PREFIX))
        .ok_or(AppError::InvalidToken(
            "send `Authorization: Bearer roster_…` with an API token",
        ))?;
    let now = now();
    let token = tokens::find_active(&state.db, &token_hash(secret), now)
        .await?
        .ok_or(AppError::InvalidToken(
            "this API token is unknown, expired or revoked",
        ))?;
    if token.user.disabled_at.is_some() {
        return Err(AppError::InvalidToken(
            "the account of this API token is deactivated",
        ));
    }
    if token.user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    let scopes = token
        .scopes
        .split(',')
        .filter_map(|s| s.parse::<Scope>().ok())
        .collect::<Vec<_>>();
    let needed = needed.ok_or(AppError::ForbiddenBecause {
        code: "not_for_tokens",
        message: "this endpoint is only for a person signed in with a browser".into(),
    })?;
    if !scopes.contains(&needed) {
        return Err(AppError::ForbiddenBecause {
            code: "insufficient_scope",
            message: format!("this API token lacks the {needed} scope"),
        });
    }
    let limit = state.config.token_requests_per_minute;
    if let throttle::Reservation::Refused { retry_after_secs } =
        throttle::reserve(&state.db, &format!("api_token:{}", token.id), limit, 60).await?
    {
        return Err(AppError::TooManyRequests {
            retry_after_secs,
            message: format!("this API token may make {limit} requests a minute"),
        });
    }
    if token.last_used_at.is_none_or(|at| at <= now - 60) {
        tokens::touch(&state.db, &token.id, now).await?;
    }
    Ok((
        token.user,
        TokenGrant {
            id: token.id,
            name: token.name,
            scopes,
            org_id: token.org_id,
        },
    ))
}
