//! Roster-aware quiet hours: whether a push goes out now or is held, and until when.
//!
//! - Urgent pushes (a change to a shift within 24 h, urgent announcements) always go.
//! - Off-shift quiet: outside the person's own shifts a push is held until the earlier of
//!   an hour before their next shift and their digest time (18:00 when they chose none);
//!   a shift starting within the hour counts as being on shift.
//! - Quiet hours: a push (or a release) falling inside them moves to their end.
//!
//! Times of day are in the person's store's zone, DST-correct through `jiff`.

use jiff::{Timestamp, ToSpan, tz::TimeZone};

use super::preferences::Settings;

/// The digest time when a person chose none and no shift is known: 18:00.
pub const DEFAULT_DIGEST_MINUTE: u16 = 18 * 60;

/// What the decision needs to know.
#[derive(Debug, Clone)]
pub struct Situation<'a> {
    /// Now.
    pub now: Timestamp,
    /// The person's zone.
    pub zone: &'a TimeZone,
    /// Whether the notification is urgent.
    pub urgent: bool,
    /// The person's preferences.
    pub settings: &'a Settings,
    /// Whether they are working a shift now.
    pub on_shift: bool,
    /// When their next shift starts, if one is known.
    pub next_shift: Option<Timestamp>,
}

/// Push now, or hold until an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send now.
    Now,
    /// Hold, then deliver (as part of a digest) at this instant.
    HoldUntil(Timestamp),
}

/// Decides when a push goes out.
pub fn decide(s: &Situation<'_>) -> Decision {
    if s.urgent {
        return Decision::Now;
    }
    let mut release = s.now;
    if s.settings.off_shift_quiet && !s.on_shift {
        let starting_soon = s.next_shift.is_some_and(|start| start <= s.now + 1.hour());
        if !starting_soon {
            let digest = next_at(
                s.now,
                s.zone,
                s.settings.digest_minute.unwrap_or(DEFAULT_DIGEST_MINUTE),
            );
            release = match (s.next_shift, s.settings.digest_minute) {
                (Some(start), None) => (start - 1.hour()).min(digest),
                (Some(start), Some(_)) => (start - 1.hour()).min(digest),
                (None, _) => digest,
            };
        }
    }
    if let Some((start, end)) = s.settings.quiet
        && in_window(local_minute(release, s.zone), start, end)
    {
        release = next_at(release, s.zone, end);
    }
    if release <= s.now {
        Decision::Now
    } else {
        Decision::HoldUntil(release)
    }
}

/// Minutes after local midnight of `at` in `zone`.
pub fn local_minute(at: Timestamp, zone: &TimeZone) -> u16 {
    let local = at.to_zoned(zone.clone());
    (local.hour() as u16) * 60 + local.minute() as u16
}

/// Whether `minute` lies in `[start, end)`, spanning midnight when `start > end`.
pub fn in_window(minute: u16, start: u16, end: u16) -> bool {
    match start.cmp(&end) {
        std::cmp::Ordering::Less => (start..end).contains(&minute),
        std::cmp::Ordering::Greater => minute >= start || minute < end,
        std::cmp::Ordering::Equal => false,
    }
}

/// The first instant after `after` whose local time in `zone` is `minute` (a time the
/// spring change skips resolves to the instant after the gap).
pub fn next_at(after: Timestamp, zone: &TimeZone, minute: u16) -> Timestamp {
    let local = after.to_zoned(zone.clone());
    let (h, m) = ((minute / 60) as i8, (minute % 60) as i8);
    for days in 0..3 {
        let Ok(date) = local.date().checked_add(days.days()) else {
            break;
        };
        let candidate = date
            .at(h, m, 0, 0)
            .to_zoned(zone.clone())
            .map(|z| z.timestamp());
        if let Ok(at) = candidate
            && at > after
        {
            return at;
        }
    }
    after + 1.day()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn amsterdam() -> TimeZone {
        TimeZone::get("Europe/Amsterdam").unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn situation<'a>(now: &str, zone: &'a TimeZone, settings: &'a Settings) -> Situation<'a> {
        Situation {
            now: at(now),
            zone,
            urgent: false,
            settings,
            on_shift: false,
            next_shift: None,
        }
    }

    #[test]
    fn without_quiet_settings_everything_goes_now() {
        let (zone, settings) = (amsterdam(), Settings::default());
        assert_eq!(
            decide(&situation("2026-12-02T03:00:00Z", &zone, &settings)),
            Decision::Now
        );
    }

    #[test]
    fn quiet_hours_hold_until_their_end_in_the_local_zone() {
        let zone = amsterdam();
        let settings = Settings {
            quiet: Some((22 * 60, 7 * 60)),
            ..Settings::default()
        };
        // 23:30 in Amsterdam (UTC+1 in December): held until 07:00 local = 06:00 UTC.
        let s = situation("2026-12-02T22:30:00Z", &zone, &settings);
        assert_eq!(decide(&s), Decision::HoldUntil(at("2026-12-03T06:00:00Z")));
        let urgent = Situation { urgent: true, ..s };
        assert_eq!(decide(&urgent), Decision::Now);
        // 12:00 local: outside quiet hours.
        assert_eq!(
            decide(&situation("2026-12-02T11:00:00Z", &zone, &settings)),
            Decision::Now
        );
    }

    #[test]
    fn off_shift_holds_until_an_hour_before_the_next_shift() {
        let zone = amsterdam();
        let settings = Settings {
            off_shift_quiet: true,
            ..Settings::default()
        };
        let s = Situation {
            next_shift: Some(at("2026-12-02T14:00:00Z")),
            ..situation("2026-12-02T08:00:00Z", &zone, &settings)
        };
        assert_eq!(decide(&s), Decision::HoldUntil(at("2026-12-02T13:00:00Z")));
        let working = Situation {
            on_shift: true,
            ..s.clone()
        };
        assert_eq!(decide(&working), Decision::Now);
        let soon = Situation {
            next_shift: Some(at("2026-12-02T08:30:00Z")),
            ..s
        };
        assert_eq!(decide(&soon), Decision::Now);
    }

    #[test]
    fn off_shift_without_a_next_shift_waits_for_the_digest_time() {
        let zone = amsterdam();
        let settings = Settings {
            off_shift_quiet: true,
            digest_minute: Some(9 * 60 + 30),
            ..Settings::default()
        };
        // 20:00 local: the next 09:30 local is tomorrow 08:30 UTC.
        let s = situation("2026-12-02T19:00:00Z", &zone, &settings);
        assert_eq!(decide(&s), Decision::HoldUntil(at("2026-12-03T08:30:00Z")));
    }

    #[test]
    fn the_release_time_respects_dst() {
        let zone = amsterdam();
        // 2026-10-25: clocks go back at 03:00 CEST. 18:00 local that day is 17:00 UTC.
        assert_eq!(
            next_at(at("2026-10-25T08:00:00Z"), &zone, 18 * 60),
            at("2026-10-25T17:00:00Z")
        );
        assert_eq!(
            next_at(at("2026-10-24T08:00:00Z"), &zone, 18 * 60),
            at("2026-10-24T16:00:00Z")
        );
    }
}
