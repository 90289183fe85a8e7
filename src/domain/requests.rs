//! What a server function was asked to do, parsed from its form: each field is checked and every
//! invalid field is reported at once (one 400 naming them all), so that `server::` code only
//! ever sees well-formed requests.

use super::ids::{UserId, WorkspaceId};
use super::password::NewPassword;
use super::{Email, WorkspaceRole};
use std::collections::BTreeMap;

/// The invalid fields of a form: field name → what to fix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_string()).or_insert(message.into());
    }

    /// Keeps the parsed value, or records why the field is invalid.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        r.map_err(|e| self.add(field, e.to_string())).ok()
    }

    pub fn one(field: &str, message: impl Into<String>) -> FieldErrors {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub const ROLE_CHOICES: &str = "choose workspace_admin, workspace_editor or workspace_viewer";
/// The longest display name stored anywhere.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest search accepted by a list.
pub const MAX_SEARCH_CHARS: usize = 200;

pub fn workspace_role(raw: &str) -> Result<WorkspaceRole, &'static str> {
    raw.parse().map_err(|_| ROLE_CHOICES)
}

/// A person's display name: trimmed, one line, at most [`MAX_NAME_CHARS`].
pub fn display_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("use at most {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("use one line of text, without control characters".into());
    }
    Ok(name.to_string())
}

/// A name as an identity provider sends it, made storable rather than refused (the person did
/// not type it here): control characters become spaces, at most [`MAX_NAME_CHARS`] are kept.
pub fn name_from_provider(raw: &str) -> String {
    let one_line: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_NAME_CHARS)
        .collect();
    one_line.trim().to_string()
}

/// The name of an organization or workspace: 1 to 100 characters on one line.
pub fn entity_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("use 1 to 100 characters on one line");
    }
    Ok(name.to_string())
}

/// The password an admin gives a new account: theirs, or one Roster generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChoice {
    Given(NewPassword),
    Generate,
}

/// A request about one target (a workspace, an organization): the target's id, and the rest
/// of the form parsed or the reasons it is not. The server authorizes on the target before it
/// looks at the body, so that someone who may not act gets 403, not a lesson in validation.
pub type Parsed<T> = Result<T, FieldErrors>;

/// Add User (the workspace is the request's target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddUser {
    pub email: Email,
    pub name: String,
    pub password: PasswordChoice,
    pub role: WorkspaceRole,
    pub must_change_password: bool,
}

/// Which rows the members list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StatusFilter {
    #[default]
    All,
    /// Members whose account is not deactivated.
    Active,
    /// Members whose account is deactivated.
    Deactivated,
    Pending,
    Expired,
}

impl StatusFilter {
    /// Whether members (`true`) or invitations (`false`) can match, and which of them.
    pub fn shows_members(self) -> bool {
        matches!(
            self,
            StatusFilter::All | StatusFilter::Active | StatusFilter::Deactivated
        )
    }

    pub fn shows_invitations(self) -> bool {
        matches!(
            self,
            StatusFilter::All | StatusFilter::Pending | StatusFilter::Expired
        )
    }
}

impl std::str::FromStr for StatusFilter {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" | "" => Ok(StatusFilter::All),
            "active" => Ok(StatusFilter::Active),
            "deactivated" => Ok(StatusFilter::Deactivated),
            "pending" => Ok(StatusFilter::Pending),
            "expired" => Ok(StatusFilter::Expired),
            _ => Err("choose all, active, deactivated, pending or expired"),
        }
    }
}

/// The column the members list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    Email,
    /// The name; invitations (which have none) by their email.
    Name,
    /// Admins, then editors, then viewers.
    Role,
    /// Active members, deactivated members, pending invitations, expired invitations.
    Status,
    /// When members joined; invitations (not joined yet) after every member.
    Joined,
    /// When members last signed in; invitations and those who never did count as never.
    LastSignIn,
}

/// How the members list is ordered: a field, ascending or descending (written `-field`).
/// Within equal values rows go by email, so every order is total and pages never repeat a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemberSort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for MemberSort {
    fn default() -> Self {
        MemberSort {
            field: SortField::Email,
            descending: false,
        }
    }
}

impl MemberSort {
    pub const CHOICES: &'static str =
        "choose email, name, role, status, joined or last_sign_in, with a leading - for descending";

    pub fn as_string(self) -> String {
        let field = match self.field {
            SortField::Email => "email",
            SortField::Name => "name",
            SortField::Role => "role",
            SortField::Status => "status",
            SortField::Joined => "joined",
            SortField::LastSignIn => "last_sign_in",
        };
        if self.descending {
            format!("-{field}")
        } else {
            field.to_string()
        }
    }
}

impl std::str::FromStr for MemberSort {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (descending, field) = match s.strip_prefix('-') {
            Some(field) => (true, field),
            None => (false, s),
        };
        let field = match field {
            "email" => SortField::Email,
            "" if !descending => SortField::Email,
            "name" => SortField::Name,
            "role" => SortField::Role,
            "status" => SortField::Status,
            "joined" => SortField::Joined,
            "last_sign_in" => SortField::LastSignIn,
            _ => return Err(MemberSort::CHOICES),
        };
        Ok(MemberSort { field, descending })
    }
}

/// Which rows of a workspace's list, and in which order: the page, the export and a bulk
/// action's "all matching" read the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MemberFilter {
    /// The start of an email address or of a name, any case; empty for every row.
    pub search: String,
    pub status: StatusFilter,
    pub role: Option<WorkspaceRole>,
    pub sort: MemberSort,
}

