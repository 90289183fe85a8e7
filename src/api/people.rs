//! The people list and a person's page.

use super::ApiError;
use crate::model::people::{PeoplePage, PersonPage};
use leptos::prelude::*;

/// One page (50) of accounts in email order, searched by the start of an email or a name
/// (`q`), filtered by `status` (`all`, `active`, `deactivated`, `must_change_password`,
/// `temporary_password_expired`); `after` is the `next` of the previous page.
#[server(prefix = "/api", endpoint = "users/list", output = super::JsonResponse)]
pub async fn list_people(
    q: Option<String>,
    status: Option<String>,
    after: Option<String>,
) -> Result<PeoplePage, ApiError> {
    use crate::domain::requests::{FieldErrors, MAX_SEARCH_CHARS};
    use crate::server::auth::caller;
    use crate::server::AppError;
    let caller = caller().await?;
    let mut errors = FieldErrors::default();
    let search = q.unwrap_or_default().trim().to_string();
    if search.chars().count() > MAX_SEARCH_CHARS {
        errors.add(
            "q",
            format!("search with at most {MAX_SEARCH_CHARS} characters"),
        );
    }
    let status = errors.check("status", status.as_deref().unwrap_or("all").parse());
    let (Some(status), true) = (status, errors.is_empty()) else {
        return Err(AppError::from(errors).into());
    };
    let request = crate::server::people::ListPeople {
        search,
        status,
        after: after.filter(|a| !a.is_empty()),
    };
    Ok(crate::server::people::list(&caller, request).await?)
}

/// A person: the memberships, organization roles and audit entries the caller may see, and
/// what the caller may do with the account. 404 for a person the caller may not see.
#[server(prefix = "/api", endpoint = "users/get", output = super::JsonResponse)]
pub async fn get_person(user_id: String) -> Result<PersonPage, ApiError> {
    use crate::server::auth::caller;
    let caller = caller().await?;
    Ok(crate::server::people::get(&caller, &user_id).await?)
}
