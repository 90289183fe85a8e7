//! Accounts as the people list and a person's page show them: every account or those with a
//! place in the viewer's organizations, in email order, a page at a time.

use super::{with_pool, Db, DbResult};
use crate::domain::{OrgRole, PlatformRole, RoleSource, WorkspaceRole};

/// Sorts after every string that starts with a given prefix (both backends compare bytewise).
const PREFIX_END: char = '\u{10FFFF}';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleStatus {
    All,
    Active,
    Deactivated,
    MustChangePassword,
    TemporaryPasswordExpired,
}

impl std::str::FromStr for PeopleStatus {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "" | "all" => PeopleStatus::All,
            "active" => PeopleStatus::Active,
            "deactivated" => PeopleStatus::Deactivated,
            "must_change_password" => PeopleStatus::MustChangePassword,
            "temporary_password_expired" => PeopleStatus::TemporaryPasswordExpired,
            _ => {
                return Err("choose all, active, deactivated, must_change_password or temporary_password_expired")
            }
        })
    }
}

/// Whose accounts a list covers.
#[derive(Debug, Clone, Copy)]
pub enum PeopleScope<'a> {
    Everyone,
    /// People with an organization role in, or a membership in a workspace of, an organization
    /// that this user owns or administers.
    OrganizationsOf(&'a str),
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub platform_role: Option<PlatformRole>,
    pub disabled_at: Option<i64>,
    pub must_change_password: bool,
    pub temp_password_expires_at: Option<i64>,
    pub last_sign_in_at: Option<i64>,
    pub email_verified_at: Option<i64>,
    pub created_at: i64,
    pub has_password: i64,
    pub identity_count: i64,
    pub membership_count: i64,
}

const PERSON_COLUMNS: &str = "u.id, u.email, u.name, u.platform_role, u.disabled_at, \
     u.must_change_password, u.temp_password_expires_at, u.last_sign_in_at, u.email_verified_at, u.created_at, \
     CAST(CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, \
     (SELECT COUNT(*) FROM identities i WHERE i.user_id = u.id) AS identity_count, \
     (SELECT COUNT(*) FROM workspace_members m WHERE m.user_id = u.id) AS membership_count";

/// One page of accounts after the email `after`, in email order (bytewise), searched by the
/// start of the email or of the lowercased name. Every filter is an index range (status by a
/// partial index), so a page costs the same among 100 or 100,000 accounts. Returns one row
/// more than `limit` when there is a next page.
pub async fn list(
    db: &Db,
    scope: PeopleScope<'_>,
    search: &str,
    status: PeopleStatus,
    after: Option<&str>,
    limit: i64,
    now: i64,
) -> DbResult<Vec<PersonRow>> {
    let c = db.bytewise();
    // Placeholders: $1 search, $2 the character after every prefix, $3 after, $4 now,
    // $5 limit, $6 the organization viewer.
    let mut clauses: Vec<String> = Vec::new();
    if !search.is_empty() {
        // Two index ranges whose union is sorted, rather than one `OR`: PostgreSQL would
        // otherwise walk every account in email order to filter names.
        clauses.push(format!(
            "u.id IN (SELECT id FROM users WHERE email{c} >= $1 AND email{c} < $1 || $2 \
             UNION ALL SELECT id FROM users WHERE lower(name){c} >= lower($1) AND lower(name){c} < lower($1) || $2)"
        ));
    }
    if after.is_some() {
        clauses.push(format!("u.email{c} > $3"));
    }
    clauses.push(
        match status {
            PeopleStatus::All => "$4 = $4",
            PeopleStatus::Active => "u.disabled_at IS NULL",
            PeopleStatus::Deactivated => "u.disabled_at IS NOT NULL",
            PeopleStatus::MustChangePassword => "u.must_change_password",
            PeopleStatus::TemporaryPasswordExpired => {
                "u.must_change_password AND u.temp_password_expires_at <= $4"
            }
        }
        .to_string(),
    );
    if let PeopleScope::OrganizationsOf(_) = scope {
        clauses.push(
            "u.id IN (SELECT om.user_id FROM org_members om WHERE om.org_id IN ( \
                 SELECT org_id FROM org_members WHERE user_id = $6 AND role IN ('org_owner', 'org_admin')) \
             UNION SELECT m.user_id FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id \
                 WHERE w.org_id IN (SELECT org_id FROM org_members WHERE user_id = $6 AND role IN ('org_owner', 'org_admin')))"
                .to_string(),
        );
    } else {
        clauses.push("$6 = $6".to_string());
    }
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM users u WHERE {} ORDER BY u.email{c} LIMIT $5",
        clauses.join(" AND ")
    );
    let viewer = match scope {
        PeopleScope::Everyone => "",
        PeopleScope::OrganizationsOf(id) => id,
    };
    let prefix_end = PREFIX_END.to_string();
    with_pool!(db, p => sqlx::query_as::<_, PersonRow>(&sql)
        .bind(search)
        .bind(&prefix_end)
        .bind(after.unwrap_or(""))
        .bind(now)
        .bind(limit + 1)
        .bind(viewer)
        .fetch_all(p)
        .await)
}

pub async fn get(db: &Db, user_id: &str) -> DbResult<Option<PersonRow>> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM users u WHERE u.id = $1");
    with_pool!(db, p => sqlx::query_as::<_, PersonRow>(&sql).bind(user_id).fetch_optional(p).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonMembershipRow {
    pub workspace_id: String,
    pub workspace_name: String,
    pub org_id: String,
    pub org_name: String,
    pub role: WorkspaceRole,
    pub role_source: RoleSource,
    pub joined_at: i64,
}

/// Every workspace membership of a person, by organization and workspace name.
pub async fn memberships(db: &Db, user_id: &str) -> DbResult<Vec<PersonMembershipRow>> {
    with_pool!(db, p => sqlx::query_as::<_, PersonMembershipRow>(
        "SELECT w.id AS workspace_id, w.name AS workspace_name, o.id AS org_id, o.name AS org_name, \
         m.role, m.role_source, m.joined_at \
         FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id JOIN organizations o ON o.id = w.org_id \
         WHERE m.user_id = $1 ORDER BY o.name, w.name",
    )
    .bind(user_id)
    .fetch_all(p)
    .await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonOrgRoleRow {
    pub org_id: String,
    pub org_name: String,
    pub role: OrgRole,
}

/// Every organization role of a person.
pub async fn org_roles(db: &Db, user_id: &str) -> DbResult<Vec<PersonOrgRoleRow>> {
    with_pool!(db, p => sqlx::query_as::<_, PersonOrgRoleRow>(
        "SELECT o.id AS org_id, o.name AS org_name, om.role FROM org_members om \
         JOIN organizations o ON o.id = om.org_id WHERE om.user_id = $1 ORDER BY o.name",
    )
    .bind(user_id)
    .fetch_all(p)
    .await)
}
