//! iCalendar (RFC 5545) rendering of an employee's shifts: one VEVENT per shift with a
//! stable UID, SEQUENCE raised on every change, STATUS:CANCELLED for removed shifts, and
//! instants in UTC so that every calendar shows the right local time whatever its zone.

use chrono::{DateTime, Utc};

/// One shift in a feed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedEntry {
    /// Shift id (the UID's local part).
    pub shift_id: String,
    /// The store's code, for the summary.
    pub store_code: String,
    /// Start.
    pub start_time: DateTime<Utc>,
    /// End.
    pub end_time: DateTime<Utc>,
    /// Position label.
    pub position: String,
    /// Note.
    pub note: String,
    /// Revision, as SEQUENCE.
    pub sequence: i64,
    /// Removed or given away.
    pub cancelled: bool,
    /// Last change, as DTSTAMP.
    pub updated_at: DateTime<Utc>,
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes TEXT values (RFC 5545 3.3.11).
fn text(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The calendar of `entries`.
pub fn render(entries: &[FeedEntry]) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Breakroom//Scheduling//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Breakroom shifts",
    ] {
        fold(line, &mut out);
    }
    for entry in entries {
        let summary = if entry.position.is_empty() {
            format!("Shift at {}", entry.store_code)
        } else {
            format!("{} at {}", entry.position, entry.store_code)
        };
        let status = if entry.cancelled {
            "CANCELLED"
        } else {
            "CONFIRMED"
        };
        let lines = [
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@breakroom", entry.shift_id),
            format!("DTSTAMP:{}", utc(entry.updated_at)),
            format!("DTSTART:{}", utc(entry.start_time)),
            format!("DTEND:{}", utc(entry.end_time)),
            format!("SEQUENCE:{}", entry.sequence),
            format!("SUMMARY:{}", text(&summary)),
            format!("DESCRIPTION:{}", text(&entry.note)),
            format!("STATUS:{status}"),
            "END:VEVENT".to_owned(),
        ];
        for line in &lines {
            fold(line, &mut out);
        }
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_folded_and_text_is_escaped() {
        let mut out = String::new();
        fold(&"x".repeat(160), &mut out);
        assert!(out.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
