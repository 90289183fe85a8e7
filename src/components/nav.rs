use crate::api::auth::Logout;
use crate::components::full_reload_to;
use crate::components::me::use_me;
use crate::domain::{can, Action, Target};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_router::hooks::use_location;

#[component]
pub fn Nav() -> impl IntoView {
    let me = use_me();
    let location = use_location();
    let logout = ServerAction::<Logout>::new();
    // The links are HTML text (`links_html`), written with the page shown marked; in the
    // browser, client-side navigation moves the mark.
    let links_div = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let path = location.pathname.get();
        if let Some(div) = links_div.get() {
            mark_current(&div, &path);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            full_reload_to("/login");
        }
    });
    view! {
        <header class="topbar">
            <nav class="container nav" aria-label="Main">
                <a href="/members" class="brand">"Roster"</a>
                // Built once, when the signed-in user has loaded (`me` never changes during a
                // page view): a closure would run again on each of the server's walks of the
                // transition's children.
                <Transition fallback=|| ()>
                    {Suspend::new(async move { match me.await {
                        Ok(Some(m)) => {
                            let audit_visible = can(&m.actor, Action::ViewAudit, Target::Platform)
                                || m.workspaces.iter().any(|w| can(&m.actor, Action::ViewAudit, Target::Workspace { workspace_id: &w.id, org_id: &w.org_id }));
                            let orgs_visible = can(&m.actor, Action::ViewOrganization, Target::Platform)
                                || m.actor.org_roles.iter().any(|(org_id, _)| can(&m.actor, Action::ViewOrganization, Target::Organization { org_id }));
                            let links = if m.must_change_password {
                                String::new()
                            } else {
                                links_html(&location.pathname.get_untracked(), audit_visible, orgs_visible)
                            };
                            view! {
                                <div class="nav-links" node_ref=links_div inner_html=links></div>
                                <div class="nav-user">
                                    <span class="muted" data-testid="signed-in-as">{m.email.clone()}</span>
                                    <button class="button secondary" data-testid="sign-out" on:click=move |_| { logout.dispatch(Logout {}); }>"Sign out"</button>
                                </div>
                            }.into_any()
                        }
                        _ => view! { <div class="nav-links"></div> }.into_any(),
                    }})}
                </Transition>
            </nav>
        </header>
    }
}

/// Whether the link to `href` is the page shown at `path`, or the section it is in, as
/// `leptos_router`'s `<A>` marks it (`/people` on `/people/<id>`).
fn is_current(path: &str, href: &str) -> bool {
    path.strip_prefix(href)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The navigation's links as HTML text, the one of the page at `path` marked
/// `aria-current="page"`. Plain `<a>`s: the router takes over every same-site link's click.
/// Text rather than a view per link, as the members table's rows are: five elements, their
/// attributes and the marks' reactive closures were built and rendered on every page view, for
/// links that change only when the page shown does ([`mark_current`] follows it).
fn links_html(path: &str, audit_visible: bool, orgs_visible: bool) -> String {
    let mut html = String::with_capacity(300);
    // Our own fixed hrefs and labels, written as they are: nothing here comes from a user.
    let mut link = |href: &'static str, label: &'static str| {
        html.push_str("<a href=\"");
        html.push_str(href);
        html.push('"');
        if is_current(path, href) {
            html.push_str(r#" aria-current="page""#);
        }
        html.push('>');
        html.push_str(label);
        html.push_str("</a>");
    };
    link("/members", "Members");
    if audit_visible {
        link("/audit", "Audit log");
    }
    if orgs_visible {
        link("/orgs", "Organizations");
        link("/people", "People");
    }
    link("/profile", "Profile");
    link("/change-password", "Password");
    html
}

/// Moves `aria-current="page"` to the link of the page now at `path`, after a client-side
/// navigation (the links themselves stay, and so does the keyboard focus on one of them).
fn mark_current(links: &leptos::web_sys::Element, path: &str) {
    let Ok(anchors) = links.query_selector_all("a[href]") else {
        return;
    };
    for i in 0..anchors.length() {
        let Some(a) = anchors
            .item(i)
            .and_then(|n| n.dyn_into::<leptos::web_sys::Element>().ok())
        else {
            continue;
        };
        let current = a
            .get_attribute("href")
            .is_some_and(|href| is_current(path, &href));
        let _ = if current {
            a.set_attribute("aria-current", "page")
        } else {
            a.remove_attribute("aria-current")
        };
    }
}

#[cfg(test)]
mod tests {
    use super::links_html;

    #[test]
    fn the_link_of_the_page_shown_or_its_section_is_marked_and_no_other() {
        let html = links_html("/people/u1", true, true);
        assert_eq!(html.matches("aria-current").count(), 1, "{html}");
        assert!(
            html.contains(r#"<a href="/people" aria-current="page">People</a>"#),
            "{html}"
        );
        // A path that only starts like a link's is not its section.
        let html = links_html("/members-old", true, true);
        assert!(!html.contains("aria-current"), "{html}");
        // Links are offered only to who may follow them.
        let html = links_html("/members", false, false);
        assert_eq!(html.matches("<a ").count(), 3, "{html}");
        assert!(
            !html.contains("/audit") && !html.contains("/orgs"),
            "{html}"
        );
        assert!(
            html.starts_with(r#"<a href="/members" aria-current="page">Members</a>"#),
            "{html}"
        );
    }
}
