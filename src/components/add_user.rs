//! The Add User dialog: create a user with a password in the current workspace.

use crate::api::admin::AddUser;
use crate::components::copy_to_clipboard;
use crate::components::modal::Modal;
use crate::components::WorkspaceRoleOptions;
use crate::domain::password::{GENERATED_LEN, MIN_LEN};
use crate::domain::WorkspaceRole;
use crate::model::admin::CreatedUser;
use leptos::prelude::*;

/// The dialog as a view made in a later part of the browser bundle (`cargo leptos build
/// --split`), loaded when it first opens: most visits to the members page never open it.
#[lazy]
pub fn lazy_add_user_dialog(workspace_id: String, on_close: Callback<bool>) -> AnyView {
    view! { <AddUserDialog workspace_id on_close/> }.into_any()
}

#[component]
pub fn AddUserDialog(workspace_id: String, on_close: Callback<bool>) -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let generate = RwSignal::new(false);
    let role = RwSignal::new(WorkspaceRole::WorkspaceViewer.as_str().to_string());
    let must_change = RwSignal::new(true);

    let error = move || add.value().get().and_then(|r| r.err());
    let field_error = move |f: &'static str| error().and_then(|e| e.field(f));
    let created = move || add.value().get().and_then(|r| r.ok());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(AddUser {
            email: email.get_untracked(),
            name: Some(name.get_untracked()),
            password: Some(if generate.get_untracked() {
                String::new()
            } else {
                password.get_untracked()
            }),
            workspace_id: workspace_id.clone(),
            role: role.get_untracked(),
            must_change_password: Some(must_change.get_untracked()),
        });
    };

    view! {
        <Modal labelled_by="add-user-title" on_escape=Callback::new(move |()| on_close.run(created().is_some()))>
                <h2 id="add-user-title">"Add User"</h2>
                {move || match created() {
                    Some(user) => view! { <Created user on_close/> }.into_any(),
                    None => view! {
                        <form class="form" on:submit=submit.clone() data-testid="add-user-form">
                            <label>"Email"
                                <input type="email" required autofocus prop:value=email on:input=move |ev| email.set(event_target_value(&ev)) name="email"/>
                                <FieldError message=Signal::derive(move || field_error("email"))/>
                            </label>
                            <label>"Name"
                                <input prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) name="name"/>
                                <FieldError message=Signal::derive(move || field_error("name"))/>
                            </label>
                            <label>"Role"
                                <select name="role" on:change=move |ev| role.set(event_target_value(&ev))>
                                    <WorkspaceRoleOptions selected=WorkspaceRole::WorkspaceViewer/>
                                </select>
                                <FieldError message=Signal::derive(move || field_error("role"))/>
                            </label>
                            <label>"Password"
                                <div class="row">
                                    <input type="text" name="password" autocomplete="off" minlength=MIN_LEN
                                        disabled=move || generate.get()
                                        placeholder=move || if generate.get() { format!("{GENERATED_LEN} random characters, shown once") } else { String::new() }
                                        prop:value=move || if generate.get() { String::new() } else { password.get() }
                                        on:input=move |ev| password.set(event_target_value(&ev))/>
                                    <button type="button" class="button secondary" data-testid="generate-password"
                                        aria-pressed=move || generate.get().to_string()
                                        on:click=move |_| generate.update(|g| *g = !*g)>
                                        {move || if generate.get() { "Type one instead" } else { "Generate" }}
                                    </button>
                                </div>
                                <FieldError message=Signal::derive(move || field_error("password"))/>
                            </label>
                            <label class="inline">
                                <input type="checkbox" prop:checked=must_change on:change=move |ev| must_change.set(event_target_checked(&ev))/>
                                "Require a new password at first sign-in"
                            </label>
                            <p class="muted">"No email is sent: give the password to the person yourself."</p>
                            <Show when=move || error().is_some_and(|e| e.fields.is_empty())>
                                <p class="error" role="alert">{move || error().map(|e| e.error)}</p>
                            </Show>
                            <div class="row end">
                                <button type="button" class="button secondary" on:click=move |_| on_close.run(false)>"Cancel"</button>
                                <button type="submit" class="button" disabled=move || add.pending().get()>"Add User"</button>
                            </div>
                        </form>
                    }.into_any(),
                }}
        </Modal>
    }
}

#[component]
fn FieldError(message: Signal<Option<String>>) -> impl IntoView {
    view! { <Show when=move || message.get().is_some()><small class="error">{move || message.get()}</small></Show> }
}

#[component]
fn Created(user: CreatedUser, on_close: Callback<bool>) -> impl IntoView {
    let generated = user.generated_password.clone();
    view! {
        <p data-testid="user-created">{format!("{} was added as {}.", user.email, user.role.label())}</p>
        {generated.map(|pw| {
            let copy_value = pw.clone();
            view! {
                <p>"Their password, shown only this once:"</p>
                <div class="row">
                    <input readonly class="mono" data-testid="generated-password" prop:value=pw/>
                    <button type="button" class="button secondary" on:click=move |_| {
                        copy_to_clipboard(&copy_value);
                    }>"Copy"</button>
                </div>
            }
        })}
        <div class="row end">
            <button class="button" data-testid="add-user-done" on:click=move |_| on_close.run(true)>"Done"</button>
        </div>
    }
}
