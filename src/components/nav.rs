use crate::api::auth::Logout;
use crate::components::full_reload_to;
use crate::components::me::use_me;
use crate::domain::{can, Action, Target};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn Nav() -> impl IntoView {
    let me = use_me();
    let logout = ServerAction::<Logout>::new();
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
                            let restricted = m.must_change_password;
                            view! {
                                <div class="nav-links">
                                    <Show when=move || !restricted>
                                        <NavLink href="/members" label="Members"/>
                                        <Show when=move || audit_visible>
                                            <NavLink href="/audit" label="Audit log"/>
                                        </Show>
                                        <Show when=move || orgs_visible>
                                            <NavLink href="/orgs" label="Organizations"/>
                                            <NavLink href="/people" label="People"/>
                                        </Show>
                                        <NavLink href="/profile" label="Profile"/>
                                        <NavLink href="/change-password" label="Password"/>
                                    </Show>
                                </div>
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

/// A link of the navigation, marked `aria-current="page"` while its page is shown. A plain
/// `<a>`: the router takes over every same-site link's click, so this needs none of the
/// relative-path resolution `leptos_router`'s `<A>` builds for each link on every page.
#[component]
fn NavLink(href: &'static str, label: &'static str) -> impl IntoView {
    let location = use_location();
    // As `<A>` marks it: this page, or one beneath it (`/people` on `/people/<id>`).
    let current = move || {
        location
            .pathname
            .with(|p| {
                p.strip_prefix(href)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .then_some("page")
    };
    view! { <a href=href aria-current=current>{label}</a> }
}
