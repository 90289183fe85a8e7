//! Bulk actions on the members page: what each selected row would come to, decided from the
//! current state before anything is done (the confirmation says how many rows and which are
//! skipped, and why). The real run applies each row through the single action, which checks
//! again under its own lock.

use super::WorkspaceRole;

/// At most this many rows per request: an admin with more narrows the filter.
pub const MAX_BULK_ROWS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Resend,
    Cancel,
    SetRole(WorkspaceRole),
    Remove,
}

impl BulkAction {
    /// `action` with the `role` a role change needs.
    pub fn parse(action: &str, role: Option<&str>) -> Result<BulkAction, (&'static str, String)> {
        match action {
            "resend" => Ok(BulkAction::Resend),
            "cancel" => Ok(BulkAction::Cancel),
            "remove" => Ok(BulkAction::Remove),
            "set_role" => match role.map(str::parse::<WorkspaceRole>) {
                Some(Ok(role)) => Ok(BulkAction::SetRole(role)),
                _ => Err(("role", super::requests::ROLE_CHOICES.to_string())),
            },
            _ => Err((
                "action",
                "choose resend, cancel, set_role or remove".to_string(),
            )),
        }
    }

    /// Resend and Cancel act on invitations (rows named by email); the others on members
    /// (rows named by user id).
    pub fn on_invitations(self) -> bool {
        matches!(self, BulkAction::Resend | BulkAction::Cancel)
    }
}

/// What became (or would become) of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    Done,
    Skipped { code: &'static str, reason: String },
}

fn skipped(code: &'static str, reason: &str) -> RowOutcome {
    RowOutcome::Skipped {
        code,
        reason: reason.to_string(),
    }
}

/// A member action over `rows` (each with its current role, `None` for someone who is not a
/// member), applied in order to a workspace that has `admins` admins now: the row that would
/// leave it without an admin is skipped, and so is every later one that would.
pub fn plan_members(
    action: BulkAction,
    rows: &[Option<WorkspaceRole>],
    mut admins: i64,
) -> Vec<RowOutcome> {
    rows.iter()
        .map(|role| {
            let Some(role) = role else {
                return skipped("not_a_member", "not a member of this workspace");
            };
            let loses_admin = *role == WorkspaceRole::WorkspaceAdmin
                && match action {
                    BulkAction::Remove => true,
                    BulkAction::SetRole(to) => to != WorkspaceRole::WorkspaceAdmin,
                    _ => false,
                };
            if loses_admin {
                if admins <= 1 {
                    return skipped("last_admin", "the workspace would be left without an admin");
                }
                admins -= 1;
            }
            if matches!(action, BulkAction::SetRole(to) if to == *role) {
                return skipped("unchanged", "already has this role");
            }
            RowOutcome::Done
        })
        .collect()
}

/// An invitation action over rows of which `pending` says whether each is an invitation to
/// this workspace.
pub fn plan_invitations(pending: &[bool]) -> Vec<RowOutcome> {
    pending
        .iter()
        .map(|&p| {
            if p {
                RowOutcome::Done
            } else {
                skipped(
                    "not_found",
                    "no pending invitation for this email in this workspace",
                )
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use WorkspaceRole::*;

    #[test]
    fn removing_every_admin_keeps_the_last_one() {
        let rows = [
            Some(WorkspaceAdmin),
            Some(WorkspaceViewer),
            Some(WorkspaceAdmin),
            None,
            Some(WorkspaceAdmin),
        ];
        let plan = plan_members(BulkAction::Remove, &rows, 3);
        assert_eq!(plan[0], RowOutcome::Done);
        assert_eq!(plan[1], RowOutcome::Done);
        assert_eq!(plan[2], RowOutcome::Done);
        assert!(matches!(
            plan[3],
            RowOutcome::Skipped {
                code: "not_a_member",
                ..
            }
        ));
        assert!(matches!(
            plan[4],
            RowOutcome::Skipped {
                code: "last_admin",
                ..
            }
        ));
    }

    #[test]
    fn a_role_change_skips_the_unchanged_and_the_last_admin() {
        let rows = [
            Some(WorkspaceAdmin),
            Some(WorkspaceEditor),
            Some(WorkspaceViewer),
        ];
        let plan = plan_members(BulkAction::SetRole(WorkspaceEditor), &rows, 1);
        assert!(matches!(
            plan[0],
            RowOutcome::Skipped {
                code: "last_admin",
                ..
            }
        ));
        assert!(matches!(
            plan[1],
            RowOutcome::Skipped {
                code: "unchanged",
                ..
            }
        ));
        assert_eq!(plan[2], RowOutcome::Done);
        // Promoting never runs out of admins.
        let plan = plan_members(BulkAction::SetRole(WorkspaceAdmin), &rows, 1);
        assert_eq!(
            plan,
            [
                skipped("unchanged", "already has this role"),
                RowOutcome::Done,
                RowOutcome::Done
            ]
        );
    }

    #[test]
    fn actions_parse_with_their_role() {
        assert_eq!(BulkAction::parse("resend", None), Ok(BulkAction::Resend));
        assert_eq!(
            BulkAction::parse("set_role", Some("workspace_editor")),
            Ok(BulkAction::SetRole(WorkspaceEditor))
        );
        assert_eq!(BulkAction::parse("set_role", None).unwrap_err().0, "role");
        assert_eq!(
            BulkAction::parse("delete_all", None).unwrap_err().0,
            "action"
        );
        assert!(BulkAction::Cancel.on_invitations() && !BulkAction::Remove.on_invitations());
        assert_eq!(plan_invitations(&[true, false])[0], RowOutcome::Done);
    }
}
