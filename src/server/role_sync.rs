//! Identity-provider role sync: at every OpenID Connect sign-in, the governed workspaces'
//! roles follow the configured claim. A missing or empty claim, or values that map to nothing,
//! change nothing (a warning names them): an unknown value never downgrades anybody.

use crate::domain::{PlatformRole, RoleSource, UserId, WorkspaceId, WorkspaceRole};
use crate::server::config::{GovernedWorkspaces, MappedRole, RoleSyncConfig};
use crate::server::db::audit::AuditEvent;
use crate::server::db::members::{self, MembershipChange};
use crate::server::db::users::{self, UserRow};
use crate::server::db::{workspaces, Db};
use crate::server::AppError;
use serde_json::Value;

/// Checks at start that every governed workspace (or the organization) exists.
pub async fn validate(db: &Db, cfg: &RoleSyncConfig) -> Result<(), String> {
    match &cfg.workspaces {
        GovernedWorkspaces::List(ids) => {
            for id in ids {
                if workspaces::get(db, id)
                    .await
                    .map_err(|e| e.to_string())?
                    .is_none()
                {
                    return Err(format!("OIDC_ROLE_WORKSPACES: no workspace `{id}`"));
                }
            }
        }
        GovernedWorkspaces::Organization(org) => {
            if workspaces::get_org(db, org)
                .await
                .map_err(|e| e.to_string())?
                .is_none()
            {
                return Err(format!("OIDC_ROLE_WORKSPACES: no organization `{org}`"));
            }
        }
    }
    Ok(())
}

