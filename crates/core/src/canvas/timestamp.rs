//! Reading ISO-8601 / RFC 3339 timestamps in condition values, so that `greater_than`
//! compares instants even when the two sides are written with different offsets.

/// An instant: seconds since the Unix epoch and nanoseconds within that second.
pub(super) type Instant = (i64, u32);

/// The instant a timestamp names, for the forms `2026-03-01`, `2026-03-01T09:30:00Z`,
/// `2026-03-01T09:30:00.250+09:00` (`T`, `t` or a space between date and time). A time
/// without an offset is read as UTC. `None` for anything else.
pub(super) fn parse_timestamp(text: &str) -> Option<Instant> {
    let text = text.trim();
    let (date, time) = match text.find(['T', 't', ' ']) {
        Some(split) => (&text[..split], Some(&text[split + 1..])),
        None => (text, None),
    };
    let days = parse_date(date)?;
    let (seconds_of_day, nanos, offset_seconds) = match time {
        Some(time) => parse_time(time)?,
        None => (0, 0, 0),
    };
    let seconds = days * 86_400 + seconds_of_day - offset_seconds;
    Some((seconds, nanos))
}

/// Digits only, exactly `width` of them.
fn fixed_digits(text: &str, width: usize) -> Option<i64> {
    if text.len() != width || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Days since 1970-01-01 for `YYYY-MM-DD`.
fn parse_date(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let year = fixed_digits(parts.next()?, 4)?;
    let month = fixed_digits(parts.next()?, 2)?;
    let day = fixed_digits(parts.next()?, 2)?;
    if parts.next().is_some() || !(1..=12).contains(&month) {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01 in the proleptic Gregorian
/// calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `HH:MM:SS[.fraction][Z|±HH:MM]` as (seconds of the day, nanoseconds, offset seconds).
fn parse_time(time: &str) -> Option<(i64, u32, i64)> {
    let (clock, offset_seconds) = split_offset(time)?;
    let (whole, fraction) = match clock.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (clock, None),
    };
    let mut parts = whole.split(':');
    let hour = fixed_digits(parts.next()?, 2)?;
    let minute = fixed_digits(parts.next()?, 2)?;
    let second = fixed_digits(parts.next()?, 2)?;
    // 60 allows a leap second.
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let nanos = match fraction {
        Some(fraction) => parse_nanos(fraction)?,
        None => 0,
    };
    Some((hour * 3_600 + minute * 60 + second, nanos, offset_seconds))
}

/// Splits `Z`, `z` or `±HH:MM` off the end of a time; no suffix means UTC.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let Some(sign_at) = time.rfind(['+', '-']) else {
        return Some((time, 0));
    };
    let (clock, offset) = time.split_at(sign_at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = offset[1..].split_once(':')?;
    let hours = fixed_digits(hours, 2)?;
    let minutes = fixed_digits(minutes, 2)?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((clock, sign * (hours * 3_600 + minutes * 60)))
}

/// One to nine fractional digits as nanoseconds.
fn parse_nanos(fraction: &str) -> Option<u32> {
    if fraction.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: u32 = fraction.parse().ok()?;
    Some(digits * 10u32.pow(9 - fraction.len() as u32))
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn the_epoch_and_known_instants_are_read_exactly() {
        assert_eq!(parse_timestamp("1970-01-01"), Some((0, 0)));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_timestamp("2000-03-01T00:00:00Z"),
            Some((951_868_800, 0))
        );
        assert_eq!(
            parse_timestamp("2026-11-29T05:14:05Z"),
            Some((1_795_929_245, 0))
        );
        assert_eq!(parse_timestamp("1969-12-31T23:59:59Z"), Some((-1, 0)));
        assert_eq!(
            parse_timestamp("2024-02-29 12:00:00.5"),
            Some((1_709_208_000, 500_000_000))
        );
    }

    #[test]
    fn offsets_move_the_instant() {
        assert_eq!(parse_timestamp("1970-01-01T09:00:00+09:00"), Some((0, 0)));
        assert_eq!(parse_timestamp("1969-12-31T19:30:00-04:30"), Some((0, 0)));
    }

    #[test]
    fn malformed_timestamps_are_not_read() {
        for text in [
            "",
            "2026",
            "2026-13-01",
            "2026-02-30",
            "2023-02-29",
            "26-01-01",
            "2026-1-01",
            "2026-01-01T24:00:00Z",
            "2026-01-01T10:00Z",
            "2026-01-01T10:00:00+9",
            "2026-01-01T10:00:00.Z",
            "2026-01-01T10:00:00.1234567890Z",
            "2026-01-01X",
            "gold",
            "2026-01-01T",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text:?}");
        }
    }
}
