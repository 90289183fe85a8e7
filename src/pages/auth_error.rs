use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// What a refused sign-in means, in words, and what to do next.
fn explain(reason: &str, who: Option<String>) -> (&'static str, String) {
    let who = who.unwrap_or_else(|| "the person who invited you".into());
    match reason {
        "not_invited" => ("You are not invited", "This Google account has no invitation to Roster. Ask an admin of your workspace to invite your email address.".into()),
        "invitation_expired" => ("Invitation expired", format!("Your invitation has expired. Ask {who} to send it again.")),
        "invitation_invalid" => ("Invitation not valid", "This invitation link was replaced by a newer one, cancelled, or already used. Ask the person who invited you for a new link.".into()),
        "invitation_other_email" => ("Wrong Google account", "This invitation is for another email address. Sign in with the Google account of the invited address.".into()),
        "email_not_verified" => ("Email not verified", "Your Google account's email address is not verified. Verify it with Google, then try again.".into()),
        "domain_not_allowed" => ("Domain not allowed", "Accounts of this domain may not sign in to this Roster. Use your work account.".into()),
        "account_exists" => ("Account already exists", "An account with this email already exists. Sign in with your password, then link Google from your profile.".into()),
        "disabled" => ("Account disabled", "This account is disabled. Ask your admin.".into()),
        "provider_refused" => ("Sign-in cancelled", "Google did not complete the sign-in (it was cancelled or refused). Try again.".into()),
        "provider_unavailable" => ("Google is unreachable", "Roster could not reach Google just now. Try again in a moment.".into()),
        "invalid_token" => ("Sign-in could not be verified", "The answer from Google did not pass Roster's checks, so nobody was signed in. Try again.".into()),
        "stale" => ("This sign-in link is stale", "This sign-in attempt expired or was already used. Start again.".into()),
        "not_configured" => ("Google sign-in is off", "This Roster is not configured for Google sign-in. Sign in with your password.".into()),
        "link_email_mismatch" => ("Different email", "The Google account's verified email must be the same as your Roster email to link it.".into()),
        "linked_elsewhere" => ("Already linked", "This Google account is already linked to another Roster account.".into()),
        _ => ("Sign-in failed", "Something went wrong during sign-in. Try again.".into()),
    }
}

#[component]
pub fn AuthErrorPage() -> impl IntoView {
    let query = use_query_map();
    let reason = query
        .with_untracked(|q| q.get("reason"))
        .unwrap_or_default();
    let who = query.with_untracked(|q| q.get("who"));
    let (title, message) = explain(&reason, who);
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
