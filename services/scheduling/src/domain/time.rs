//! Time as stores plan it: ISO weeks and civil date-times in the store's IANA zone,
//! resolved to instants with the zone's rules, so lengths are real elapsed time (a night
//! shift across the autumn change lasts an hour longer than the clock suggests).

use std::fmt;

use breakroom_base::{Error, Result};
use jiff::{
    Timestamp,
    civil::{DateTime, ISOWeekDate, Weekday},
    tz::{AmbiguousOffset, Offset, TimeZone},
};

/// An ISO week, `2026-W49`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    /// Parses the compact form `2026W49` (from aggregate ids).
    pub fn parse_compact(value: &str) -> Option<Self> {
        let (year, week) = value.split_once('W')?;
        Self::parse("week", &format!("{year}-W{week}")).ok()
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

    /// The instant a store-local date-time means, for days without a clock change and
    /// for midnights (which no change in use skips). Planned times go through `resolve`.
    pub fn instant(&self, local: DateTime) -> Result<Timestamp> {
        self.tz
            .to_ambiguous_zoned(local)
            .compatible()
            .map(|zoned| zoned.timestamp())
            .map_err(Error::internal)
    }

    /// Resolves a planned store-local time, refusing what the zone's clock never shows:
    /// - a time inside a spring-forward gap (02:30 when clocks jump from 02:00 to 03:00)
    ///   is INVALID_ARGUMENT naming `field` and the gap;
    /// - a time the autumn change shows twice means its first occurrence (summer time),
    ///   unless `offset` picks the other (`2026-10-25T02:30+01:00`);
    /// - an offset that is not one the zone uses at that time is INVALID_ARGUMENT.
    ///
    /// Returns the instant and the text to record: the civil time, with the offset only
    /// when it chose the second occurrence, so the choice survives a round trip.
    pub fn resolve(
        &self,
        field: &str,
        local: DateTime,
        offset: Option<Offset>,
    ) -> Result<(Timestamp, String)> {
        let text = format_local(local);
        let at = |offset: Offset| {
            offset
                .to_timestamp(local)
                .map_err(|_| Error::invalid(field, "is out of range"))
        };
        match (self.tz.to_ambiguous_timestamp(local).offset(), offset) {
            (AmbiguousOffset::Unambiguous { offset: only }, wanted) => {
                if wanted.is_some_and(|w| w != only) {
                    return Err(Error::invalid(
                        field,
                        format!(
                            "{text} is UTC{only} in {}, not UTC{}",
                            self.name,
                            wanted.unwrap_or(only)
                        ),
                    ));
                }
                Ok((at(only)?, text))
            }
            (AmbiguousOffset::Gap { before, after }, _) => Err(Error::invalid(
                field,
                format!(
                    "{text} does not exist in {}: clocks jump forward that night \
                     (UTC{before} to UTC{after}); plan the time before or after the gap",
                    self.name
                ),
            )),
            (AmbiguousOffset::Fold { before, .. }, None) => Ok((at(before)?, text)),
            (AmbiguousOffset::Fold { before, .. }, Some(wanted)) if wanted == before => {
                Ok((at(before)?, text))
            }
            (AmbiguousOffset::Fold { after, .. }, Some(wanted)) if wanted == after => {
                Ok((at(after)?, format!("{text}{}", format_offset(after))))
            }
            (AmbiguousOffset::Fold { before, after }, Some(wanted)) => Err(Error::invalid(
                field,
                format!(
                    "{text} occurs twice in {} (UTC{before}, then UTC{after}); UTC{wanted} is neither",
                    self.name
                ),
            )),
        }
    }
}

/// Parses a store-local civil date-time, `YYYY-MM-DDTHH:MM` (minutes precision).
pub fn parse_local(field: &str, value: &str) -> Result<DateTime> {
    parse_planned(field, value).map(|(local, _)| local)
}

/// Parses a planned store-local time: `YYYY-MM-DDTHH:MM`, optionally followed by the UTC
/// offset (`+01:00`) that picks one occurrence of a time the autumn change repeats.
pub fn parse_planned(field: &str, value: &str) -> Result<(DateTime, Option<Offset>)> {
    let invalid = || {
        Error::invalid(
            field,
            "must be a local date-time like 2026-11-30T14:00 (optionally +01:00 to pick one \
             occurrence of a time the autumn change repeats)",
        )
    };
    let (civil, offset) = match value.len() {
        16 => (value, None),
        22 => (&value[..16], Some(&value[16..])),
        _ => return Err(invalid()),
    };
    let local = civil.parse::<DateTime>().map_err(|_| invalid())?;
    let offset = offset
        .map(|text| {
            let (sign, rest) = match text.as_bytes().first() {
                Some(b'+') => (1, &text[1..]),
                Some(b'-') => (-1, &text[1..]),
                _ => return Err(invalid()),
            };
            let (hours, minutes) = rest.split_once(':').ok_or_else(invalid)?;
            let hours: i32 = hours.parse().map_err(|_| invalid())?;
            let minutes: i32 = minutes.parse().map_err(|_| invalid())?;
            if hours > 18 || minutes > 59 {
                return Err(invalid());
            }
            Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).map_err(|_| invalid())
        })
        .transpose()?;
    Ok((local, offset))
}

/// `+01:00`.
fn format_offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.abs();
    format!("{sign}{:02}:{:02}", seconds / 3600, (seconds % 3600) / 60)
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

    fn amsterdam() -> Zone {
        Zone::parse("tz", "Europe/Amsterdam").unwrap()
    }

    #[test]
    fn a_time_the_spring_change_skips_is_refused_naming_the_field_and_the_gap() {
        let (local, offset) = parse_planned("f", "2027-03-28T02:30").unwrap();
        match amsterdam().resolve("shift.start_local", local, offset) {
            Err(Error::Invalid(v)) => {
                assert_eq!(v[0].field, "shift.start_local");
                assert!(v[0].description.contains("does not exist"), "{v:?}");
                assert!(v[0].description.contains("+01 to UTC+02"), "{v:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_time_the_autumn_change_repeats_is_its_first_occurrence_unless_an_offset_picks_the_other() {
        let zone = amsterdam();
        let (local, none) = parse_planned("f", "2026-10-25T02:30").unwrap();
        let (first, text) = zone.resolve("f", local, none).unwrap();
        assert_eq!(first.to_string(), "2026-10-25T00:30:00Z");
        assert_eq!(text, "2026-10-25T02:30");
        let (local, winter) = parse_planned("f", "2026-10-25T02:30+01:00").unwrap();
        let (second, text) = zone.resolve("f", local, winter).unwrap();
        assert_eq!(second.to_string(), "2026-10-25T01:30:00Z");
        assert_eq!(text, "2026-10-25T02:30+01:00", "the choice is kept");
        let (local, summer) = parse_planned("f", "2026-10-25T02:30+02:00").unwrap();
        assert_eq!(zone.resolve("f", local, summer).unwrap().0, first);
        let (local, wrong) = parse_planned("f", "2026-10-25T02:30+05:00").unwrap();
        assert!(zone.resolve("f", local, wrong).is_err());
        let (local, wrong) = parse_planned("f", "2026-11-02T10:00+02:00").unwrap();
        assert!(
            zone.resolve("f", local, wrong).is_err(),
            "November is +01:00"
        );
        assert!(parse_planned("f", "2026-10-25T02:30+1:00").is_err());
    }

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