/// The claim's values: a string, or an array of strings.
pub fn claim_values(claims: &Value, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The mapped workspace role and platform role of `values`, each the first in priority order.
pub fn resolve(
    cfg: &RoleSyncConfig,
    values: &[String],
) -> (Option<WorkspaceRole>, Option<PlatformRole>) {
    let mapped = || {
        cfg.map
            .iter()
            .filter(|(v, _)| values.contains(v))
            .map(|(_, r)| *r)
    };
    let workspace = mapped().find_map(|r| match r {
        MappedRole::Workspace(w) => Some(w),
        MappedRole::Platform(_) => None,
    });
    let platform = mapped().find_map(|r| match r {
        MappedRole::Platform(p) => Some(p),
        MappedRole::Workspace(_) => None,
    });
    (workspace, platform)
}

/// Applies the claim to the user's governed memberships. Returns the user as they must be
/// signed in (a downgrade bumps `session_version`, ending their other sessions at once).
pub async fn sync(
    db: &Db,
    cfg: &RoleSyncConfig,
    mut user: UserRow,
    claims: &Value,
    ip: &str,
) -> Result<UserRow, AppError> {
    let values = claim_values(claims, &cfg.claim);
    if values.is_empty() {
        tracing::warn!(user = %user.id, claim = %cfg.claim, "role sync: claim missing or empty; roles kept");
        return Ok(user);
    }
    let (workspace_role, platform_role) = resolve(cfg, &values);
    let unmapped: Vec<&String> = values
        .iter()
        .filter(|v| !cfg.map.iter().any(|(m, _)| m == *v))
        .collect();
    if !unmapped.is_empty() {
        tracing::warn!(user = %user.id, ?unmapped, "role sync: claim values that map to no role");
    }
    let audit = |workspace_id: Option<&str>| AuditEvent {
        actor_user_id: None,
        actor_token: None,
        action: crate::domain::AuditAction::AuthzChange,
        target: Some(user.email.clone()),
        workspace_id: workspace_id.map(str::to_string),
        ip: Some(ip.to_string()),
        detail: None,
    };
    let mut downgraded = false;

    if let Some(role) = workspace_role {
        let governed = match &cfg.workspaces {
            GovernedWorkspaces::List(ids) => ids.clone(),
            GovernedWorkspaces::Organization(org) => workspaces::ids_of_org(db, org)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
        };
        let user_id = UserId::from(user.id.as_str());
        for ws in governed {
            let ws_id = WorkspaceId::from(ws.as_str());
            match members::role_of(db, &ws_id, &user_id).await? {
                // SCIM provisioning governs this membership: sign-in never overwrites it.
                Some((_, RoleSource::Scim)) => {}
                Some((current, _)) => {
                    let change = members::set_role(
                        db,
                        &ws_id,
                        &user_id,
                        role,
                        RoleSource::Idp,
                        &audit(Some(&ws)),
                    )
                    .await?;
                    match change {
                        MembershipChange::Changed { .. } => {
                            downgraded |= role < current;
                        }
                        MembershipChange::LastAdmin => {
                            tracing::warn!(user = %user.id, workspace = %ws, "role sync: would remove the last admin; role kept");
                        }
                        _ => {}
                    }
                }
                None if cfg.auto_join => {
                    let mut ev = audit(Some(&ws));
                    ev.action = crate::domain::AuditAction::MembershipAdded;
                    ev.detail = Some(format!("role={role} source=idp"));
                    members::add(db, &ws_id, &user_id, role, RoleSource::Idp, &ev).await?;
                }
                None => {}
            }
        }
    } else {
        tracing::warn!(user = %user.id, ?values, "role sync: no value maps to a workspace role; roles kept");
    }

    if let Some(platform) = platform_role {
        if !cfg.allow_platform_admin {
            tracing::warn!(user = %user.id, role = %platform, "role sync: platform roles are not granted by the identity provider (OIDC_ROLE_ALLOW_PLATFORM_ADMIN is off)");
        } else if user.platform_role() != Some(platform) {
            let mut ev = audit(None);
            ev.detail = Some(format!(
                "from={} to={platform} source=idp",
                user.platform_role.map(|r| r.as_str()).unwrap_or("none")
            ));
            users::set_platform_role(db, &user.id, Some(platform), &ev).await?;
            downgraded |= user.platform_role() == Some(PlatformRole::PlatformAdmin);
            user.platform_role = Some(platform);
            // set_platform_role bumped the version: reload it.
            user.session_version = users::find_by_id(db, &user.id)
                .await?
                .map(|u| u.session_version)
                .unwrap_or(user.session_version);
        }
    }

    if downgraded {
        // Ends every other session now, so the lower role applies everywhere at once.
        user.session_version = users::bump_session_version(db, &user.id).await?;
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg() -> RoleSyncConfig {
        RoleSyncConfig {
            claim: "roles".into(),
            from_userinfo: false,
            map: vec![
                (
                    "root".into(),
                    MappedRole::Platform(PlatformRole::PlatformAdmin),
                ),
                (
                    "admin".into(),
                    MappedRole::Workspace(WorkspaceRole::WorkspaceAdmin),
                ),
                (
                    "dev".into(),
                    MappedRole::Workspace(WorkspaceRole::WorkspaceEditor),
                ),
                (
                    "staff".into(),
                    MappedRole::Workspace(WorkspaceRole::WorkspaceViewer),
                ),
            ],
            workspaces: GovernedWorkspaces::List(vec!["w".into()]),
            auto_join: false,
            allow_platform_admin: false,
        }
    }

    #[test]
    fn values_from_string_or_array() {
        assert_eq!(
            claim_values(&json!({"roles": ["a", "b", 3]}), "roles"),
            vec!["a", "b"]
        );
        assert_eq!(
            claim_values(&json!({"roles": "a b"}), "roles"),
            vec!["a", "b"]
        );
        assert!(claim_values(&json!({"roles": []}), "roles").is_empty());
        assert!(claim_values(&json!({}), "roles").is_empty());
    }

    #[test]
    fn priority_is_the_order_of_the_map() {
        let c = cfg();
        assert_eq!(
            resolve(&c, &["staff".into(), "dev".into()]).0,
            Some(WorkspaceRole::WorkspaceEditor)
        );
        assert_eq!(
            resolve(&c, &["admin".into(), "dev".into()]).0,
            Some(WorkspaceRole::WorkspaceAdmin)
        );
        assert_eq!(resolve(&c, &["unknown".into()]), (None, None));
        assert_eq!(
            resolve(&c, &["root".into()]),
            (None, Some(PlatformRole::PlatformAdmin))
        );
    }
}
