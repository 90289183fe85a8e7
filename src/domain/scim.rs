//! The rules of SCIM provisioning that need no database: which role each workspace gets from a
//! person's SCIM groups, and the lenient values identity providers send.

use super::roles::WorkspaceRole;
use std::collections::BTreeMap;

/// One line of an organization's group mapping: members of the group named `group_key` (its
/// display name, without case, or its external id) get `role` in `workspace_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    pub group_key: String,
    pub workspace_id: String,
    pub role: WorkspaceRole,
}

/// A SCIM group as the mapping sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNames {
    pub display_name: String,
    pub external_id: Option<String>,
}

impl RoleMapping {
    pub fn matches(&self, group: &GroupNames) -> bool {
        self.group_key.to_lowercase() == group.display_name.to_lowercase()
            || group.external_id.as_deref() == Some(self.group_key.as_str())
    }
}

/// The role each workspace gets from `groups`: the highest any mapping of those groups gives it
/// (as `OIDC_ROLE_MAP`). A workspace no mapped group names is absent: SCIM leaves it alone.
pub fn desired_roles(
    mappings: &[RoleMapping],
    groups: &[GroupNames],
) -> BTreeMap<String, WorkspaceRole> {
    let mut roles: BTreeMap<String, WorkspaceRole> = BTreeMap::new();
    for m in mappings {
        if groups.iter().any(|g| m.matches(g)) {
            let entry = roles.entry(m.workspace_id.clone()).or_insert(m.role);
            *entry = (*entry).max(m.role);
        }
    }
    roles
}

/// A SCIM boolean: JSON `true`/`false`, or the strings `"True"`/`"False"` (any case) that
/// Microsoft Entra ID sends in PATCH operations.
pub fn scim_bool(value: &serde_json::Value) -> Option<bool> {
    match value {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use WorkspaceRole::*;

    fn map(key: &str, ws: &str, role: WorkspaceRole) -> RoleMapping {
        RoleMapping {
            group_key: key.into(),
            workspace_id: ws.into(),
            role,
        }
    }

    fn group(name: &str, external: Option<&str>) -> GroupNames {
        GroupNames {
            display_name: name.into(),
            external_id: external.map(str::to_string),
        }
    }

    #[test]
    fn the_highest_mapped_role_wins_and_unmapped_groups_change_nothing() {
        let mappings = [
            map("Engineering", "w1", WorkspaceViewer),
            map("eng-leads", "w1", WorkspaceAdmin),
            map("Engineering", "w2", WorkspaceEditor),
        ];
        let roles = desired_roles(&mappings, &[group("engineering", None)]);
        assert_eq!(
            roles.get("w1"),
            Some(&WorkspaceViewer),
            "names match without case"
        );
        assert_eq!(roles.get("w2"), Some(&WorkspaceEditor));
        let roles = desired_roles(
            &mappings,
            &[
                group("Engineering", None),
                group("Leads", Some("eng-leads")),
            ],
        );
        assert_eq!(
            roles.get("w1"),
            Some(&WorkspaceAdmin),
            "by external id, highest wins"
        );
        assert!(desired_roles(&mappings, &[group("Sales", Some("x"))]).is_empty());
        assert!(desired_roles(&mappings, &[]).is_empty());
    }

    #[test]
    fn booleans_as_entra_sends_them() {
        assert_eq!(scim_bool(&json!(false)), Some(false));
        assert_eq!(scim_bool(&json!("False")), Some(false));
        assert_eq!(scim_bool(&json!("TRUE")), Some(true));
        assert_eq!(scim_bool(&json!("no")), None);
        assert_eq!(scim_bool(&json!(0)), None);
    }
}
