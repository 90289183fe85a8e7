//! The members table's rows, written as HTML text, and the one listener that answers their
//! controls.
//!
//! A page holds up to 50 rows of some 25 elements and 60 attributes each. As Leptos views,
//! every one of them was built, type-erased, resolved and rendered on the server, and hydrated
//! in the browser, for rows that never change while they are shown (any change reloads the
//! page of rows): most of a server-rendered `/members`' cost (README, "Performance"). So the
//! rows are text, the same on the server and in the browser, given to the table body as its
//! inner HTML; each control names its action (`data-action`), its row names the member or the
//! invitation (`data-key`, `data-email`), and the table body's `click` and `change` listeners
//! ([`on_click`], [`on_change`]) dispatch the server action, asking first where the action
//! cannot be undone.

use super::{Permissions, RowActions};
use crate::api::admin::{DeactivateUser, EraseUser, ReactivateUser, ResetPassword};
use crate::api::invites::{CancelInvite, InviteLink, ResendInvite};
use crate::api::members::{RemoveMember, SetMemberRole};
use crate::components::confirm;
use crate::domain::time::{push_date, push_utc};
use crate::domain::{RoleSource, WorkspaceRole};
use crate::model::members::{Delivery, MemberDto, MemberStatus};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlInputElement, HtmlSelectElement};

/// What a row's control does: its `data-action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowAction {
    ResetPassword,
    Reactivate,
    Deactivate,
    Remove,
    Erase,
    Resend,
    CopyLink,
    CancelInvite,
    SetRole,
}

impl RowAction {
    const ALL: [RowAction; 9] = [
        RowAction::ResetPassword,
        RowAction::Reactivate,
        RowAction::Deactivate,
        RowAction::Remove,
        RowAction::Erase,
        RowAction::Resend,
        RowAction::CopyLink,
        RowAction::CancelInvite,
        RowAction::SetRole,
    ];

