//! The events a webhook endpoint can ask for (the audit actions they come from are mapped in
//! migration 0007's trigger).

pub const WEBHOOK_EVENTS: &[&str] = &[
    "member.added",
    "member.role_changed",
    "member.removed",
    "invitation.created",
    "invitation.accepted",
    "invitation.cancelled",
    "user.deactivated",
    "user.reactivated",
];

/// Parses a comma-separated list of events: at least one, each known; sorted, without repeats.
pub fn parse_events(raw: &str) -> Result<Vec<&'static str>, String> {
    let mut events = Vec::new();
    for part in raw
        .split([',', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let known = WEBHOOK_EVENTS.iter().find(|e| **e == part).ok_or_else(|| {
            format!(
                "unknown event {part:?}: choose from {}",
                WEBHOOK_EVENTS.join(", ")
            )
        })?;
        if !events.contains(known) {
            events.push(*known);
        }
    }
    if events.is_empty() {
        return Err("choose at least one event".into());
    }
    events.sort();
    Ok(events)
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_parse_and_refuse_the_unknown() {
        assert_eq!(
            super::parse_events("member.removed, member.added,member.added").unwrap(),
            ["member.added", "member.removed"]
        );
        assert!(super::parse_events("").is_err());
        assert!(super::parse_events("member.exploded").is_err());
    }
}
