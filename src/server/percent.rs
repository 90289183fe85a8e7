//! The one percent-encoder of the crate (the `percent-encoding` crate, as `url` uses): for a
//! value put into a query string of a URL Roster builds.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but the unreserved characters of RFC 3986 and `/` (kept readable in paths).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(
            super::encode("/members?workspace=a b&x=é"),
            "/members%3Fworkspace%3Da%20b%26x%3D%C3%A9"
        );
    }
}
