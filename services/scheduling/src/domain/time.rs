//! Time as stores plan it: ISO weeks and civil date-times in the store's IANA zone,
//! resolved to instants with the zone's rules, so lengths are real elapsed time (a night
//! shift across the autumn change lasts an hour longer than the clock suggests).

use std::fmt;

use breakroom_kit::{Error, Result};
use jiff::{
    Timestamp,
    civil::{DateTime, ISOWeekDate, Weekday},
    tz::TimeZone,
};

/// An ISO week, `2026-W49`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Week {
    year: i16,
    week: i8,
}

impl Week {
    /// Parses `YYYY-Www`, accepting only weeks the year has (W53 only in long years).
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        let invalid = || Error::invalid(field, "must be an ISO week like 2026-W49");
        let (year, week) = value.split_once("-W").ok_or_else(invalid)?;
        let year: i16 = year.parse().map_err(|_| invalid())?;
        let week: i8 = week.parse().map_err(|_| invalid())?;
        if !(2000..=2100).contains(&year) || value.len() != 8 {
            return Err(invalid());
        }
        ISOWeekDate::new(year, week, Weekday::Monday).map_err(|_| invalid())?;
        Ok(Self { year, week })
    }

    /// The week a store-local date-time falls in.
    pub fn of(local: DateTime) -> Self {
        let iso = local.date().iso_week_date();
        Self {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The week's Monday.
    pub fn monday(self) -> jiff::civil::Date {
        ISOWeekDate::new(self.year, self.week, Weekday::Monday)
            .map(|d| d.date())
            .unwrap_or_default()
    }

    /// The compact form used in aggregate ids: `2026W49`.
    pub fn compact(self) -> String {
        format!("{}W{:02}", self.year, self.week)
    }
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// A store's IANA time zone with its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// Looks a zone up by its IANA name.
    pub fn parse(field: &str, name: &str) -> Result<Self> {
        let tz = jiff::tz::db()
            .get(name)
            .map_err(|_| Error::invalid(field, format!("unknown time zone {name:?}")))?;
        Ok(Self {
            name: name.to_owned(),
            tz,
        })
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The instant a store-local date-time means. A time skipped by a spring-forward gap
    /// is read as the same clock time after the gap; a time that occurs twice in autumn as
    /// its first occurrence (RFC 5545's rule for calendar times).
    pub fn instant(&self, local: DateTime) -> Result<Timestamp> {
        self.tz
            .to_ambiguous_zoned(local)
            .compatible()
            .map(|zoned| zoned.timestamp())
            .map_err(Error::internal)
    }
}

/// Parses a store-local civil date-time, `YYYY-MM-DDTHH:MM` (minutes precision).
pub fn parse_local(field: &str, value: &str) -> Result<DateTime> {
    let invalid = || Error::invalid(field, "must be a local date-time like 2026-11-30T14:00");
    if value.len() != 16 {
        return Err(invalid());
    }
    value.parse::<DateTime>().map_err(|_| invalid())
}

/// Formats a civil date-time as `YYYY-MM-DDTHH:MM`.
pub fn format_local(local: DateTime) -> String {
    local.strftime("%Y-%m-%dT%H:%M").to_string()
}

/// A protobuf timestamp for an instant.
pub fn timestamp(at: Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.as_second(),
        nanos: at.subsec_nanosecond(),
    }
}

/// The instant of a protobuf timestamp (the epoch when unset or out of range).
pub fn instant(at: Option<&prost_types::Timestamp>) -> Timestamp {
    at.and_then(|t| Timestamp::new(t.seconds, t.nanos).ok())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Whether `[a_start, a_end)` and `[b_start, b_end)` share any instant.
pub fn overlaps(a: (Timestamp, Timestamp), b: (Timestamp, Timestamp)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_night_shift_across_the_autumn_change_lasts_an_hour_longer() {
        let amsterdam = Zone::parse("tz", "Europe/Amsterdam").unwrap();
        let start = amsterdam
            .instant(parse_local("s", "2026-10-24T22:00").unwrap())
            .unwrap();
        let end = amsterdam
            .instant(parse_local("e", "2026-10-25T06:00").unwrap())
            .unwrap();
        assert_eq!(end.duration_since(start).as_secs(), 9 * 3600);
        let start = amsterdam
            .instant(parse_local("s", "2026-03-28T22:00").unwrap())
            .unwrap();
        let end = amsterdam
            .instant(parse_local("e", "2026-03-29T06:00").unwrap())
            .unwrap();
        assert_eq!(end.duration_since(start).as_secs(), 7 * 3600);
    }

    #[test]
    fn weeks_are_iso_weeks_and_parse_strictly() {
        assert_eq!(
            Week::parse("w", "2026-W53").unwrap().monday().to_string(),
            "2026-12-28"
        );
        assert!(Week::parse("w", "2025-W53").is_err(), "2025 has 52 weeks");
        assert!(Week::parse("w", "2026-W1").is_err());
        assert!(Week::parse("w", "2026W01").is_err());
        let sunday = parse_local("t", "2027-01-03T23:00").unwrap();
        assert_eq!(Week::of(sunday).to_string(), "2026-W53");
    }

    #[test]
    fn local_times_have_minute_precision() {
        assert!(parse_local("t", "2026-11-30T14:00").is_ok());
        assert!(parse_local("t", "2026-11-30T14:00:00").is_err());
        assert!(parse_local("t", "2026-11-31T14:00").is_err());
        assert!(parse_local("t", "30.11.2026 14:00").is_err());
        assert_eq!(
            format_local(parse_local("t", "2026-11-30T07:05").unwrap()),
            "2026-11-30T07:05"
        );
    }
}
