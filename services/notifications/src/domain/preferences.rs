//! A person's notification preferences: which categories push, quiet hours, off-shift
//! quiet and the digest time. Times are minutes after local midnight in the person's
//! store's zone; the aggregate stores the whole state in each event.

use breakroom_base::{Result, error::Violations};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::notifications::v1::{
    Category, PreferencesEvent, PreferencesUpdated, preferences_event::Event as Ev,
};

/// Preferences as the routing and the quiet-hours decision use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Categories not pushed.
    pub push_off: Vec<i32>,
    /// Categories left out of e-mailed digests.
    pub email_off: Vec<i32>,
    /// Quiet hours `(start, end)` in local minutes; `start > end` spans midnight.
    pub quiet: Option<(u16, u16)>,
    /// Hold non-urgent pushes outside one's shifts.
    pub off_shift_quiet: bool,
    /// Local minute of the digest; `None`: an hour before the next shift.
    pub digest_minute: Option<u16>,
}

impl Default for Settings {
    /// Everything pushes, no quiet hours, off-shift quiet off (opt-in).
    fn default() -> Self {
        Self {
            push_off: Vec::new(),
            email_off: Vec::new(),
            quiet: None,
            off_shift_quiet: false,
            digest_minute: None,
        }
    }
}

impl Settings {
    /// Whether `category` is pushed.
    pub fn pushes(&self, category: Category) -> bool {
        !self.push_off.contains(&(category as i32))
    }

    /// The event recording these settings.
    pub fn to_event(&self) -> PreferencesUpdated {
        let (quiet_enabled, start, end) = match self.quiet {
            Some((s, e)) => (true, s, e),
            None => (false, 0, 0),
        };
        PreferencesUpdated {
            push_off: self.push_off.clone(),
            email_off: self.email_off.clone(),
            quiet_enabled,
            quiet_start_minute: i32::from(start),
            quiet_end_minute: i32::from(end),
            off_shift_quiet: self.off_shift_quiet,
            digest_minute: self.digest_minute.map(i32::from).unwrap_or(-1),
        }
    }

    /// The settings an event records.
    pub fn from_event(e: &PreferencesUpdated) -> Self {
        let minute = |m: i32| u16::try_from(m).ok().filter(|m| *m < 24 * 60);
        Self {
            push_off: e.push_off.clone(),
            email_off: e.email_off.clone(),
            quiet: match (
                e.quiet_enabled,
                minute(e.quiet_start_minute),
                minute(e.quiet_end_minute),
            ) {
                (true, Some(s), Some(e)) => Some((s, e)),
                _ => None,
            },
            off_shift_quiet: e.off_shift_quiet,
            digest_minute: minute(e.digest_minute),
        }
    }
}

/// Parses `HH:MM` (00:00 to 23:59) into minutes after midnight.
pub fn parse_time(field: &str, value: &str, violations: &mut Violations) -> Option<u16> {
    let parsed = value
        .split_once(':')
        .filter(|(h, m)| h.len() == 2 && m.len() == 2)
        .and_then(|(h, m)| Some((h.parse::<u16>().ok()?, m.parse::<u16>().ok()?)))
        .filter(|(h, m)| *h < 24 && *m < 60);
    match parsed {
        Some((h, m)) => Some(h * 60 + m),
        None => {
            violations.add(field, "must be HH:MM between 00:00 and 23:59");
            None
        }
    }
}

/// Renders minutes after midnight as `HH:MM`.
pub fn format_time(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A person's preferences aggregate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preferences {
    /// The settings; the defaults until first changed.
    pub settings: Settings,
}

impl Aggregate for Preferences {
    const TYPE: &'static str = "preferences";
    type Command = Settings;
    type Event = PreferencesEvent;

    fn decide(&self, wanted: &Settings) -> Result<Vec<PreferencesEvent>> {
        if *wanted == self.settings {
            return Ok(vec![]);
        }
        Ok(vec![PreferencesEvent {
            event: Some(Ev::Updated(wanted.to_event())),
        }])
    }

    fn apply(mut self, event: &PreferencesEvent) -> Self {
        if let Some(Ev::Updated(e)) = &event.event {
            self.settings = Settings::from_event(e);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use breakroom_events::aggregate::given;

    use super::*;

    #[test]
    fn times_parse_strictly() {
        let mut v = Violations::new();
        assert_eq!(parse_time("t", "07:30", &mut v), Some(450));
        assert_eq!(parse_time("t", "23:59", &mut v), Some(1439));
        assert!(v.finish().is_ok());
        for bad in ["24:00", "7:30", "07:60", "", "0730", "aa:bb"] {
            let mut v = Violations::new();
            assert_eq!(parse_time("t", bad, &mut v), None, "{bad}");
            assert!(v.finish().is_err());
        }
        assert_eq!(format_time(450), "07:30");
    }

    #[test]
    fn settings_survive_their_event() {
        let settings = Settings {
            push_off: vec![Category::Social as i32],
            email_off: vec![],
            quiet: Some((22 * 60, 7 * 60)),
            off_shift_quiet: true,
            digest_minute: Some(18 * 60),
        };
        assert_eq!(Settings::from_event(&settings.to_event()), settings);
    }

    #[test]
    fn unchanged_preferences_record_nothing() {
        given::<Preferences>([]).when(Settings::default()).then([]);
    }
}
