//! Dates, times and durations in the reader's language: names of days and months come
//! from the catalogue, times are 24-hour in both languages; shifts are shown in their
//! store's local time (as planned), instants in the chain's time zone.

use jiff::{Timestamp, civil, tz::TimeZone};

use crate::i18n::Tr;

/// `Mon 7 Dec` / `ma 7 dec`.
pub fn date(t: &Tr, date: civil::Date) -> String {
    let weekday = t.get(&format!("day-{}", date.weekday().to_monday_one_offset()));
    let month = t.get(&format!("month-{}", date.month()));
    t.args(
        "date-short",
        &[
            ("weekday", weekday),
            ("day", date.day().to_string()),
            ("month", month),
        ],
    )
    // Fluent would read the day as a number and might format it; the text is plain.
}

/// A shift's `start_local`/`end_local` (`2026-12-07T09:00`) as `Mon 7 Dec, 09:00–13:00`.
pub fn shift_when(t: &Tr, start_local: &str, end_local: &str) -> String {
    let (Ok(start), Ok(end)) = (
        start_local.parse::<civil::DateTime>(),
        end_local.parse::<civil::DateTime>(),
    ) else {
        return format!("{start_local}–{end_local}");
    };
    t.args(
        "shift-when",
        &[
            ("date", date(t, start.date())),
            ("start", start.strftime("%H:%M").to_string()),
            ("end", end.strftime("%H:%M").to_string()),
        ],
    )
}

/// A paid length as `4 h 30 min` / `4 u 30 min`.
pub fn duration(t: &Tr, seconds: i64) -> String {
    let minutes = seconds / 60;
    t.args(
        "duration-hm",
        &[
            ("hours", (minutes / 60).to_string()),
            ("minutes", format!("{:02}", minutes % 60)),
        ],
    )
}

/// An instant in the chain's zone: `Mon 7 Dec 14:05`.
pub fn instant(t: &Tr, time: Option<&prost_types::Timestamp>, zone: &str) -> String {
    let Some(time) = time else {
        return String::new();
    };
    let Ok(ts) = Timestamp::new(time.seconds, 0) else {
        return String::new();
    };
    let zone = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let local = ts.to_zoned(zone);
    format!("{} {}", date(t, local.date()), local.strftime("%H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn shifts_read_in_both_languages() {
        let en = Tr { lang: Lang::En };
        let nl = Tr { lang: Lang::Nl };
        assert_eq!(
            shift_when(&en, "2026-12-07T09:00", "2026-12-07T13:30"),
            "Mon 7 Dec, 09:00–13:30"
        );
        assert_eq!(
            shift_when(&nl, "2026-12-07T09:00", "2026-12-07T13:30"),
            "ma 7 dec, 09:00–13:30"
        );
        assert_eq!(duration(&en, 4 * 3600 + 1800), "4 h 30 min");
        assert_eq!(duration(&nl, 4 * 3600), "4 u 00 min");
    }
}
