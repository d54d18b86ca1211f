//! The booking protocol around every roster command that can change who works when (see
//! `domain::booking` for the aggregate, docs/architecture.md for the failure cases):
//!
//! 1. predict what the command adds and removes on the roster as it is now;
//! 2. book every added assignment on the employee's booking aggregate, in every UTC week
//!    the shift touches (`SHIFT_OVERLAP` when another shift holds that time);
//! 3. write the roster with the bookings as a guard: the roster refuses to add an
//!    assignment that was not booked (it changed since step 1: book again);
//! 4. release the bookings of what was removed, and this command's own bookings the roster
//!    does not hold; when the roster refused, release this command's bookings.
//!
//! No step reads the read model, so planning never waits for the projector.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use breakroom_base::{Error, Result};
use breakroom_events::{aggregate::Aggregate, envelope::CommandMeta, repository::Committed};
use futures::StreamExt;
use jiff::Timestamp;

use super::App;
use crate::domain::{
    booking::{BookingCommand, BookingKey, Span, booking_id, weeks_touched},
    roster::{Assignment, AssignmentChanges, Roster, RosterCommand, UNBOOKED},
};

/// A booking counts unconditionally for this long after it is made (its roster write may be
/// in flight); afterwards only while its roster holds the assignment. Must exceed the
/// longest roster write plus the clock skew between replicas.
pub const BOOKING_GRACE: Duration = Duration::from_secs(60);
/// A command whose bookings are older than this when it is about to write the roster gives
/// up (releasing them) rather than write with bookings others may soon take for orphans.
const WRITE_DEADLINE: Duration = Duration::from_secs(30);
/// Rounds of "book, write" when the roster keeps changing under the command.
const ROUNDS: usize = 5;
/// Booking aggregates written concurrently for one command (an import books many).
const BOOKINGS_IN_FLIGHT: usize = 32;

/// This command's bookings: `(booking aggregate id, key, the assignment booked)`.
type Made = Vec<(String, BookingKey, Assignment)>;

