use crate::api::auth::Logout;
use crate::components::full_reload_to;
use crate::components::me::use_me;
use crate::domain::{can, Action, Target};
use leptos::prelude::*;
use leptos_router::components::A;

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
                <A href="/members" attr:class="brand">"Roster"</A>
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
                                        <A href="/members">"Members"</A>
                                        <Show when=move || audit_visible>
                                            <A href="/audit">"Audit log"</A>
                                        </Show>
                                        <Show when=move || orgs_visible>
                                            <A href="/orgs">"Organizations"</A>
                                            <A href="/people">"People"</A>
                                        </Show>
                                        <A href="/profile">"Profile"</A>
                                        <A href="/change-password">"Password"</A>
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
