//! The signed-in user, loaded once per page load and shared by the shell and every page.

use crate::components::hydration::{page_resource, PageResource};
use crate::model::auth::SessionUser;
use crate::model::ApiError;
use leptos::prelude::*;

/// The signed-in user, loaded once per page load; `None` when signed out.
pub type MeResource = PageResource<Result<Option<SessionUser>, ApiError>>;

/// Starts loading the signed-in user and makes it available to [`use_me`] (called by the app
/// shell once).
pub fn provide_me() {
    let me: MeResource = page_resource(|| (), |_| crate::api::auth::me());
    provide_context(me);
}

pub fn use_me() -> MeResource {
    expect_context::<MeResource>()
}
