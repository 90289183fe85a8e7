//! How the page's data travels from the server's render to the browser's hydration.

use leptos::prelude::Resource;
use leptos::server::codee::{Decoder, Encoder};
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// A resource of a page: loaded on the server while the page renders, written into the page
/// with [`QuotesSwappedJson`], read back by the browser as it hydrates.
pub type PageResource<T> = Resource<T, QuotesSwappedJson>;

/// [`Resource::new`] with the page's codec: `source` tracked, `fetcher` run on the server for
/// the first value and in the browser for every later one.
pub fn page_resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> PageResource<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// JSON with its `"` and `'` swapped, the codec of the resources a page is rendered with.
///
/// Leptos writes each resource's encoded value into the page as a JavaScript string literal
/// made with Rust's `Debug`, which copies runs of plain ASCII at once but escapes every `"` on
/// its own, and JSON is mostly quotes: for the members page (the signed-in user with every
/// workspace a platform admin sees, and the list's row keys) that escaping was a tenth of the
/// server's work. With the quotes swapped, the JSON's own quotes are `'`, which a string literal
/// in double quotes carries as they are; a `"` or `'` inside a value swaps too, and swaps back.
/// The swap is a bijection on ASCII bytes (never part of a multi-byte UTF-8 character), so
/// decoding gives back exactly the JSON that was encoded.
pub struct QuotesSwappedJson;

fn swap_quotes(json: &mut [u8]) {
    for b in json {
        *b = match *b {
            b'"' => b'\'',
            b'\'' => b'"',
            other => other,
        };
    }
}

impl<T: Serialize> Encoder<T> for QuotesSwappedJson {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        let mut json = serde_json::to_vec(value)?;
        swap_quotes(&mut json);
        // Still UTF-8: only ASCII bytes changed.
        Ok(String::from_utf8(json).unwrap_or_default())
    }
}

impl<T: DeserializeOwned> Decoder<T> for QuotesSwappedJson {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, serde_json::Error> {
        let mut json = encoded.as_bytes().to_vec();
        swap_quotes(&mut json);
        serde_json::from_slice(&json)
    }
}

#[cfg(test)]
mod tests {
    use super::QuotesSwappedJson;
    use leptos::server::codee::{Decoder, Encoder};

    #[test]
    fn values_with_quotes_of_both_kinds_come_back_whole() {
        let value = (
            "O'Brien said \"hi\" \\ ünïcödé 🙂".to_string(),
            vec![Some(1_i64), None],
            std::collections::BTreeMap::from([("it's".to_string(), "\"q\"".to_string())]),
        );
        let encoded = <QuotesSwappedJson as Encoder<_>>::encode(&value).unwrap();
        // The JSON's own quotes no longer need escaping in a string literal.
        assert!(encoded.starts_with("['O\"Brien said \\'hi\\'"), "{encoded}");
        let decoded: (
            String,
            Vec<Option<i64>>,
            std::collections::BTreeMap<String, String>,
        ) = <QuotesSwappedJson as Decoder<_>>::decode(&encoded).unwrap();
        assert_eq!(decoded, value);
    }

    #[test]
    fn a_value_of_the_wrong_shape_is_an_error() {
        let decoded: Result<Vec<i64>, _> = <QuotesSwappedJson as Decoder<_>>::decode("{'a':1}");
        assert!(decoded.is_err());
    }
}
