//! Timestamps with Go's `time.Time` JSON semantics.
//!
//! Helm marshals `time.Time` with RFC 3339 and nanoseconds (`2006-01-02T15:04:05.999999999Z07:00`):
//! trailing zeros of the fraction are dropped, a zero offset prints as `Z`, and any other offset
//! is kept as written. [`Time`] keeps the instant *and* the offset so a record read from Helm is
//! written back with the same text.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Seconds from 0001-01-01T00:00:00Z (Go's zero time) to the Unix epoch.
const ZERO_TO_UNIX: i64 = 62_135_596_800;

/// An instant with a fixed UTC offset, serialised exactly as Go's `time.Time`.
///
/// The default value is Go's zero time, `0001-01-01T00:00:00Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Time {
    /// Seconds since the Unix epoch (UTC).
    unix: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    nanos: u32,
    /// Offset from UTC in seconds used when formatting.
    offset: i32,
}

impl Default for Time {
    fn default() -> Self {
        Self::ZERO
    }
}

/// Why a timestamp could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 3339 timestamp {text:?}: {reason}")]
pub struct TimeParseError {
    text: String,
    reason: &'static str,
}

impl Time {
    /// Go's zero time, `0001-01-01T00:00:00Z`.
    pub const ZERO: Time = Time {
        unix: -ZERO_TO_UNIX,
        nanos: 0,
        offset: 0,
    };

    /// The current time in UTC.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// A `SystemTime` as a UTC time.
    pub fn from_system_time(t: SystemTime) -> Self {
        let (unix, nanos) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos(),
            ),
            // Before 1970: count backwards.
            Err(e) => {
                let d = e.duration();
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                if d.subsec_nanos() == 0 {
                    (-secs, 0)
                } else {
                    (-secs - 1, 1_000_000_000 - d.subsec_nanos())
                }
            }
        };
        Self {
            unix,
            nanos,
            offset: 0,
        }
    }

    /// Builds a UTC time from Unix seconds and nanoseconds (`nanos` is clamped below one second).
    pub fn from_unix(unix: i64, nanos: u32) -> Self {
        Self {
            unix,
            nanos: nanos.min(999_999_999),
            offset: 0,
        }
    }

    /// The same instant shown with a different UTC offset (seconds east of UTC).
    pub fn with_offset(self, offset_seconds: i32) -> Self {
        Self {
            offset: offset_seconds,
            ..self
        }
    }

    /// Seconds since the Unix epoch, as Go's `Time.Unix()` (used for the `createdAt` label).
    pub fn unix(&self) -> i64 {
        self.unix
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// Offset from UTC in seconds.
    pub fn offset_seconds(&self) -> i32 {
        self.offset
    }

    /// Whether this is Go's zero instant (whatever its offset), as `time.Time.IsZero`.
    pub fn is_zero(&self) -> bool {
        self.unix == -ZERO_TO_UNIX && self.nanos == 0
    }

    /// Parses RFC 3339 text as Go's `time.Time.UnmarshalJSON` accepts it
    /// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`).
    pub fn parse(text: &str) -> Result<Self, TimeParseError> {
        let err = |reason| TimeParseError {
            text: text.to_owned(),
            reason,
        };
        let b = text.as_bytes();
        if b.len() < 20 {
            return Err(err("too short"));
        }
        let num = |range: std::ops::Range<usize>| -> Result<i64, TimeParseError> {
            let digits = &b[range];
            if !digits.iter().all(u8::is_ascii_digit) {
                return Err(err("expected digits"));
            }
            Ok(digits
                .iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
        };
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(err("expected YYYY-MM-DDTHH:MM:SS"));
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month) {
            return Err(err("month out of range"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(err("day out of range"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(err("time of day out of range"));
        }
        let mut i = 19;
        let mut nanos = 0u32;
        if b[i] == b'.' {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &b[start..i];
            if frac.is_empty() || frac.len() > 9 {
                return Err(err("fractional seconds must have 1 to 9 digits"));
            }
            let mut scaled = 0u32;
            for k in 0..9 {
                scaled = scaled * 10 + frac.get(k).map_or(0, |d| u32::from(d - b'0'));
            }
            nanos = scaled;
        }
        let offset = match &b[i..] {
            [b'Z'] => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let h = num(i + 1..i + 3)?;
                let m = num(i + 4..i + 6)?;
                if h > 23 || m > 59 {
                    return Err(err("offset out of range"));
                }
                let secs =
                    i32::try_from(h * 3600 + m * 60).map_err(|_| err("offset out of range"))?;
                if *sign == b'-' { -secs } else { secs }
            }
            _ => return Err(err("expected Z or ±HH:MM after the time")),
        };
        let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        Ok(Self {
            unix: local - i64::from(offset),
            nanos,
            offset,
        })
    }
}

impl fmt::Display for Time {
    /// Formats as Go's `time.RFC3339Nano`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.unix + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        if self.offset == 0 {
            f.write_str("Z")
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let abs = self.offset.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60)
        }
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Time {
    /// Accepts RFC 3339 text; `null` and `""` give the zero time, as Helm's release types do.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text: Option<String> = Option::deserialize(deserializer)?;
        match text.as_deref() {
            None | Some("") => Ok(Time::ZERO),
            Some(t) => Time::parse(t).map_err(serde::de::Error::custom),
        }
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_time_formats_like_go() {
        assert_eq!(Time::ZERO.to_string(), "0001-01-01T00:00:00Z");
        assert!(Time::parse("0001-01-01T00:00:00Z").unwrap().is_zero());
        assert!(Time::parse("0001-01-01T01:00:00+01:00").unwrap().is_zero());
    }

    #[test]
    fn round_trips_fraction_and_offset() {
        for text in [
            "2025-03-14T15:09:26.535897932Z",
            "2025-03-14T15:10:00.5Z",
            "2025-06-01T08:00:00+01:00",
            "2025-06-01T08:00:01.00012-03:30",
            "2024-02-29T23:59:59Z",
            "1969-12-31T23:59:59.999999999Z",
        ] {
            assert_eq!(Time::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn normalises_like_go() {
        // Go drops trailing zeros of the fraction and prints a zero offset as Z.
        let t = Time::parse("2025-03-14T15:09:26.500000000+00:00").unwrap();
        assert_eq!(t.to_string(), "2025-03-14T15:09:26.5Z");
        assert_eq!(t.unix(), 1_741_964_966);
    }

    #[test]
    fn rejects_bad_text() {
        for text in [
            "2025-02-30T00:00:00Z",
            "2025-03-14 15:09:26Z",
            "2025-03-14T15:09:26",
            "2025-03-14T15:09:26.Z",
            "2025-03-14T25:09:26Z",
        ] {
            assert!(Time::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn system_time_conversion() {
        let t = UNIX_EPOCH + std::time::Duration::new(1_735_689_600, 250_000_000);
        assert_eq!(
            Time::from_system_time(t).to_string(),
            "2025-01-01T00:00:00.25Z"
        );
        let before = UNIX_EPOCH - std::time::Duration::new(1, 500_000_000);
        assert_eq!(
            Time::from_system_time(before).to_string(),
            "1969-12-31T23:59:58.5Z"
        );
    }

    #[test]
    fn now_is_after_2025() {
        assert!(Time::now().unix() > 1_735_689_600);
    }
}
