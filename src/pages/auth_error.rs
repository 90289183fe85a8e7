use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// What a refused sign-in means, in words, and what to do next. Only the reason code is read
/// from the address, to pick one of these texts: nothing else from it reaches the page.
fn explain(reason: &str) -> (&'static str, &'static str) {
    match reason {
        "not_invited" => ("You are not invited", "This Google account has no invitation to Roster. Ask an admin of your workspace to invite your email address."),
        "invitation_expired" => ("Invitation expired", "Your invitation has expired. Ask the person who invited you to send it again."),
        "invitation_invalid" => ("Invitation not valid", "This invitation link was replaced by a newer one, cancelled, or already used. Ask the person who invited you for a new link."),
        "invitation_other_email" => ("Wrong Google account", "This invitation is for another email address. Sign in with the Google account of the invited address."),
        "email_not_verified" => ("Email not verified", "Your Google account's email address is not verified. Verify it with Google, then try again."),
        "domain_not_allowed" => ("Domain not allowed", "Accounts of this domain may not sign in to this Roster. Use your work account."),
        "account_exists" => ("Account already exists", "An account with this email already exists. Sign in with your password, then link Google from your profile."),
        "disabled" => ("Account deactivated", "This account is deactivated. Ask your admin to reactivate it."),
        "provider_refused" => ("Sign-in cancelled", "Google did not complete the sign-in (it was cancelled or refused). Try again."),
        "provider_unavailable" => ("Google is unreachable", "Roster could not reach Google just now. Try again in a moment."),
        "invalid_token" => ("Sign-in could not be verified", "The answer from Google did not pass Roster's checks, so nobody was signed in. Try again."),
        "stale" => ("This sign-in link is stale", "This sign-in attempt expired or was already used. Start again."),
        "not_configured" => ("Google sign-in is off", "This Roster is not configured for Google sign-in. Sign in with your password."),
        "link_email_mismatch" => ("Different email", "The Google account's verified email must be the same as your Roster email to link it."),
        "rate_limited" => ("Too many sign-in attempts", "Too many sign-ins were started from your network without finishing. Wait a few minutes, then try again."),
        "linked_elsewhere" => ("Already linked", "This Google account is already linked to another Roster account."),
        _ => ("Sign-in failed", "Something went wrong during sign-in. Try again."),
    }
}

#[component]
pub fn AuthErrorPage() -> impl IntoView {
    let query = use_query_map();
    let reason = query
        .with_untracked(|q| q.get("reason"))
        .unwrap_or_default();
    let (title, message) = explain(&reason);
    // Echoed only when it is one of the known codes.
    let reason = if explain(&reason).0 == explain("").0 {
        "unknown".to_string()
    } else {
        reason
    };
    let account_exists = reason == "account_exists";
    view! {
        <section class="card narrow" data-testid="auth-error" data-reason=reason>
            <h1>{title}</h1>
            <p>{message}</p>
            <p>
                {if account_exists {
                    view! { <a class="button" href="/login?return_to=/profile">"Sign in with your password"</a> }.into_any()
                } else {
                    view! { <a href="/login">"Back to sign-in"</a> }.into_any()
                }}
            </p>
        </section>
    }
}
