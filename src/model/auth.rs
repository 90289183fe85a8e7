//! Who is signed in, and how they can sign in.

use crate::domain::{Actor, PlatformRole, WorkspaceRole};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceDto {
    pub id: String,
    pub name: String,
    pub org_id: String,
    pub org_name: String,
    /// The caller's own role in it, when they are a member.
    pub my_role: Option<WorkspaceRole>,
}

/// The workspaces a signed-in user is shown: a slice ([`std::ops::Deref`]), shared rather than
/// copied (a platform admin's list holds every workspace, and the pages hand it around; each
/// copy was some 200 allocations).
///
/// On the server the list can carry its own JSON ([`WorkspaceList::with_json`]), written once
/// per entry of the read cache (`server::auth::login::me`) instead of once per page: it is most
/// of the signed-in user that every page writes for hydration. Serialized, it is then that JSON
/// as it stands (`serde_json`'s `RawValue`, which only `serde_json` serializers understand;
/// nothing else serializes a `SessionUser`). The wire format is the same either way.
#[derive(Clone, Default)]
pub struct WorkspaceList {
    list: Arc<[WorkspaceDto]>,
    #[cfg(feature = "ssr")]
    json: Option<Arc<serde_json::value::RawValue>>,
}

impl WorkspaceList {
    pub fn new(list: Arc<[WorkspaceDto]>) -> WorkspaceList {
        WorkspaceList {
            list,
            #[cfg(feature = "ssr")]
            json: None,
        }
    }

    /// The list with its JSON written now, once.
    #[cfg(feature = "ssr")]
    pub fn with_json(list: Arc<[WorkspaceDto]>) -> Result<WorkspaceList, serde_json::Error> {
        let json = serde_json::value::to_raw_value(&*list)?;
        Ok(WorkspaceList {
            list,
            json: Some(Arc::from(json)),
        })
    }

    /// The same list, shared.
    pub fn shared(&self) -> Arc<[WorkspaceDto]> {
        self.list.clone()
    }
}

impl std::ops::Deref for WorkspaceList {
    type Target = [WorkspaceDto];
    fn deref(&self) -> &[WorkspaceDto] {
        &self.list
    }
}

impl PartialEq for WorkspaceList {
    fn eq(&self, other: &WorkspaceList) -> bool {
        self.list == other.list
    }
}

impl Eq for WorkspaceList {}

impl std::fmt::Debug for WorkspaceList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.list.fmt(f)
    }
}

impl Serialize for WorkspaceList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[cfg(feature = "ssr")]
        if let Some(json) = &self.json {
            return json.serialize(serializer);
        }
        self.list.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for WorkspaceList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Arc::<[WorkspaceDto]>::deserialize(deserializer).map(WorkspaceList::new)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub platform_role: Option<PlatformRole>,
    pub must_change_password: bool,
    pub workspaces: WorkspaceList,
    /// What permission checks in the browser need (the server re-checks everything).
    pub actor: Actor,
    /// Whether this instance sends email (otherwise invitation links are copied by hand).
    pub email_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDto {
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email_at_link: String,
    pub linked_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInMethods {
    pub identities: Vec<IdentityDto>,
    pub has_password: bool,
    pub google_enabled: bool,
}

/// One of the caller's signed-in sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDto {
    /// Pass to `end_session`. Not the cookie's id: knowing it signs nobody in.
    pub id: String,
    /// "Firefox on Linux"
    pub browser: String,
    pub ip: String,
    pub signed_in_at: i64,
    pub last_seen_at: i64,
    /// `password` or `oidc`.
    pub method: String,
    /// The session this request came with.
    pub current: bool,
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn list() -> Arc<[WorkspaceDto]> {
        Arc::from(vec![
            WorkspaceDto {
                id: "w1".into(),
                name: "Ops \"east\" <1>".into(),
                org_id: "o1".into(),
                org_name: "Acme's".into(),
                my_role: Some(WorkspaceRole::WorkspaceAdmin),
            },
            WorkspaceDto {
                id: "w2".into(),
                name: "Ünïcode 🙂".into(),
                org_id: "o1".into(),
                org_name: "Acme's".into(),
                my_role: None,
            },
        ])
    }

    #[test]
    fn a_list_with_its_json_written_once_serializes_exactly_as_one_without() {
        let plain = WorkspaceList::new(list());
        let written = WorkspaceList::with_json(list()).unwrap();
        let expected = serde_json::to_string(&plain).unwrap();
        assert_eq!(serde_json::to_string(&written).unwrap(), expected);
        // Inside a signed-in user too, and read back whole.
        let user = |workspaces| SessionUser {
            user_id: "u1".into(),
            email: "a@example.com".into(),
            name: "A".into(),
            platform_role: None,
            must_change_password: false,
            workspaces,
            actor: Actor::default(),
            email_enabled: true,
        };
        let json = serde_json::to_string(&user(written)).unwrap();
        assert_eq!(json, serde_json::to_string(&user(plain)).unwrap());
        let back: SessionUser = serde_json::from_str(&json).unwrap();
        assert_eq!(&*back.workspaces, &*list());
    }
}
