//! The three role layers of DESIGN §2, as closed enums that parse from their stored names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    PlatformAdmin,
    PlatformOperator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    OrgMember,
    OrgAdmin,
    OrgOwner,
}

/// Ordered from least to most powerful, so `max` picks the stronger role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceRole {
    WorkspaceViewer,
    WorkspaceEditor,
    WorkspaceAdmin,
}

/// How a workspace membership got its current role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    Manual,
    Invite,
    Idp,
    AdminCreate,
    /// Set by SCIM provisioning from the organization's group mappings.
    Scim,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// A stored or submitted name that is none of the enum's.
#[error("unknown {kind} `{value}`")]
pub struct UnknownRole {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! named_enum {
    ($ty:ident, $kind:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }
        impl FromStr for $ty {
            type Err = UnknownRole;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(UnknownRole { kind: $kind, value: s.to_string() }),
                }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        /// How rows are decoded: an unknown stored name is an error, never a missing value.
        impl TryFrom<String> for $ty {
            type Error = UnknownRole;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}
pub(crate) use named_enum;

named_enum!(PlatformRole, "platform role", {
    PlatformAdmin => "platform_admin",
    PlatformOperator => "platform_operator",
});
named_enum!(OrgRole, "organization role", {
    OrgMember => "org_member",
    OrgAdmin => "org_admin",
    OrgOwner => "org_owner",
});
named_enum!(WorkspaceRole, "workspace role", {
    WorkspaceViewer => "workspace_viewer",
    WorkspaceEditor => "workspace_editor",
    WorkspaceAdmin => "workspace_admin",
});
named_enum!(RoleSource, "role source", {
    Manual => "manual",
    Invite => "invite",
    Idp => "idp",
    AdminCreate => "admin_create",
    Scim => "scim",
});

impl OrgRole {
    pub fn label(self) -> &'static str {
        match self {
            OrgRole::OrgMember => "Member",
            OrgRole::OrgAdmin => "Admin",
            OrgRole::OrgOwner => "Owner",
        }
    }
}

impl WorkspaceRole {
    pub fn label(self) -> &'static str {
        match self {
            WorkspaceRole::WorkspaceViewer => "Viewer",
            WorkspaceRole::WorkspaceEditor => "Editor",
            WorkspaceRole::WorkspaceAdmin => "Admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in WorkspaceRole::ALL {
            assert_eq!(r.as_str().parse::<WorkspaceRole>().unwrap(), *r);
        }
        for r in PlatformRole::ALL {
            assert_eq!(r.as_str().parse::<PlatformRole>().unwrap(), *r);
        }
        assert!("platform_admin".parse::<WorkspaceRole>().is_err());
        assert!("WORKSPACE_ADMIN".parse::<WorkspaceRole>().is_err());
    }

    #[test]
    fn workspace_roles_are_ordered_by_power() {
        assert!(WorkspaceRole::WorkspaceAdmin > WorkspaceRole::WorkspaceEditor);
        assert!(WorkspaceRole::WorkspaceEditor > WorkspaceRole::WorkspaceViewer);
    }
}
