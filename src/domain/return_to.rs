//! Where a person may be sent back to after signing in: a path on this origin, nothing else.

/// Where sign-in sends a person when no (acceptable) return path was given.
pub const DEFAULT_RETURN_TO: &str = "/members";

/// The return path if it is a path on this origin, else [`DEFAULT_RETURN_TO`].
///
/// A browser resolving a relative URL drops tab, CR and LF and treats `\` as `/`, so
/// `/\t/evil.example` and `/\evil.example` mean `//evil.example`, another origin. So anything
/// but a single leading `/` followed by printable, non-space characters (no backslash) is
/// refused, and so is `/login` (it would loop).
pub fn safe_return_to(raw: Option<String>) -> String {
    match raw {
        Some(p) if is_local_path(&p) => p,
        _ => DEFAULT_RETURN_TO.to_string(),
    }
}

fn is_local_path(p: &str) -> bool {
    let mut chars = p.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/') | Some('\\'))
        && p.len() <= 2_048
        && !p
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && !(p == "/login" || p.starts_with("/login?") || p.starts_with("/login/"))
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn return_to_is_a_path_on_this_origin_only() {
        for good in [
            "/members?workspace=1",
            "/",
            "/invite/abc",
            "/members#x",
            "/loginx",
        ] {
            assert_eq!(safe_return_to(Some(good.into())), good);
        }
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\r/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/\u{0}x",
            "/\u{a0}/evil.example",
            "/members\\..\\x",
            "members",
            "evil.example",
            "javascript:alert(1)",
            " /members",
            "",
            "/login",
            "/login?return_to=/login",
        ] {
            assert_eq!(safe_return_to(Some(bad.into())), "/members", "{bad:?}");
        }
        assert_eq!(
            safe_return_to(Some(format!("/{}", "a".repeat(3000)))),
            "/members"
        );
        assert_eq!(safe_return_to(None), "/members");
    }
}