    fn name(self) -> &'static str {
        match self {
            RowAction::ResetPassword => "reset-password",
            RowAction::Reactivate => "reactivate",
            RowAction::Deactivate => "deactivate",
            RowAction::Remove => "remove",
            RowAction::Erase => "erase",
            RowAction::Resend => "resend",
            RowAction::CopyLink => "copy-link",
            RowAction::CancelInvite => "cancel-invite",
            RowAction::SetRole => "set-role",
        }
    }

    fn parse(name: &str) -> Option<RowAction> {
        RowAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// The key a row is selected by in bulk: `u:<user id>` for members, `i:<email>` for
/// invitations.
pub(super) fn row_key(m: &MemberDto) -> String {
    let (kind, id) = match &m.user_id {
        Some(id) => ("u:", id),
        None => ("i:", &m.email),
    };
    let mut key = String::with_capacity(kind.len() + id.len());
    key.push_str(kind);
    key.push_str(id);
    key
}

/// The `<tr>`s of `rows`, with the controls `may` allows; the rows whose key is in `selected`
/// are ticked.
pub(super) fn rows_html(rows: &[MemberDto], may: Permissions, selected: &[String]) -> String {
    let mut html = Html(String::with_capacity(rows.len() * 1_600));
    for m in rows {
        let key = row_key(m);
        let ticked = selected.contains(&key);
        match &m.user_id {
            Some(user_id) => member_row(&mut html, m, user_id, &key, ticked, may),
            None => invitation_row(&mut html, m, &key, ticked, may),
        }
    }
    html.0
}

/// HTML text being written: markup as is, values escaped.
struct Html(String);

impl Html {
    fn raw(&mut self, markup: &str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    fn text(&mut self, text: &str) -> &mut Self {
        html_escape::encode_text_to_string(text, &mut self.0);
        self
    }

    /// A value inside double quotes.
    fn attr(&mut self, value: &str) -> &mut Self {
        html_escape::encode_double_quoted_attribute_to_string(value, &mut self.0);
        self
    }

    /// A day, `YYYY-MM-DD`.
    fn date(&mut self, secs: i64) -> &mut Self {
        push_date(&mut self.0, secs);
        self
    }

    /// A moment, `YYYY-MM-DD HH:MM UTC`.
    fn utc(&mut self, secs: i64) -> &mut Self {
        push_utc(&mut self.0, secs);
        self
    }

    /// `<tr data-testid="member-row" …>` with the row's identity.
    fn open_row(&mut self, m: &MemberDto, key: &str, status: &str) -> &mut Self {
        self.raw(r#"<tr data-testid="member-row" data-email=""#)
            .attr(&m.email)
            .raw(r#"" data-status=""#)
            .raw(status)
            .raw(r#"" data-key=""#)
            .attr(key)
            .raw(r#"">"#)
    }

    /// The first cell: the row's bulk-selection box, when the caller may act on the row.
    fn select_cell(&mut self, m: &MemberDto, shown: bool, ticked: bool) -> &mut Self {
        self.raw(r#"<td class="select">"#);
        if shown {
            self.raw(r#"<input type="checkbox" data-testid="select-row" aria-label="Select "#)
                .attr(&m.email)
                .raw(if ticked { r#"" checked>"# } else { r#"">"# });
        }
        self.raw("</td>")
    }

    /// A row's button; its `label` is one of ours, written as it is (nothing to escape).
    fn button(&mut self, class: &str, action: RowAction, label: &'static str) -> &mut Self {
        self.raw(r#"<button class=""#)
            .raw(class)
            .raw(r#"" data-testid=""#)
            .raw(action.name())
            .raw(r#"" data-action=""#)
            .raw(action.name())
            .raw(r#"">"#)
            .raw(label)
            .raw("</button>")
    }
}

fn member_row(
    html: &mut Html,
    m: &MemberDto,
    user_id: &str,
    key: &str,
    ticked: bool,
    may: Permissions,
) {
    let deactivated = m.status == MemberStatus::Deactivated;
    html.open_row(m, key, if deactivated { "deactivated" } else { "active" })
        .select_cell(m, may.remove, ticked)
        .raw(r#"<td data-label="Name">"#)
        .text(if m.name.is_empty() { "—" } else { &m.name })
        .raw(r#"</td><td data-label="Email">"#);
    if may.remove {
        html.raw(r#"<a href="/people/"#)
            .attr(user_id)
            .raw(r#"" data-testid="person-link">"#)
            .text(&m.email)
            .raw("</a>");
    } else {
        html.raw("<span>").text(&m.email).raw("</span>");
    }
    html.raw(r#"</td><td data-label="Role">"#);
    if may.change {
        html.raw(r#"<select aria-label="Role of "#)
            .attr(&m.email)
            .raw(r#"" data-action=""#)
            .raw(RowAction::SetRole.name())
            .raw(r#"" data-role=""#)
            .raw(m.role.as_str())
            .raw(r#"" data-role-source=""#)
            .raw(m.role_source.as_str())
            .raw(r#"">"#);
        role_options(html, m.role);
        html.raw("</select>");
    } else {
        html.raw("<span>").raw(m.role.label()).raw("</span>");
    }
    let (badge, title) = match m.role_source {
        RoleSource::Idp => (
            "badge idp",
            "Set from the identity provider at every sign-in",
        ),
        RoleSource::Scim => (
            "badge idp",
            "Set by SCIM provisioning from the organization's group mappings",
        ),
        _ => ("badge", "Where this role comes from"),
    };
    let source = match m.role_source {
        RoleSource::Manual => "set by admin",
        RoleSource::Invite => "invitation",
        RoleSource::Idp => "identity provider",
        RoleSource::AdminCreate => "added by admin",
        RoleSource::Scim => "SCIM",
    };
    html.raw(r#" <span class=""#)
        .raw(badge)
        .raw(r#"" data-testid="role-source" title=""#)
        .attr(title)
        .raw(r#"">"#)
        .raw(source)
        .raw(r#"</span></td><td data-label="Status">"#)
        .raw(if deactivated {
            r#"<span class="badge warn">Deactivated</span>"#
        } else {
            r#"<span class="badge ok">Active</span>"#
        })
        .raw(r#"</td><td class="nowrap" data-label="Since">"#)
        .date(m.at)
        .raw("</td>");
    if may.sign_ins {
        html.raw(r#"<td class="nowrap" data-label="Last sign-in">"#);
        match m.last_sign_in_at {
            Some(at) => html.date(at),
            None => html.raw("never"),
        };
        html.raw("</td>");
    }
    html.raw(r#"<td class="actions">"#);
    // Whether the caller manages the account (for deactivation and resets) is decided by
    // the server when the button is used.
    if may.remove {
        html.button(
            "button secondary small",
            RowAction::ResetPassword,
            "Reset password",
        );
        if deactivated {
            html.button(
                "button secondary small",
                RowAction::Reactivate,
                "Reactivate",
            );
        } else {
            html.button("button danger small", RowAction::Deactivate, "Deactivate");
        }
        html.button("button danger small", RowAction::Remove, "Remove");
    }
    if may.erase {
        html.button("button danger small", RowAction::Erase, "Erase");
    }
    html.raw("</td></tr>");
}

/// The workspace roles as `<option>`s, strongest first (as `WorkspaceRoleOptions`).
fn role_options(html: &mut Html, selected: WorkspaceRole) {
    for role in WorkspaceRole::ALL.iter().rev() {
        html.raw(r#"<option value=""#)
            .raw(role.as_str())
            .raw(if *role == selected {
                r#"" selected>"#
            } else {
                r#"">"#
            })
            .raw(role.label())
            .raw("</option>");
    }
}

fn invitation_row(html: &mut Html, m: &MemberDto, key: &str, ticked: bool, may: Permissions) {
    let expired = m.status == MemberStatus::Expired;
    html.open_row(m, key, if expired { "expired" } else { "pending" })
        .select_cell(m, may.manage_invites, ticked)
        .raw(r#"<td class="muted" data-label="Name">—</td><td data-label="Email">"#)
        .text(&m.email)
        .raw(r#"</td><td data-label="Role">"#)
        .raw(m.role.label());
    if m.role_source == RoleSource::Scim {
        html.raw(r#" <span class="badge idp" data-testid="role-source" title="Provisioned by SCIM: accepted when this person first signs in">SCIM</span>"#);
    }
    html.raw(r#"</td><td data-label="Status">"#)
        .raw(if expired {
            r#"<span class="badge warn">Expired</span>"#
        } else {
            r#"<span class="badge">Pending</span>"#
        });
    if m.has_account {
        html.raw(r#"<span class="badge" data-testid="has-account" title="This email already has a Roster account: its owner accepts the invitation while signed in">Has an account</span>"#);
    }
    html.raw(r#"<div class="muted small">invited by "#)
        .text(m.invited_by.as_deref().unwrap_or("someone"))
        .raw(" on ")
        .date(m.at)
        .raw(r#"</div><div class="muted small">"#)
        .raw(if expired { "expired " } else { "expires " });
    if let Some(at) = m.expires_at {
        html.utc(at);
    }
    html.raw("</div>");
    if let Some(delivery) = &m.delivery {
        delivery_note(html, delivery);
    }
    html.raw(r#"</td><td class="nowrap" data-label="Invited">"#)
        .date(m.at)
        .raw("</td>");
    if may.sign_ins {
        html.raw(r#"<td class="muted" data-label="Last sign-in">—</td>"#);
    }
    html.raw(r#"<td class="actions">"#);
    if may.manage_invites {
        html.button("button secondary small", RowAction::Resend, "Resend")
            .button("button secondary small", RowAction::CopyLink, "Copy link")
            .button("button danger small", RowAction::CancelInvite, "Cancel");
    }
    html.raw("</td></tr>");
}

/// What became of an invitation's latest email: queued, sent at …, or failed with the SMTP
/// server's answer and when it is tried again.
fn delivery_note(html: &mut Html, delivery: &Delivery) {
    let class = match delivery {
        Delivery::Failed { .. } => "error small",
        _ => "muted small",
    };
    html.raw(r#"<div class=""#)
        .raw(class)
        .raw(r#"" data-testid="delivery">"#);
    match delivery {
        Delivery::Queued { since } => html.raw("Email queued since ").utc(*since),
        Delivery::Sent { at } => html.raw("Email sent ").utc(*at),
        Delivery::Failed {
            error,
            attempts,
            next_attempt_at,
        } => html
            .raw("Email not delivered (")
            .text(&super::plural(*attempts, "attempt", "attempts"))
            .raw("): ")
            .text(error)
            .raw(". Next try ")
            .utc(*next_attempt_at),
        Delivery::NotSent { reason } => html.raw("Email not sent: ").text(reason),
    };
    html.raw("</div>");
}

/// The row a control belongs to: its `data-key` and `data-email`.
fn row_of(control: &Element) -> Option<(String, String)> {
    let row = control.closest("tr[data-key]").ok().flatten()?;
    Some((
        row.get_attribute("data-key")?,
        row.get_attribute("data-email")?,
    ))
}

/// A click in the table body: the row button it landed on, if any, does its action.
pub(super) fn on_click(ev: leptos::ev::MouseEvent, ws_id: &str, actions: RowActions) {
    let Some(button) = ev
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| t.closest("button[data-action]").ok().flatten())
    else {
        return;
    };
    let Some(action) = button
        .get_attribute("data-action")
        .as_deref()
        .and_then(RowAction::parse)
    else {
        return;
    };
    let Some((key, email)) = row_of(&button) else {
        return;
    };
    if !confirmed(action, &email) {
        return;
    }
    actions.acted_in.set(Some(ws_id.to_string()));
    let workspace_id = ws_id.to_string();
    match (action, key.strip_prefix("u:")) {
        (RowAction::ResetPassword, Some(user_id)) => {
            actions.calls().reset.dispatch(ResetPassword {
                user_id: user_id.to_string(),
                password: None,
            });
        }
        (RowAction::Reactivate, Some(user_id)) => {
            actions.calls().reactivate.dispatch(ReactivateUser {
                user_id: user_id.to_string(),
            });
        }
        (RowAction::Deactivate, Some(user_id)) => {
            actions.calls().deactivate.dispatch(DeactivateUser {
                user_id: user_id.to_string(),
            });
        }
        (RowAction::Remove, Some(user_id)) => {
            actions.calls().remove.dispatch(RemoveMember {
                workspace_id,
                user_id: user_id.to_string(),
            });
        }
        (RowAction::Erase, Some(user_id)) => {
            actions.calls().erase.dispatch(EraseUser {
                user_id: user_id.to_string(),
            });
        }
        (RowAction::Resend, None) => {
            actions.calls().resend.dispatch(ResendInvite {
                workspace_id,
                email,
            });
        }
        (RowAction::CopyLink, None) => {
            actions.calls().link.dispatch(InviteLink {
                workspace_id,
                email,
            });
        }
        (RowAction::CancelInvite, None) => {
            actions.calls().cancel.dispatch(CancelInvite {
                workspace_id,
                email,
            });
        }
        _ => {}
    }
}

/// Asks first where an action cannot be undone (erasing: the email typed back); true when the
/// action may go ahead.
fn confirmed(action: RowAction, email: &str) -> bool {
    let question = match action {
        RowAction::ResetPassword => format!("Give {email} a new temporary password? They are signed out everywhere and must choose their own at the next sign-in. (If they sign in only with Google, this adds password sign-in.)"),
        RowAction::Deactivate => format!("Deactivate {email}? They are signed out everywhere and cannot sign in until reactivated."),
        RowAction::Remove => format!("Remove {email} from this workspace?"),
        RowAction::CancelInvite => format!("Cancel the invitation of {email} to this workspace? Its link stops working."),
        RowAction::Erase => {
            let typed = window()
                .prompt_with_message(&format!("Erase {email} for good? Their account, memberships and sign-in methods are deleted and the audit log keeps only a tombstone. Type the email to confirm."))
                .ok()
                .flatten();
            return typed.as_deref().map(str::trim) == Some(email);
        }
        RowAction::Reactivate | RowAction::Resend | RowAction::CopyLink | RowAction::SetRole => {
            return true
        }
    };
    confirm(&question)
}

/// A change in the table body: a row's selection box was ticked or unticked, or a member's
/// role was chosen.
pub(super) fn on_change(ev: leptos::ev::Event, ws_id: &str, actions: RowActions) {
    let Some(control) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Some((key, _)) = row_of(&control) else {
        return;
    };
    if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
        let on = input.checked();
        actions.selected.update(|s| {
            s.retain(|k| k != &key);
            if on {
                s.push(key);
            }
        });
        return;
    }
    let Some(select) = control.dyn_ref::<HtmlSelectElement>() else {
        return;
    };
    let (Some(user_id), Some(current)) =
        (key.strip_prefix("u:"), select.get_attribute("data-role"))
    else {
        return;
    };
    let source = select.get_attribute("data-role-source").unwrap_or_default();
    let keep = match source.as_str() {
        "idp" => !confirm("This role is managed by the identity provider: the next sign-in will set it back. Change it anyway?"),
        "scim" => !confirm("This role was set by SCIM provisioning from the organization's groups. Changed by hand, it becomes yours and SCIM no longer changes it. Change it anyway?"),
        _ => false,
    };
    if keep {
        select.set_value(&current);
        return;
    }
    actions.acted_in.set(Some(ws_id.to_string()));
    actions.calls().set_role.dispatch(SetMemberRole {
        workspace_id: ws_id.to_string(),
        user_id: user_id.to_string(),
        role: select.value(),
    });
}

/// Ticks the selection boxes of `body`'s rows whose keys are in `selected`, and unticks the
/// others (the selection changes from outside the rows too: a whole page, Clear selection).
/// True when the page has a box and every one is ticked.
pub(super) fn sync_ticks(body: &Element, selected: &[String]) -> bool {
    let Ok(boxes) = body.query_selector_all(r#"input[data-testid="select-row"]"#) else {
        return false;
    };
    let mut every = boxes.length() > 0;
    for i in 0..boxes.length() {
        let Some(input) = boxes
            .item(i)
            .and_then(|n| n.dyn_into::<HtmlInputElement>().ok())
        else {
            continue;
        };
        if let Some((key, _)) = row_of(&input) {
            let on = selected.contains(&key);
            if input.checked() != on {
                input.set_checked(on);
            }
            every &= on;
        }
    }
    every
}

/// Ticks the page's selection box in the table's `head` when every row is ticked, and unticks
/// it otherwise.
pub(super) fn sync_page_tick(head: &Element, whole_page: bool) {
    if let Some(input) = head
        .query_selector(r#"input[data-testid="select-page"]"#)
        .ok()
        .flatten()
        .and_then(|n| n.dyn_into::<HtmlInputElement>().ok())
    {
        if input.checked() != whole_page {
            input.set_checked(whole_page);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may(all: bool) -> Permissions {
        Permissions {
            erase: all,
            change: all,
            remove: all,
            manage_invites: all,
            sign_ins: all,
        }
    }

    fn member(email: &str, name: &str) -> MemberDto {
        MemberDto {
            status: MemberStatus::Active,
            user_id: Some("0190-user".into()),
            email: email.into(),
            name: name.into(),
            role: WorkspaceRole::WorkspaceEditor,
            role_source: RoleSource::Idp,
            at: 1_700_000_000,
            invited_by: None,
            expires_at: None,
            has_account: false,
            last_sign_in_at: None,
            delivery: None,
        }
    }

    fn invitation(email: &str) -> MemberDto {
        MemberDto {
            status: MemberStatus::Expired,
            user_id: None,
            email: email.into(),
            name: String::new(),
            role: WorkspaceRole::WorkspaceViewer,
            role_source: RoleSource::Invite,
            at: 1_700_000_000,
            invited_by: Some("Ann <admin>".into()),
            expires_at: Some(1_700_086_400),
            has_account: true,
            last_sign_in_at: None,
            delivery: Some(Delivery::Failed {
                error: "550 <no such user>".into(),
                attempts: 2,
                next_attempt_at: 1_700_003_600,
            }),
        }
    }

    #[test]
    fn values_are_escaped_in_text_and_attributes() {
        let html = rows_html(
            &[member(r#"a"b@example.com"#, "<script>alert(1)</script>")],
            may(true),
            &[],
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        // Inside attributes the quote is escaped; as text it is harmless and kept.
        for attribute in [
            r#"data-email="a&quot;b@example.com""#,
            r#"aria-label="Select a&quot;b@example.com""#,
            r#"aria-label="Role of a&quot;b@example.com""#,
        ] {
            assert!(html.contains(attribute), "{attribute}: {html}");
        }
        assert!(!html.contains(r#"="a"b@"#), "{html}");
        assert!(
            html.contains(r#"data-testid="person-link">a"b@example.com</a>"#),
            "{html}"
        );
        let html = rows_html(&[invitation("x@example.com")], may(true), &[]);
        assert!(
            html.contains("invited by Ann &lt;admin&gt; on 2023-11-14"),
            "{html}"
        );
        assert!(
            html.contains("Email not delivered (2 attempts): 550 &lt;no such user&gt;. Next try 2023-11-14 23:13 UTC"),
            "{html}"
        );
    }

    #[test]
    fn controls_follow_the_permissions() {
        let rows = [member("m@example.com", "M"), invitation("i@example.com")];
        let all = rows_html(&rows, may(true), &[]);
        for action in RowAction::ALL {
            if action != RowAction::Reactivate {
                assert!(
                    all.contains(&format!(r#"data-action="{}""#, action.name())),
                    "{action:?} missing: {all}"
                );
            }
        }
        assert_eq!(all.matches(r#"data-testid="select-row""#).count(), 2);
        assert!(all.contains(r#"data-label="Last sign-in">never<"#));
        let none = rows_html(&rows, may(false), &[]);
        assert!(!none.contains("data-action"), "{none}");
        assert!(!none.contains("select-row"), "{none}");
        assert!(!none.contains("Last sign-in"), "{none}");
        assert!(!none.contains("/people/"), "{none}");
        assert!(none.contains("<span>Editor</span>"), "{none}");
    }

    #[test]
    fn rows_carry_their_key_and_ticked_rows_are_checked() {
        let rows = [member("m@example.com", "M"), invitation("i@example.com")];
        let html = rows_html(&rows, may(true), &["i:i@example.com".to_string()]);
        assert!(html.contains(r#"data-key="u:0190-user""#));
        assert!(html.contains(r#"data-key="i:i@example.com""#));
        assert_eq!(html.matches(" checked>").count(), 1);
        assert!(html.contains(r#"aria-label="Select i@example.com" checked>"#));
        assert!(html.contains(r#"data-status="expired""#));
        assert!(html.contains(r#"<option value="workspace_editor" selected>Editor</option>"#));
    }

    #[test]
    fn action_names_read_back() {
        for action in RowAction::ALL {
            assert_eq!(RowAction::parse(action.name()), Some(action));
        }
        assert_eq!(RowAction::parse("drop-table"), None);
    }
}
