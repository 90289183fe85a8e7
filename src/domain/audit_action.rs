//! Every action the audit log records, listed once. The stored names are stable: operators
//! filter and alert on them.

use super::roles::{named_enum, UnknownRole};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    AuthnLoginSuccess,
    AuthnLoginFail,
    AuthnLogout,
    AuthnPasswordChange,
    AuthzChange,
    AdminCreateUser,
    BootstrapAdmin,
    CsrfRefused,
    IdentityLinked,
    IdentityUnlinked,
    InviteCreated,
    InviteResent,
    InviteCancelled,
    InviteLinkCreated,
    InviteAccepted,
    InviteRowSkipped,
    InviteDeclined,
    MembershipAdded,
    MembershipRemoved,
    OrgCreated,
    WorkspaceCreated,
    UserDeactivated,
    UserReactivated,
    PasswordReset,
    UserErased,
    OrgRoleChanged,
    OrgMemberRemoved,
    WorkspaceRenamed,
    SessionEnded,
    TokenCreated,
    TokenRevoked,
    WebhookCreated,
    WebhookDeleted,
    /// One request of an organization's identity provider to `/scim/v2/` (method, path, status).
    ScimRequest,
    ScimMappingAdded,
    ScimMappingRemoved,
    /// The background sweep deleted entries older than `AUDIT_RETENTION_DAYS` (how many, and
    /// the cut-off, in the detail).
    AuditPurged,
    /// The audit log or a members list was exported (which, with what filter, in the detail).
    DataExported,
}

named_enum!(AuditAction, "audit action", {
    AuthnLoginSuccess => "authn_login_success",
    AuthnLoginFail => "authn_login_fail",
    AuthnLogout => "authn_logout",
    AuthnPasswordChange => "authn_password_change",
    AuthzChange => "authz_change",
    AdminCreateUser => "admin_create_user",
    BootstrapAdmin => "bootstrap_admin",
    CsrfRefused => "csrf_refused",
    IdentityLinked => "identity_linked",
    IdentityUnlinked => "identity_unlinked",
    InviteCreated => "invite_created",
    InviteResent => "invite_resent",
    InviteCancelled => "invite_cancelled",
    InviteLinkCreated => "invite_link_created",
    InviteAccepted => "invite_accepted",
    InviteRowSkipped => "invite_row_skipped",
    InviteDeclined => "invite_declined",
    MembershipAdded => "membership_added",
    MembershipRemoved => "membership_removed",
    OrgCreated => "org_created",
    WorkspaceCreated => "workspace_created",
    UserDeactivated => "user_deactivated",
    UserReactivated => "user_reactivated",
    PasswordReset => "password_reset",
    UserErased => "user_erased",
    OrgRoleChanged => "org_role_changed",
    OrgMemberRemoved => "org_member_removed",
    WorkspaceRenamed => "workspace_renamed",
    SessionEnded => "session_ended",
    TokenCreated => "token_created",
    TokenRevoked => "token_revoked",
    WebhookCreated => "webhook_created",
    WebhookDeleted => "webhook_deleted",
    ScimRequest => "scim_request",
    ScimMappingAdded => "scim_mapping_added",
    ScimMappingRemoved => "scim_mapping_removed",
    AuditPurged => "audit_purged",
    DataExported => "data_exported",
});

#[cfg(test)]
mod tests {
    use super::AuditAction;

    #[test]
    fn every_action_round_trips_through_its_stored_name() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>().unwrap(), *a);
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::Value::String(a.as_str().into())
            );
        }
        assert!("made_up".parse::<AuditAction>().is_err());
    }
}
