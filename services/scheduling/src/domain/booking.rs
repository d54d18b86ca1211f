//! An employee's bookings for one UTC ISO week: the one place where all of a person's
//! assignments meet, whatever store or roster week they belong to, so that "one person, one
//! place at a time" is decided on one aggregate and two concurrent planners cannot both win.
//!
//! The protocol around it (`app::booking` runs it): a planning command first books every
//! assignment it adds, in every UTC week the shift touches; then it writes the roster,
//! which refuses to add an assignment that was not booked (`RosterCommand::Guarded`); then
//! it releases the bookings of what it removed. A booking is *pending* for a grace period
//! after it is made — it counts, since its roster write may still be in flight — and
//! *settled* afterwards: then it counts only while its roster holds the assignment. The
//! handler checks a settled booking that stands in the way against its roster and has it
//! released as orphaned when the roster does not hold it.

use std::collections::BTreeMap;

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::scheduling::v1::{self as pb, booking_event::Event as Ev};
use jiff::{Timestamp, ToSpan, tz::TimeZone};

use super::time::{Week, instant, overlaps, timestamp};

/// A booking's key: `(shift id, booking id)`.
pub type BookingKey = (String, String);

/// Bookings of one employee in one UTC week.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Booking {
    /// Bookings by `(shift id, booking id)`.
    pub entries: BTreeMap<BookingKey, Entry>,
}

/// One booked span.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The roster aggregate that is to hold the shift.
    pub roster_id: String,
    /// Start of the shift.
    pub start: Timestamp,
    /// End of the shift.
    pub end: Timestamp,
    /// When it was booked (pending until the grace period has passed).
    pub booked: Timestamp,
}

/// A shift's time to book.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    /// The shift.
    pub shift_id: String,
    /// The roster aggregate that is to hold it.
    pub roster_id: String,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
}

/// What can be asked of an employee's week of bookings.
#[derive(Debug, Clone)]
pub enum BookingCommand {
    /// Book spans, after releasing the orphans the handler found; refused with
    /// `SHIFT_OVERLAP` when a span overlaps another shift's booking.
    Book {
        /// Id of this booking (one per planning command).
        booking_id: String,
        /// The spans.
        spans: Vec<Span>,
        /// Settled bookings whose roster does not hold them: released first.
        orphans: Vec<BookingKey>,
        /// The handler's "now".
        now: Timestamp,
    },
    /// Release bookings (those no longer present are skipped).
    Release {
        /// The bookings.
        keys: Vec<BookingKey>,
        /// `COMPENSATED`, `UNASSIGNED` or `ORPHANED`.
        reason: &'static str,
    },
}

fn event(event: Ev) -> pb::BookingEvent {
    pb::BookingEvent { event: Some(event) }
}

fn overlap(other: &str) -> Error {
    Error::precondition(
        "SHIFT_OVERLAP",
        format!("shifts/{other}"),
        format!("the employee already works shift {other} at that time"),
    )
}

impl Booking {
    /// The bookings of other shifts that overlap `span`.
    pub fn conflicts<'a>(
        &'a self,
        span: &'a Span,
    ) -> impl Iterator<Item = (&'a BookingKey, &'a Entry)> {
        self.entries.iter().filter(move |((shift, _), entry)| {
            *shift != span.shift_id && overlaps((span.start, span.end), (entry.start, entry.end))
        })
    }

    fn book(
        &self,
        booking_id: &str,
        spans: &[Span],
        orphans: &[BookingKey],
        now: Timestamp,
    ) -> Result<Vec<pb::BookingEvent>> {
        let mut events: Vec<pb::BookingEvent> =
            self.release(orphans, "ORPHANED").into_iter().collect();
        let mut rest = self.clone();
        for key in orphans {
            rest.entries.remove(key);
        }
        for (i, span) in spans.iter().enumerate() {
            if let Some(((other, _), _)) = rest.conflicts(span).next() {
                return Err(overlap(other));
            }
            if let Some(other) = spans[..i].iter().find(|o| {
                o.shift_id != span.shift_id && overlaps((o.start, o.end), (span.start, span.end))
            }) {
                return Err(overlap(&other.shift_id));
            }
            events.push(event(Ev::ShiftBooked(pb::ShiftBooked {
                shift_id: span.shift_id.clone(),
                roster_id: span.roster_id.clone(),
                booking_id: booking_id.to_owned(),
                start_time: Some(timestamp(span.start)),
                end_time: Some(timestamp(span.end)),
                booked_time: Some(timestamp(now)),
            })));
        }
        Ok(events)
    }

    fn release(&self, keys: &[BookingKey], reason: &str) -> Vec<pb::BookingEvent> {
        keys.iter()
            .filter(|key| self.entries.contains_key(*key))
            .map(|(shift_id, booking_id)| {
                event(Ev::BookingReleased(pb::BookingReleased {
                    shift_id: shift_id.clone(),
                    booking_id: booking_id.clone(),
                    reason: reason.to_owned(),
                }))
            })
            .collect()
    }
}

impl Aggregate for Booking {
    const TYPE: &'static str = "booking";
    type Command = BookingCommand;
    type Event = pb::BookingEvent;

    fn decide(&self, command: &BookingCommand) -> Result<Vec<pb::BookingEvent>> {
        match command {
            BookingCommand::Book {
                booking_id,
                spans,
                orphans,
                now,
            } => self.book(booking_id, spans, orphans, *now),
            BookingCommand::Release { keys, reason } => Ok(self.release(keys, reason)),
        }
    }