impl App {
    /// Runs a roster command under the booking protocol.
    pub(crate) async fn plan(
        &self,
        tenant: &str,
        roster_id: &str,
        meta: &CommandMeta,
        command: RosterCommand,
    ) -> Result<Committed<Roster>> {
        let command = Box::new(command);
        for _ in 0..ROUNDS {
            let current = self.inner.rosters.load(tenant, roster_id).await?;
            // A refusal here may come from a stale cached week: the guarded write below
            // gives the authoritative answer (and refuses additions nobody booked).
            let predicted = current
                .state
                .decide(&command)
                .map(|events| current.state.assignment_changes(&events))
                .unwrap_or_default();
            let started = std::time::Instant::now();
            let booking = uuid::Uuid::now_v7().to_string();
            let made = self
                .book(tenant, roster_id, &booking, &predicted.added, meta)
                .await?;
            if started.elapsed() > WRITE_DEADLINE {
                self.release_own(tenant, &made, &BTreeSet::new(), meta)
                    .await;
                return Err(Error::Unavailable(
                    "booking the employees took too long; retry".into(),
                ));
            }
            let guarded = RosterCommand::Guarded {
                command: command.clone(),
                booked: predicted.added.clone(),
            };
            match self
                .inner
                .rosters
                .execute(tenant, roster_id, meta, &guarded)
                .await
            {
                Ok(committed) => {
                    let held = committed.state.assignments();
                    self.release_own(tenant, &made, &held, meta).await;
                    self.release_removed(tenant, &predicted, &held, meta).await;
                    return Ok(committed);
                }
                Err(Error::FailedPrecondition { reason, .. }) if reason == UNBOOKED => {
                    self.release_own(tenant, &made, &BTreeSet::new(), meta)
                        .await;
                }
                Err(e) if refused(&e) => {
                    self.release_own(tenant, &made, &BTreeSet::new(), meta)
                        .await;
                    return Err(e);
                }
                // The outcome is unknown (the write may have landed): the bookings stay;
                // they settle after the grace period and are released as orphans when
                // their roster turns out not to hold them.
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict(format!("roster {roster_id}")))
    }

    /// Books `added`, grouped per employee and UTC week; on a refusal releases what was
    /// booked and answers the refusal.
    async fn book(
        &self,
        tenant: &str,
        roster_id: &str,
        booking: &str,
        added: &BTreeSet<Assignment>,
        meta: &CommandMeta,
    ) -> Result<Made> {
        let mut groups: BTreeMap<String, (&str, Vec<Span>)> = BTreeMap::new();
        for (employee, shift, start, end) in added {
            for week in weeks_touched(*start, *end) {
                groups
                    .entry(booking_id(employee, week))
                    .or_insert_with(|| (employee.as_str(), Vec::new()))
                    .1
                    .push(Span {
                        shift_id: shift.clone(),
                        roster_id: roster_id.to_owned(),
                        start: *start,
                        end: *end,
                    });
            }
        }
        // The futures are made first, so the stream's type holds no closure (async
        // closures over borrowed data trip the compiler's Send inference in handlers).
        let mut bookings = Vec::with_capacity(groups.len());
        for (aggregate, (employee, spans)) in groups {
            bookings.push(async move {
                let result = self
                    .book_week(tenant, &aggregate, employee, booking, &spans, meta)
                    .await;
                (aggregate, employee, spans, result)
            });
        }
        let results: Vec<(String, &str, Vec<Span>, Result<()>)> = futures::stream::iter(bookings)
            .buffer_unordered(BOOKINGS_IN_FLIGHT)
            .collect()
            .await;
        let mut made = Made::new();
        let mut failure = None;
        for (aggregate, employee, spans, result) in results {
            match result {
                Ok(()) => made.extend(spans.into_iter().map(|s| {
                    let assignment = (employee.to_owned(), s.shift_id.clone(), s.start, s.end);
                    (
                        aggregate.clone(),
                        (s.shift_id, booking.to_owned()),
                        assignment,
                    )
                })),
                // An overlap is the answer a planner can act on: prefer it.
                Err(e) if failure.is_none() || matches!(e, Error::FailedPrecondition { .. }) => {
                    failure = Some(e);
                }
                Err(_) => {}
            }
        }
        match failure {
            None => Ok(made),
            Some(e) => {
                self.release_own(tenant, &made, &BTreeSet::new(), meta)
                    .await;
                Err(e)
            }
        }
    }

    /// Books `spans` on one employee's week. When another shift's booking stands in the
    /// way, the settled ones among them are checked against their rosters, released as
    /// orphans when the roster does not hold them, and the booking is tried once more.
    async fn book_week(
        &self,
        tenant: &str,
        aggregate: &str,
        employee: &str,
        booking: &str,
        spans: &[Span],
        meta: &CommandMeta,
    ) -> Result<()> {
        let now = super::import::instant(meta)?;
        let meta = booking_meta(meta);
        let command = |orphans| BookingCommand::Book {
            booking_id: booking.to_owned(),
            spans: spans.to_vec(),
            orphans,
            now,
        };
        let refusal = match self
            .inner
            .bookings
            .execute(tenant, aggregate, &meta, &command(Vec::new()))
            .await
        {
            Ok(_) => return Ok(()),
            Err(e @ Error::FailedPrecondition { .. }) => e,
            Err(e) => return Err(e),
        };
        let current = self.inner.bookings.load(tenant, aggregate).await?;
        let mut orphans = Vec::new();
        for span in spans {
            for (key, entry) in current.state.conflicts(span) {
                if settled(entry.booked, now)
                    && !orphans.contains(key)
                    && !self
                        .roster_holds(tenant, &entry.roster_id, employee, &key.0, entry)
                        .await?
                {
                    orphans.push(key.clone());
                }
            }
        }
        if orphans.is_empty() {
            return Err(refusal);
        }
        self.inner
            .bookings
            .execute(tenant, aggregate, &meta, &command(orphans))
            .await
            .map(|_| ())
    }

    /// Refuses with `SHIFT_OVERLAP` when `employee`'s bookings hold another shift at
    /// `shift`'s time. Advisory (not race-free): for requests that do not assign yet (a
    /// claim or an accepted swap waiting for a manager), so people learn early; the
    /// assignment itself is booked when it is made.
    pub(crate) async fn check_free(
        &self,
        tenant: &str,
        employee: &str,
        shift: &breakroom_proto::scheduling::v1::ShiftData,
        meta: &CommandMeta,
    ) -> Result<()> {
        let now = super::import::instant(meta)?;
        let (start, end) = (
            crate::domain::time::instant(shift.start_time.as_ref()),
            crate::domain::time::instant(shift.end_time.as_ref()),
        );
        let span = Span {
            shift_id: shift.shift_id.clone(),
            roster_id: String::new(),
            start,
            end,
        };
        for week in weeks_touched(start, end) {
            let booked = self
                .inner
                .bookings
                .load(tenant, &booking_id(employee, week))
                .await?;
            for (key, entry) in booked.state.conflicts(&span) {
                if !settled(entry.booked, now)
                    || self
                        .roster_holds(tenant, &entry.roster_id, employee, &key.0, entry)
                        .await?
                {
                    return Err(crate::domain::roster::overlap(&key.0));
                }
            }
        }
        Ok(())
    }

    /// Whether the roster gives `employee` the shift at the booked time.
    async fn roster_holds(
        &self,
        tenant: &str,
        roster_id: &str,
        employee: &str,
        shift_id: &str,
        entry: &crate::domain::booking::Entry,
    ) -> Result<bool> {
        let roster = self.inner.rosters.load_current(tenant, roster_id).await?;
        Ok(roster.state.assignments().contains(&(
            employee.to_owned(),
            shift_id.to_owned(),
            entry.start,
            entry.end,
        )))
    }

    /// Releases this command's bookings of assignments not in `held` (best effort: one left
    /// behind settles and is found orphaned later).
    async fn release_own(
        &self,
        tenant: &str,
        made: &Made,
        held: &BTreeSet<Assignment>,
        meta: &CommandMeta,
    ) {
        let mut keys: BTreeMap<&str, Vec<BookingKey>> = BTreeMap::new();
        for (aggregate, key, assignment) in made {
            if !held.contains(assignment) {
                keys.entry(aggregate).or_default().push(key.clone());
            }
        }
        self.release(tenant, keys, "COMPENSATED", meta).await;
    }

    /// Releases the bookings, made before this command, of assignments it removed.
    async fn release_removed(
        &self,
        tenant: &str,
        predicted: &AssignmentChanges,
        held: &BTreeSet<Assignment>,
        meta: &CommandMeta,
    ) {
        let Ok(now) = super::import::instant(meta) else {
            return;
        };
        let mut keys: BTreeMap<String, Vec<BookingKey>> = BTreeMap::new();
        for removed in predicted.removed.difference(held) {
            let (employee, shift, start, end) = removed;
            for week in weeks_touched(*start, *end) {
                let aggregate = booking_id(employee, week);
                let Ok(current) = self.inner.bookings.load(tenant, &aggregate).await else {
                    continue;
                };
                // A booking made after this command started may be another command's
                // re-adding the same assignment: it stays (at worst it settles and is
                // checked against the roster later).
                let stale: Vec<BookingKey> = current
                    .state
                    .entries
                    .iter()
                    .filter(|((s, _), e)| s == shift && e.start == *start && e.end == *end)
                    .filter(|(_, e)| e.booked < now)
                    .map(|(key, _)| key.clone())
                    .collect();
                if !stale.is_empty() {
                    keys.entry(aggregate).or_default().extend(stale);
                }
            }
        }
        self.release(tenant, keys, "UNASSIGNED", meta).await;
    }

    async fn release<K: AsRef<str>>(
        &self,
        tenant: &str,
        keys: BTreeMap<K, Vec<BookingKey>>,
        reason: &'static str,
        meta: &CommandMeta,
    ) {
        let meta = &booking_meta(meta);
        let mut releases = Vec::with_capacity(keys.len());
        for (aggregate, keys) in keys {
            releases.push(async move {
                let aggregate = aggregate.as_ref();
                let command = BookingCommand::Release { keys, reason };
                if let Err(e) = self
                    .inner
                    .bookings
                    .execute(tenant, aggregate, meta, &command)
                    .await
                {
                    tracing::warn!(tenant, aggregate, reason, error = %e,
                        "booking not released; it settles and is found orphaned later");
                }
            });
        }
        futures::stream::iter(releases)
            .buffer_unordered(BOOKINGS_IN_FLIGHT)
            .collect::<Vec<()>>()
            .await;
    }
}

/// Whether the roster answered a definite "no" (nothing was written).
fn refused(error: &Error) -> bool {
    matches!(
        error,
        Error::Invalid(_)
            | Error::NotFound(_)
            | Error::AlreadyExists { .. }
            | Error::FailedPrecondition { .. }
            | Error::PermissionDenied { .. }
            | Error::Conflict(_)
    )
}

/// Booking commands are idempotent by content and carry no request id: the client's id
/// belongs to the roster write (one `Nats-Msg-Id` per request and aggregate).
fn booking_meta(meta: &CommandMeta) -> CommandMeta {
    CommandMeta {
        request_id: None,
        ..meta.clone()
    }
}

/// Whether a booking made at `booked` has settled by `now`: past the grace period, it
/// counts only while its roster holds the assignment.
fn settled(booked: Timestamp, now: Timestamp) -> bool {
    booked < now && now.duration_since(booked).unsigned_abs() > BOOKING_GRACE
}
