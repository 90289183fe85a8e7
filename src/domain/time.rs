//! Formatting of the Unix-second UTC timestamps the API returns.

/// `YYYY-MM-DD HH:MM UTC`.
pub fn format_utc(secs: i64) -> String {
    let mut out = String::with_capacity(20);
    push_utc(&mut out, secs);
    out
}

/// Appends `YYYY-MM-DD HH:MM UTC` to `out`. The members page writes a few of these on every
/// row: digits pushed one by one cost a small fraction of `format!`'s padded integers.
pub fn push_utc(out: &mut String, secs: i64) {
    let rem = secs.rem_euclid(86_400);
    push_date(out, secs);
    out.push(' ');
    push_padded(out, rem / 3600, 2);
    out.push(':');
    push_padded(out, (rem % 3600) / 60, 2);
    out.push_str(" UTC");
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, as SCIM's `meta` dates).
pub fn format_rfc3339(secs: i64) -> String {
    let rem = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(secs),
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// `YYYY-MM-DD`.
pub fn format_date(secs: i64) -> String {
    let mut out = String::with_capacity(10);
    push_date(&mut out, secs);
    out
}

/// Appends `YYYY-MM-DD` to `out` (as [`format_date`]).
pub fn push_date(out: &mut String, secs: i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    push_padded(out, y, 4);
    out.push('-');
    push_padded(out, i64::from(m), 2);
    out.push('-');
    push_padded(out, i64::from(d), 2);
}

/// `n` in decimal, zero-padded to `width` digits (as `format!("{n:0width$}")`).
fn push_padded(out: &mut String, n: i64, width: usize) {
    if !(0..10_i64.pow(width as u32)).contains(&n) {
        use std::fmt::Write;
        let _ = write!(out, "{n:0width$}");
        return;
    }
    let mut digits = [b'0'; 4];
    let mut rest = n;
    for slot in digits[..width].iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend(digits[..width].iter().map(|&b| char::from(b)));
}

/// `YYYY-MM-DD` to the Unix second its UTC day starts at; `None` for anything else (the
/// inverse of [`format_date`]).
pub fn parse_date(raw: &str) -> Option<i64> {
    let mut parts = raw.trim().splitn(3, '-');
    let mut field = |len: usize| {
        parts
            .next()
            .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i64>().ok())
    };
    let (y, m, d) = (field(4)?, field(2)?, field(2)?);
    let days = days_from_civil(y, m, d);
    // Out-of-range months and days (2026-02-30) do not survive the round trip.
    (civil_from_days(days) == (y, m as u32, d as u32)).then_some(days * 86_400)
}

/// A proleptic Gregorian date to days since 1970-01-01 (the inverse of `civil_from_days`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::format_rfc3339(1_795_000_007), "2026-11-18T11:06:47Z");
        assert_eq!(super::format_utc(1_795_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(super::format_date(951_782_400), "2000-02-29");
    }

    #[test]
    fn pushed_digits_match_format() {
        // Every day of a few centuries and every minute of a day, against `format!`.
        for day in -800_000_i64..800_000 {
            let secs = day * 86_400 + (day.rem_euclid(1_440)) * 60;
            let (y, m, d) = super::civil_from_days(day);
            let rem = secs.rem_euclid(86_400);
            assert_eq!(
                super::format_utc(secs),
                format!(
                    "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
                    rem / 3600,
                    (rem % 3600) / 60
                )
            );
        }
        // Years outside four digits keep `format!`'s rendering.
        assert_eq!(
            super::format_date(super::days_from_civil(-1, 1, 1) * 86_400),
            format!("{:04}-01-01", -1)
        );
        assert_eq!(super::format_date(253_402_300_800), "10000-01-01");
    }

    #[test]
    fn dates_parse_back_to_the_start_of_their_day() {
        assert_eq!(super::parse_date("1970-01-01"), Some(0));
        assert_eq!(super::parse_date("2000-02-29"), Some(951_782_400));
        assert_eq!(
            super::parse_date(" 2026-11-18 "),
            Some(1_795_000_000 - 1_795_000_000 % 86_400)
        );
        for secs in [0, 951_782_400, 1_795_000_000, 4_102_444_800] {
            let day = secs - secs % 86_400;
            assert_eq!(super::parse_date(&super::format_date(secs)), Some(day));
        }
        for bad in [
            "",
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-01T00:00",
            "yyyy-mm-dd",
            "2026-00-10",
        ] {
            assert_eq!(super::parse_date(bad), None, "{bad:?}");
        }
    }
}