impl MemberFilter {
    /// Parses the list's query fields (`q`, `status`, `role`, `sort`), every invalid one into
    /// `errors`.
    pub fn parse(
        errors: &mut FieldErrors,
        q: Option<&str>,
        status: Option<&str>,
        role: Option<&str>,
        sort: Option<&str>,
    ) -> MemberFilter {
        let search = q.unwrap_or_default().trim().to_string();
        if search.chars().count() > MAX_SEARCH_CHARS {
            errors.add(
                "q",
                format!("search with at most {MAX_SEARCH_CHARS} characters"),
            );
        }
        if search.chars().any(char::is_control) {
            errors.add("q", "search without control characters");
        }
        let status = errors
            .check("status", status.unwrap_or("all").parse::<StatusFilter>())
            .unwrap_or_default();
        let role = match role.map(str::trim).filter(|r| !r.is_empty() && *r != "all") {
            None => None,
            Some(role) => errors.check("role", workspace_role(role)),
        };
        let sort = errors
            .check("sort", sort.unwrap_or("email").trim().parse::<MemberSort>())
            .unwrap_or_default();
        MemberFilter {
            search,
            status,
            role,
            sort,
        }
    }
}

/// One page of the members list. `after` is the opaque cursor of the previous page, decoded
/// by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMembers {
    pub workspace_id: WorkspaceId,
    pub filter: MemberFilter,
    pub after: Option<String>,
}

/// A membership of a workspace: the target of a role change or a removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_members_order_is_a_field_with_an_optional_minus_for_descending() {
        for (raw, field, descending) in [
            ("email", SortField::Email, false),
            ("", SortField::Email, false),
            ("-email", SortField::Email, true),
            ("name", SortField::Name, false),
            ("-role", SortField::Role, true),
            ("status", SortField::Status, false),
            ("-joined", SortField::Joined, true),
            ("last_sign_in", SortField::LastSignIn, false),
        ] {
            let sort: MemberSort = raw.parse().unwrap();
            assert_eq!((sort.field, sort.descending), (field, descending), "{raw}");
            if !raw.is_empty() {
                assert_eq!(sort.as_string(), raw, "written back as read");
            }
        }
        for bad in ["-", "--email", "Email", "salary", "email "] {
            assert!(bad.parse::<MemberSort>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_members_filter_reports_every_bad_field_at_once() {
        let mut errors = FieldErrors::default();
        let filter = MemberFilter::parse(
            &mut errors,
            Some("  ada "),
            Some("deactivated"),
            Some("workspace_editor"),
            Some("-last_sign_in"),
        );
        assert!(errors.is_empty());
        assert_eq!(filter.search, "ada");
        assert_eq!(filter.status, StatusFilter::Deactivated);
        assert_eq!(filter.role, Some(WorkspaceRole::WorkspaceEditor));
        assert_eq!(filter.sort.field, SortField::LastSignIn);
        let mut errors = FieldErrors::default();
        let filter = MemberFilter::parse(&mut errors, None, None, Some("all"), None);
        assert!(errors.is_empty());
        assert_eq!(filter, MemberFilter::default());
        let mut errors = FieldErrors::default();
        MemberFilter::parse(
            &mut errors,
            Some(&"a".repeat(MAX_SEARCH_CHARS + 1)),
            Some("gone"),
            Some("owner"),
            Some("salary"),
        );
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["q", "role", "sort", "status"]);
        let mut errors = FieldErrors::default();
        MemberFilter::parse(&mut errors, Some("a\u{0}b"), None, None, None);
        assert!(errors.0.contains_key("q"), "a NUL in a search is refused");
    }

    #[test]
    fn a_providers_name_is_kept_to_one_storable_line() {
        assert_eq!(name_from_provider(" Ada\0Love\r\nlace "), "Ada Love  lace");
        assert_eq!(
            name_from_provider(&"é".repeat(300)).chars().count(),
            MAX_NAME_CHARS
        );
        assert_eq!(name_from_provider("\u{1b}[2J"), "[2J");
    }

    #[test]
    fn names_stay_on_one_line_and_within_bounds() {
        assert_eq!(display_name("  Ada  ").unwrap(), "Ada");
        assert!(display_name("a\nb").is_err());
        assert!(display_name("a\u{0}").is_err());
        assert!(display_name(&"é".repeat(201)).is_err());
        assert!(display_name(&"é".repeat(200)).is_ok());
        assert!(entity_name("").is_err());
        assert!(entity_name("Ops\r\nX").is_err());
        assert_eq!(entity_name(" Ops ").unwrap(), "Ops");
    }

    #[test]
    fn field_errors_keep_the_first_message_per_field() {
        let mut e = FieldErrors::default();
        assert_eq!(e.check("role", workspace_role("boss")), None);
        e.add("role", "second");
        assert_eq!(e.0["role"], ROLE_CHOICES);
        assert_eq!(
            e.check::<_, &str>("x", Ok(1)),
            Some(1),
            "a valid field adds nothing"
        );
        assert_eq!(e.0.len(), 1);
    }

    #[test]
    fn status_filters_parse_from_their_names() {
        assert_eq!("".parse::<StatusFilter>(), Ok(StatusFilter::All));
        assert_eq!("expired".parse::<StatusFilter>(), Ok(StatusFilter::Expired));
        assert!("deleted".parse::<StatusFilter>().is_err());
    }
}
