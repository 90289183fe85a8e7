//! The HTML shell, the router, and the browser-side route guard.

use crate::components::me::{provide_me, use_me};
use crate::components::nav::Nav;
use crate::pages::{
    audit::AuditPage, auth_error::AuthErrorPage, change_password::ChangePasswordPage,
    invite::InvitePage, login::LoginPage, members::MembersPage, orgs::OrganizationPage,
    orgs::OrganizationsPage, people::PeoplePage, people::PersonPage, profile::ProfilePage,
    NotFound,
};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::{lazy_route, path, Lazy, LazyRoute, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                // Written here rather than registered by the app through `leptos_meta`: every
                // page has the same title and stylesheet, and a registered tag is collected and
                // spliced into the page's head on every request.
                <title>"Roster"</title>
                <link rel="stylesheet" id="leptos" href="/pkg/roster.css"/>
                <HydrationScripts options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_me();

    // True while a link's page is loading (a lazy page's part of the bundle, its data): the
    // page on screen says it is busy, and dims after a moment.
    let (routing, set_routing) = signal(false);

    view! {
        <Router set_is_routing=set_routing>
            <PasswordChangeGuard/>
            <Nav/>
            <main class="container" aria-busy=move || routing.get().then_some("true")>
                <Routes fallback=|| view! { <NotFound/> }>
                    // Rendered whole once its data is loaded: one response instead of a stream
                    // of fragments, which costs less to make and to send.
                    <Route path=path!("/") view=MembersPage ssr=SsrMode::Async/>
                    <Route path=path!("/members") view=MembersPage ssr=SsrMode::Async/>
                    // The pages below are in the browser bundle's later parts, loaded on a
                    // first visit (every build splits the bundle; see `lazy_pages`).
                    <Route path=path!("/login") view={Lazy::<lazy_pages::Login>::new()}/>
                    <Route path=path!("/change-password") view={Lazy::<lazy_pages::ChangePassword>::new()}/>
                    <Route path=path!("/audit") view={Lazy::<lazy_pages::Audit>::new()}/>
                    <Route path=path!("/invite/:token") view={Lazy::<lazy_pages::Invite>::new()}/>
                    <Route path=path!("/profile") view={Lazy::<lazy_pages::Profile>::new()}/>
                    <Route path=path!("/orgs") view={Lazy::<lazy_pages::Organizations>::new()}/>
                    <Route path=path!("/orgs/:id") view={Lazy::<lazy_pages::Organization>::new()}/>
                    <Route path=path!("/people") view={Lazy::<lazy_pages::People>::new()}/>
                    <Route path=path!("/people/:id") view={Lazy::<lazy_pages::Person>::new()}/>
                    <Route path=path!("/auth/error") view={Lazy::<lazy_pages::AuthError>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}

/// Every page but the members page (which everyone opens first and most often), each in its
/// own part of the browser bundle (`cargo leptos build --split`, debug and release: an unsplit
/// bundle would not load), fetched when the route is first shown: pages seen once per session
/// (sign-in, password change) or by administrators only. On a full page load of one of them
/// the router waits for its part before hydrating (`hydrate_from_async` in `crate::hydrate`).
mod lazy_pages {
    use super::*;

    macro_rules! lazy_page {
        ($route:ident, $page:ident) => {
            pub struct $route;

            #[lazy_route]
            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                fn view(_this: Self) -> AnyView {
                    // As `view! { <Page/> }` does: what the page reads while it is built
                    // subscribes nothing around it.
                    untrack(|| $page().into_any())
                }
            }
        };
    }

    lazy_page!(Login, LoginPage);
    lazy_page!(ChangePassword, ChangePasswordPage);
    lazy_page!(AuthError, AuthErrorPage);
    lazy_page!(Audit, AuditPage);
    lazy_page!(Invite, InvitePage);
    lazy_page!(Profile, ProfilePage);
    lazy_page!(Organizations, OrganizationsPage);
    lazy_page!(Organization, OrganizationPage);
    lazy_page!(People, PeoplePage);
    lazy_page!(Person, PersonPage);
}

/// Lets tests (and people) know the page is interactive (`data-hydrated` on `<body>`): called
/// by [`crate::hydrate`] once the whole page has hydrated, a lazy route's part included.
#[cfg(feature = "hydrate")]
pub fn mark_interactive() {
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// Browser side of the forced password change: client-side navigation cannot leave
/// `/change-password` either (the server answers 303 on full page loads).
#[component]
fn PasswordChangeGuard() -> impl IntoView {
    let me = use_me();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let must_change = matches!(me.get(), Some(Ok(Some(ref m))) if m.must_change_password);
        if must_change && location.pathname.get() != "/change-password" {
            navigate("/change-password", Default::default());
        }
    });
}
