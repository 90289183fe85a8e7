//! HTML text the app wrote itself, set as an element's content and shared rather than copied.

use leptos::tachys::html::attribute::IntoAttributeValue;
use leptos::tachys::html::element::InnerHtmlValue;
use leptos::tachys::renderer::{types::Element, Rndr};
use std::sync::Arc;

/// HTML text the app wrote itself (every value in it escaped by its writer), for `inner_html`.
///
/// Leptos's own `inner_html` values each cost one more copy of the text on the server: a
/// `String` is turned into an `Arc<str>` so that the view can be cloned while it resolves, and
/// an `Arc<str>` is itself made by copying the `String` it was written in. This one keeps the
/// `String` it was written in, shared: the text is copied only into the page (for the members
/// table, some 50 KB per page view).
#[derive(Clone, Default, Debug)]
pub struct SharedHtml(Arc<String>);

impl From<String> for SharedHtml {
    fn from(html: String) -> SharedHtml {
        SharedHtml(Arc::new(html))
    }
}

impl PartialEq for SharedHtml {
    fn eq(&self, other: &SharedHtml) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

// `view!` passes every attribute's value through `IntoAttributeValue`.
impl IntoAttributeValue for SharedHtml {
    type Output = SharedHtml;

    fn into_attribute_value(self) -> SharedHtml {
        self
    }
}

impl InnerHtmlValue for SharedHtml {
    type AsyncOutput = Self;
    type State = (Element, Self);
    type Cloneable = Self;
    type CloneableOwned = Self;

    fn html_len(&self) -> usize {
        self.0.len()
    }

    fn to_html(self, buf: &mut String) {
        buf.push_str(&self.0);
    }

    fn to_template(_buf: &mut String) {}

    fn hydrate<const FROM_SERVER: bool>(self, el: &Element) -> Self::State {
        // Rendered by the server: the element already holds this text.
        if !FROM_SERVER {
            Rndr::set_inner_html(el, &self.0);
        }
        (el.clone(), self)
    }

    fn build(self, el: &Element) -> Self::State {
        Rndr::set_inner_html(el, &self.0);
        (el.clone(), self)
    }

    fn rebuild(self, state: &mut Self::State) {
        if self != state.1 {
            Rndr::set_inner_html(&state.0, &self.0);
            state.1 = self;
        }
    }

    fn into_cloneable(self) -> Self {
        self
    }

    fn into_cloneable_owned(self) -> Self {
        self
    }

    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::SharedHtml;
    use leptos::tachys::html::element::InnerHtmlValue;

    #[test]
    fn the_text_is_written_as_it_is_and_equal_texts_are_equal() {
        let html = SharedHtml::from("<tr><td>a &amp; b</td></tr>".to_string());
        assert_eq!(html.html_len(), 27);
        let mut page = String::from("<tbody>");
        html.clone().to_html(&mut page);
        assert_eq!(page, "<tbody><tr><td>a &amp; b</td></tr>");
        assert!(html == SharedHtml::from("<tr><td>a &amp; b</td></tr>".to_string()));
        assert!(html != SharedHtml::default());
    }
}
