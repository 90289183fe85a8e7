//! Where a row of the members list stands, derived from what is stored and the clock.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    /// A member whose account is deactivated: they cannot sign in until reactivated.
    Deactivated,
    Pending,
    Expired,
}

impl MemberStatus {
    /// A membership is active unless its account is deactivated; an invitation is pending
    /// until its expiry, then expired.
    pub fn derive(
        is_member: bool,
        deactivated: bool,
        expires_at: Option<i64>,
        now: i64,
    ) -> MemberStatus {
        match (is_member, expires_at) {
            (true, _) if deactivated => MemberStatus::Deactivated,
            (true, _) => MemberStatus::Active,
            (false, Some(exp)) if exp > now => MemberStatus::Pending,
            (false, _) => MemberStatus::Expired,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MemberStatus;

    #[test]
    fn an_invitation_is_pending_until_the_second_it_expires() {
        assert_eq!(
            MemberStatus::derive(true, false, None, 10),
            MemberStatus::Active
        );
        assert_eq!(
            MemberStatus::derive(true, true, None, 10),
            MemberStatus::Deactivated
        );
        assert_eq!(
            MemberStatus::derive(false, false, Some(11), 10),
            MemberStatus::Pending
        );
        assert_eq!(
            MemberStatus::derive(false, false, Some(10), 10),
            MemberStatus::Expired
        );
        assert_eq!(
            MemberStatus::derive(false, false, None, 10),
            MemberStatus::Expired
        );
    }
}
