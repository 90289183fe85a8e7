//! What an API token may reach: its scopes, and the one scope each `/api/` endpoint needs when
//! called with a token. A token's rights are its scopes intersected with what its account may
//! do now (`can`, on every call, as for a browser).

use super::roles::{named_enum, UnknownRole};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    MembersRead,
    MembersWrite,
    InvitesWrite,
    AuditRead,
    Scim,
}

named_enum!(Scope, "scope", {
    MembersRead => "members:read",
    MembersWrite => "members:write",
    InvitesWrite => "invites:write",
    AuditRead => "audit:read",
    Scim => "scim",
});

/// How long a token lives when its creator does not say, and at most (days).
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
pub const MAX_TOKEN_DAYS: i64 = 365;

/// The prefixes that tell a Roster secret at a glance (and to secret scanners).
pub const PERSONAL_PREFIX: &str = "roster_pat_";
pub const ORGANIZATION_PREFIX: &str = "roster_org_";

/// Parses a comma-separated list of scopes (spaces allowed); at least one, each known.
pub fn parse_scopes(raw: &str) -> Result<Vec<Scope>, String> {
    let mut scopes = Vec::new();
    for part in raw
        .split([',', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let scope: Scope = part.parse().map_err(|_| {
            format!(
                "unknown scope {part:?}: choose from {}",
                Scope::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err("choose at least one scope".into());
    }
    scopes.sort();
    Ok(scopes)
}

pub fn join_scopes(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The scope a token needs for an endpoint (`/api/…`), or `None` for those that only a person
/// at a browser may call: signing in and out, passwords (one's own and others'), sessions,
/// sign-in methods, invitation links, minting tokens, webhooks, erasing accounts and creating
/// organizations.
pub fn required_scope(path: &str) -> Option<Scope> {
    use Scope::*;
    Some(match path.strip_prefix("/api/")? {
        "auth/me" | "members/list" | "members/export.csv" | "users/list" | "users/get"
        | "orgs/list" | "orgs/members" => MembersRead,
        // Not Add User, password resets or invitation links: each hands its caller a way to
        // sign in as someone, which would outlive the token's revocation.
        "members/set_role" | "members/remove" | "members/bulk" | "users/deactivate"
        | "users/reactivate" | "orgs/set_role" | "orgs/remove" | "workspaces/create"
        | "workspaces/rename" => MembersWrite,
        "invites/create" | "invites/resend" | "invites/cancel" => InvitesWrite,
        "audit/list" | "audit/export.csv" | "audit/export.ndjson" => AuditRead,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_dedupe_and_refuse_the_unknown() {
        assert_eq!(
            parse_scopes("members:write, members:read,members:read").unwrap(),
            vec![Scope::MembersRead, Scope::MembersWrite]
        );
        assert!(parse_scopes("").is_err());
        assert!(parse_scopes("members:read,root")
            .unwrap_err()
            .contains("root"));
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>().unwrap(), *s);
        }
    }

    #[test]
    fn endpoints_that_only_a_person_may_call_need_a_session() {
        for path in [
            "/api/auth/login",
            "/api/auth/logout",
            "/api/auth/change_password",
            "/api/auth/sessions",
            "/api/auth/end_other_sessions",
            "/api/tokens/create",
            "/api/tokens/list",
            "/api/tokens/revoke",
            "/api/users/erase",
            "/api/orgs/create",
            "/api/invites/accept",
            "/api/invites/link",
            "/api/admin/users",
            "/api/users/reset_password",
            "/members",
        ] {
            assert_eq!(required_scope(path), None, "{path}");
        }
        assert_eq!(
            required_scope("/api/members/list"),
            Some(Scope::MembersRead)
        );
        assert_eq!(
            required_scope("/api/invites/create"),
            Some(Scope::InvitesWrite)
        );
        assert_eq!(required_scope("/api/audit/list"), Some(Scope::AuditRead));
    }
}