    fn apply(mut self, event: &pb::BookingEvent) -> Self {
        match &event.event {
            Some(Ev::ShiftBooked(e)) => {
                self.entries.insert(
                    (e.shift_id.clone(), e.booking_id.clone()),
                    Entry {
                        roster_id: e.roster_id.clone(),
                        start: instant(e.start_time.as_ref()),
                        end: instant(e.end_time.as_ref()),
                        booked: instant(e.booked_time.as_ref()),
                    },
                );
            }
            Some(Ev::BookingReleased(e)) => {
                self.entries
                    .remove(&(e.shift_id.clone(), e.booking_id.clone()));
            }
            None => {}
        }
        self
    }
}

/// The UTC ISO weeks `[start, end)` touches, in order.
pub fn weeks_touched(start: Timestamp, end: Timestamp) -> Vec<Week> {
    let utc = |t: Timestamp| t.to_zoned(TimeZone::UTC).datetime();
    let last_instant = if end > start {
        end.checked_sub(1.nanosecond()).unwrap_or(start)
    } else {
        start
    };
    let last = Week::of(utc(last_instant));
    let mut day = utc(start);
    let mut weeks = vec![Week::of(day)];
    while weeks.last().is_some_and(|w| *w < last) {
        match day.checked_add(7.days()) {
            Ok(next) => day = next,
            Err(_) => break,
        }
        weeks.push(Week::of(day));
    }
    weeks
}

/// The booking aggregate id of an employee's UTC week: `<employee id>_<year>W<week>`.
pub fn booking_id(employee_id: &str, week: Week) -> String {
    format!("{employee_id}_{}", week.compact())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use breakroom_events::aggregate::given;

    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn span(shift: &str, start: &str, end: &str) -> Span {
        Span {
            shift_id: shift.into(),
            roster_id: format!("store_{shift}"),
            start: at(start),
            end: at(end),
        }
    }

    fn book(id: &str, spans: Vec<Span>) -> BookingCommand {
        BookingCommand::Book {
            booking_id: id.into(),
            spans,
            orphans: vec![],
            now: at("2026-12-01T08:00:00Z"),
        }
    }

    fn booked(id: &str, s: &Span) -> pb::BookingEvent {
        event(Ev::ShiftBooked(pb::ShiftBooked {
            shift_id: s.shift_id.clone(),
            roster_id: s.roster_id.clone(),
            booking_id: id.into(),
            start_time: Some(timestamp(s.start)),
            end_time: Some(timestamp(s.end)),
            booked_time: Some(timestamp(at("2026-12-01T08:00:00Z"))),
        }))
    }

    #[test]
    fn an_overlapping_shift_of_another_store_is_refused() {
        let a = span("a", "2026-12-02T08:00:00Z", "2026-12-02T16:00:00Z");
        let b = span("b", "2026-12-02T15:00:00Z", "2026-12-02T19:00:00Z");
        let error = given::<Booking>([booked("1", &a)])
            .when(book("2", vec![b]))
            .then_error();
        assert!(matches!(
            error,
            Error::FailedPrecondition {
                reason: "SHIFT_OVERLAP",
                ..
            }
        ));
    }

    #[test]
    fn back_to_back_shifts_and_the_same_shift_moved_are_booked() {
        let a = span("a", "2026-12-02T08:00:00Z", "2026-12-02T16:00:00Z");
        let b = span("b", "2026-12-02T16:00:00Z", "2026-12-02T19:00:00Z");
        let moved = span("a", "2026-12-02T09:00:00Z", "2026-12-02T15:00:00Z");
        given::<Booking>([booked("1", &a)])
            .when(book("2", vec![b.clone(), moved.clone()]))
            .then([booked("2", &b), booked("2", &moved)]);
    }

    #[test]
    fn two_overlapping_shifts_in_one_command_are_refused() {
        let a = span("a", "2026-12-02T08:00:00Z", "2026-12-02T16:00:00Z");
        let b = span("b", "2026-12-02T10:00:00Z", "2026-12-02T12:00:00Z");
        given::<Booking>([])
            .when(book("1", vec![a, b]))
            .then_error();
    }

    #[test]
    fn an_orphan_is_released_before_booking_over_it() {
        let a = span("a", "2026-12-02T08:00:00Z", "2026-12-02T16:00:00Z");
        let b = span("b", "2026-12-02T10:00:00Z", "2026-12-02T12:00:00Z");
        let events = given::<Booking>([booked("1", &a)])
            .when(BookingCommand::Book {
                booking_id: "2".into(),
                spans: vec![b.clone()],
                orphans: vec![("a".into(), "1".into())],
                now: at("2026-12-01T08:00:00Z"),
            })
            .then_events();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1], booked("2", &b));
    }

    #[test]
    fn releasing_twice_records_nothing_the_second_time() {
        let a = span("a", "2026-12-02T08:00:00Z", "2026-12-02T16:00:00Z");
        let release = || BookingCommand::Release {
            keys: vec![("a".into(), "1".into())],
            reason: "UNASSIGNED",
        };
        let after = given::<Booking>([booked("1", &a)])
            .when(release())
            .then_events();
        assert_eq!(after.len(), 1);
        given::<Booking>([booked("1", &a), after[0].clone()])
            .when(release())
            .then([]);
    }

    #[test]
    fn a_night_shift_over_sunday_touches_two_utc_weeks() {
        let weeks = weeks_touched(at("2026-12-06T22:00:00Z"), at("2026-12-07T06:00:00Z"));
        assert_eq!(
            weeks.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
            ["2026-W49", "2026-W50"]
        );
        let one = weeks_touched(at("2026-12-06T16:00:00Z"), at("2026-12-07T00:00:00Z"));
        assert_eq!(one.len(), 1, "the end is not part of the shift");
    }
}
