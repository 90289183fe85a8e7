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
///
/// Likewise its `<option>`s for the workspace switcher ([`WorkspaceList::options_html`]): on
/// the server they are written with the JSON, once per cache entry, and each page only marks
/// the one it shows.
#[derive(Clone, Default)]
pub struct WorkspaceList {
    list: Arc<[WorkspaceDto]>,
    #[cfg(feature = "ssr")]
    json: Option<Arc<serde_json::value::RawValue>>,
    #[cfg(feature = "ssr")]
    options: Option<Arc<str>>,
}

impl WorkspaceList {
    pub fn new(list: Arc<[WorkspaceDto]>) -> WorkspaceList {
        WorkspaceList {
            list,
            #[cfg(feature = "ssr")]
            json: None,
            #[cfg(feature = "ssr")]
            options: None,
        }
    }

    /// The list with its JSON and its switcher options written now, once.
    #[cfg(feature = "ssr")]
    pub fn with_json(list: Arc<[WorkspaceDto]>) -> Result<WorkspaceList, serde_json::Error> {
        let json = serde_json::value::to_raw_value(&*list)?;
        let options = Arc::from(options_of(&list));
        Ok(WorkspaceList {
            list,
            json: Some(Arc::from(json)),
            options: Some(options),
        })
    }

    /// The workspace switcher's `<option>`s as HTML text ("Org · Workspace", valued by id),
    /// with `current`'s selected. A platform admin's list holds every workspace: one string
    /// rather than a view per option.
    pub fn options_html(&self, current: Option<&str>) -> String {
        #[cfg(feature = "ssr")]
        if let Some(options) = &self.options {
            return with_selected(options, current);
        }
        with_selected(&options_of(&self.list), current)
    }

    /// The same list, shared.
    pub fn shared(&self) -> Arc<[WorkspaceDto]> {
        self.list.clone()
    }
}

/// Every workspace of `list` as an `<option>`, none selected.
fn options_of(list: &[WorkspaceDto]) -> String {
    let mut options = String::with_capacity(list.len() * 100);
    for w in list {
        options.push_str("<option value=\"");
        html_escape::encode_double_quoted_attribute_to_string(&w.id, &mut options);
        options.push_str("\">");
        html_escape::encode_text_to_string(&w.org_name, &mut options);
        options.push_str(" · ");
        html_escape::encode_text_to_string(&w.name, &mut options);
        options.push_str("</option>");
    }
    options
}

/// `options` with the one valued `current` marked `selected` (as is when there is none).
fn with_selected(options: &str, current: Option<&str>) -> String {
    let Some(current) = current else {
        return options.to_string();
    };
    // The whole attribute, closing quote included: one id cannot match a prefix of another.
    let mut needle = String::from("<option value=\"");
    html_escape::encode_double_quoted_attribute_to_string(current, &mut needle);
    needle.push('"');
    let Some(at) = options.find(&needle).map(|i| i + needle.len()) else {
        return options.to_string();
    };
    let mut marked = String::with_capacity(options.len() + " selected".len());
    marked.push_str(&options[..at]);
    marked.push_str(" selected");
    marked.push_str(&options[at..]);
    marked
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
    fn the_switcher_options_mark_the_workspace_shown_and_are_the_same_written_once() {
        let mut ws = list().to_vec();
        // First, and its id starts with the next one's.
        ws.insert(
            0,
            WorkspaceDto {
                id: "w1x".into(),
                name: "Ops <& \"co\">".into(),
                org_id: "o1".into(),
                org_name: "Acme".into(),
                my_role: None,
            },
        );
        let plain = WorkspaceList::new(ws.clone().into());
        let written = WorkspaceList::with_json(ws.into()).unwrap();
        let html = plain.options_html(Some("w1x"));
        // The workspace shown, and only it, is selected, even when another id starts like it.
        assert_eq!(html.matches(" selected").count(), 1, "{html}");
        let w1 = plain.options_html(Some("w1"));
        assert_eq!(w1.matches(" selected").count(), 1, "{w1}");
        assert!(w1.contains("<option value=\"w1\" selected>"), "{w1}");
        assert!(
            html.contains(
                "<option value=\"w1x\" selected>Acme · Ops &lt;&amp; \"co\"&gt;</option>"
            ),
            "{html}"
        );
        assert!(!plain.options_html(None).contains("selected"));
        assert!(!plain.options_html(Some("unknown")).contains("selected"));
        for current in [None, Some("w1x"), Some(list()[0].id.as_str())] {
            assert_eq!(written.options_html(current), plain.options_html(current));
        }
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
