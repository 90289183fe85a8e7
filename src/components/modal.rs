//! A modal dialog as the WAI-ARIA dialog pattern asks: Escape closes it, Tab and Shift+Tab
//! stay inside it, and when it closes the focus goes back to whatever opened it.

use leptos::html;
use leptos::prelude::*;

/// What can take the focus inside a dialog (in document order, as Tab moves).
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), \
                         select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex=\"-1\"])";

#[component]
pub fn Modal(
    /// The id of the dialog's heading (its accessible name).
    labelled_by: &'static str,
    /// Called on Escape.
    on_escape: Callback<()>,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    // The element that had the focus when the dialog opened (the button that opened it).
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        use leptos::wasm_bindgen::JsCast;
        if opener.with_value(Option::is_some) {
            return;
        }
        let Some(el) = dialog.get() else { return };
        let active = document()
            .active_element()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        opener.set_value(active);
        // Into the dialog, unless one of its fields took the focus already (autofocus).
        let inside = document()
            .active_element()
            .is_some_and(|a| el.contains(Some(&a)));
        if !inside {
            if let Some(first) = focusables(&el).into_iter().next() {
                let _ = first.focus();
            }
        }
    });
    on_cleanup(move || {
        if let Some(Some(opener)) = opener.try_get_value() {
            let _ = opener.focus();
        }
    });
    // On the window, not the dialog: when the dialog's content changes (a form replaced by its
    // results) the focused element goes and the focus falls to the page's body, from where
    // Tab must still come back into the dialog, and Escape still close it.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            on_escape.run(());
        }
        "Tab" => {
            let Some(el) = dialog.get_untracked() else {
                return;
            };
            let items = focusables(&el);
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                return;
            };
            let active = document().active_element();
            let inside = active.as_ref().is_some_and(|a| el.contains(Some(a)));
            let is = |item: &web_sys::HtmlElement| {
                active
                    .as_ref()
                    .is_some_and(|a| a == AsRef::<web_sys::Element>::as_ref(item))
            };
            if !inside {
                ev.prevent_default();
                let _ = if ev.shift_key() {
                    last.focus()
                } else {
                    first.focus()
                };
            } else if ev.shift_key() && is(first) {
                ev.prevent_default();
                let _ = last.focus();
            } else if !ev.shift_key() && is(last) {
                ev.prevent_default();
                let _ = first.focus();
            }
        }
        _ => {}
    });
    on_cleanup(move || keys.remove());
    view! {
        <div class="dialog-backdrop">
            <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby=labelled_by
                node_ref=dialog>
                {children()}
            </div>
        </div>
    }
}

/// The dialog's focusable elements that are shown, in document order.
fn focusables(dialog: &web_sys::HtmlDivElement) -> Vec<web_sys::HtmlElement> {
    use leptos::wasm_bindgen::JsCast;
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        // Hidden ones (display: none) have no layout box.
        .filter(|e| e.offset_parent().is_some())
        .collect()
}
