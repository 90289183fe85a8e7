//! The password policy, shared by the browser (hints) and the server (enforcement).

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;
/// Length of a password Roster generates for an admin-created user.
pub const GENERATED_LEN: usize = 20;

static COMMON: &str = include_str!("common_passwords.txt");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least 8 characters")]
    TooShort,
    #[error("use at most 128 characters")]
    TooLong,
    #[error("this password is too common; choose another")]
    Common,
}

/// A password that meets the policy. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, PasswordError> {
        let chars = raw.chars().count();
        if chars < MIN_LEN {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_LEN {
            return Err(PasswordError::TooLong);
        }
        let lowered = raw.to_lowercase();
        if COMMON.lines().any(|c| c == lowered) {
            return Err(PasswordError::Common);
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(NewPassword::parse("short"), Err(PasswordError::TooShort));
        assert_eq!(
            NewPassword::parse(&"x".repeat(129)),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            NewPassword::parse("Password123"),
            Err(PasswordError::Common)
        );
        assert!(NewPassword::parse("correct horse battery").is_ok());
        assert!(
            !format!("{:?}", NewPassword::parse("correct horse battery").unwrap())
                .contains("horse")
        );
    }
}
