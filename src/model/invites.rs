//! Invitations: the results of inviting, and what a link shows.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteResultKind {
    Invited,
    Updated,
    AlreadyMember,
    Added,
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteResult {
    pub email: String,
    pub result: InviteResultKind,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invited {
    /// One per distinct email, in the order given.
    pub results: Vec<InviteResult>,
    /// False when the instance has no SMTP server: copy the links from the pending rows.
    pub email_enabled: bool,
}

/// What an invitation link shows before sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub email: String,
    pub workspaces: Vec<String>,
    pub invited_by: Option<String>,
    pub invited_by_email: Option<String>,
    pub expires_at: i64,
    pub expired: bool,
    /// The email already belongs to an account: its owner accepts while signed in.
    pub has_account: bool,
}

/// What accepting an invitation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The workspaces joined (one the account was already in is not listed).
    pub workspaces: Vec<String>,
    /// Workspaces not joined because the inviter may no longer grant them.
    pub skipped: usize,
}
