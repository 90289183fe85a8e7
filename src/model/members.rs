//! The members page: a list of members and invitations, and the forms that change them.

pub use crate::domain::MemberStatus;
use crate::domain::{RoleSource, WorkspaceRole};
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 50;
/// A row of the members list: an active member, or an invitation (pending or expired).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDto {
    pub status: MemberStatus,
    /// Set for active members.
    pub user_id: Option<String>,
    pub email: String,
    pub name: String,
    pub role: WorkspaceRole,
    pub role_source: RoleSource,
    /// When they joined, or when they were invited (Unix seconds, UTC).
    pub at: i64,
    /// Invitations: who invited, and when the invitation expires.
    pub invited_by: Option<String>,
    pub expires_at: Option<i64>,
    /// Invitations: the email already belongs to an account (its owner accepts while signed in).
    pub has_account: bool,
    /// Members: when they last signed in (never: none).
    #[serde(default)]
    pub last_sign_in_at: Option<i64>,
    /// Invitations: what became of the latest email that carried it (none when email is off,
    /// or the invitation was never emailed).
    #[serde(default)]
    pub delivery: Option<Delivery>,
}

/// Where an invitation's latest email stands, from the mail outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Delivery {
    /// Waiting for the sender (written at `since`).
    Queued { since: i64 },
    /// Accepted by the SMTP server at `at`.
    Sent { at: i64 },
    /// The last attempt failed with `error` (the SMTP server's answer); tried again at
    /// `next_attempt_at`.
    Failed {
        error: String,
        attempts: i64,
        next_attempt_at: i64,
    },
    /// Given up for good (`reason`, such as the invitation having been cancelled).
    NotSent { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersPage {
    pub members: Vec<MemberDto>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
    /// The workspace's active members and invitations (pending or expired), whatever the filter.
    pub member_count: i64,
    pub invite_count: i64,
    /// The workspace's rows by status, whatever the filter.
    #[serde(default)]
    pub counts: StatusCounts,
}

/// How many rows of a workspace have each status (members: active or deactivated;
/// invitations: pending or expired).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub active: i64,
    pub deactivated: i64,
    pub pending: i64,
    pub expired: i64,
}

impl StatusCounts {
    /// The count shown beside a status filter (`all` is every row).
    pub fn of(&self, status: &str) -> i64 {
        match status {
            "active" => self.active,
            "deactivated" => self.deactivated,
            "pending" => self.pending,
            "expired" => self.expired,
            _ => self.active + self.deactivated + self.pending + self.expired,
        }
    }
}

/// The members-list query as submitted (a form, or the export's query string).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListMembersForm {
    pub workspace_id: String,
    pub q: Option<String>,
    pub status: Option<String>,
    /// `workspace_admin`, `workspace_editor`, `workspace_viewer`, or empty/`all`.
    pub role: Option<String>,
    /// `email` (the default), `name`, `role`, `status`, `joined`, `last_sign_in`; `-` first
    /// for descending.
    pub sort: Option<String>,
    pub after: Option<String>,
}

impl TryFrom<ListMembersForm> for crate::domain::requests::ListMembers {
    type Error = crate::domain::requests::FieldErrors;

    fn try_from(form: ListMembersForm) -> Result<Self, Self::Error> {
        use crate::domain::requests::{FieldErrors, MemberFilter};
        let mut errors = FieldErrors::default();
        let filter = MemberFilter::parse(
            &mut errors,
            form.q.as_deref(),
            form.status.as_deref(),
            form.role.as_deref(),
            form.sort.as_deref(),
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(crate::domain::requests::ListMembers {
            workspace_id: form.workspace_id.into(),
            filter,
            after: form.after.filter(|a| !a.is_empty()),
        })
    }
}

/// What a bulk action did (or, in a dry run, would do) to each selected row, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResult {
    pub dry_run: bool,
    pub rows: Vec<BulkRowResult>,
    pub done: usize,
    pub skipped: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRowResult {
    /// The row as selected: a user id (member actions) or an email (invitation actions).
    pub row: String,
    /// The row's email, for people to read.
    pub email: Option<String>,
    /// `done` or `skipped`.
    pub result: String,
    /// Why a row was skipped: `last_admin`, `not_a_member`, `not_found`, `unchanged`,
    /// `too_many_requests`, or the single action's error code.
    pub code: Option<String>,
    pub reason: Option<String>,
}
