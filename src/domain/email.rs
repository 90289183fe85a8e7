use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically valid email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("an email address is at most 254 characters")]
    TooLong,
    #[error("`{0}` is not an email address")]
    Shape(String),
    /// `.invalid` (RFC 2606) can receive no mail; Roster names its API tokens' accounts there.
    #[error("`{0}` can receive no mail (the .invalid domain)")]
    Reserved(String),
}

impl Email {
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(EmailError::Empty);
        }
        if email.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let shape_ok = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
                    && !email.contains(['<', '>', ',', ';', '"', '(', ')', '[', ']', '\\'])
            }
            None => false,
        };
        if !shape_ok {
            return Err(EmailError::Shape(raw.trim().to_string()));
        }
        if email.ends_with(".invalid") {
            return Err(EmailError::Reserved(raw.trim().to_string()));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_space() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@x.com",
            "ada@x..com",
            "<a@x.com>",
            "a@x.com,b@y.com",
            "token-1@tokens.invalid",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
