//! Shifts, per-employee calendar entries and calendar feeds from scheduling's own events.

use breakroom_base::Result;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::scheduling::v1::{
    self as pb, calendar_feed_event::Event as Feed, roster_event::Event as Ev, shift_diff::Kind,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::ts;
use crate::domain::roster::split_roster_id;

/// Upserts shifts of one roster with one statement (a week's import is hundreds).
async fn upsert_shifts(
    conn: &mut PgConnection,
    tenant: &str,
    store: &str,
    week: &str,
    shifts: &[&pb::ShiftData],
    published: bool,
) -> Result<()> {
    if shifts.is_empty() {
        return Ok(());
    }
    // One statement may not touch a row twice: the last version of a shift wins.
    let mut latest: std::collections::BTreeMap<&str, &pb::ShiftData> = Default::default();
    for shift in shifts {
        latest.insert(shift.shift_id.as_str(), shift);
    }
    let rows: Vec<&pb::ShiftData> = latest.into_values().collect();
    let column = |f: fn(&pb::ShiftData) -> String| rows.iter().map(|s| f(s)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO shifts (tenant, id, store_id, week, employee_id, start_local, end_local, \
         start_time, end_time, department_id, position, unpaid_break_minutes, note, external_id, \
         revision, published) \
         SELECT $1, id, $2, $3, employee_id, start_local, end_local, start_time, end_time, \
                department_id, position, unpaid_break_minutes, note, external_id, revision, $4 \
         FROM UNNEST($5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], \
                     $10::timestamptz[], $11::text[], $12::text[], $13::int[], $14::text[], \
                     $15::text[], $16::bigint[]) \
              AS s(id, employee_id, start_local, end_local, start_time, end_time, department_id, \
                   position, unpaid_break_minutes, note, external_id, revision) \
         ON CONFLICT (tenant, id) DO UPDATE SET employee_id = EXCLUDED.employee_id, \
         start_local = EXCLUDED.start_local, end_local = EXCLUDED.end_local, \
         start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time, \
         department_id = EXCLUDED.department_id, position = EXCLUDED.position, \
         unpaid_break_minutes = EXCLUDED.unpaid_break_minutes, note = EXCLUDED.note, \
         external_id = EXCLUDED.external_id, revision = EXCLUDED.revision, \
         published = EXCLUDED.published",
    )
    .bind(tenant)
    .bind(store)
    .bind(week)
    .bind(published)
    .bind(column(|s| s.shift_id.clone()))
    .bind(column(|s| s.employee_id.clone()))
    .bind(column(|s| s.start_local.clone()))
    .bind(column(|s| s.end_local.clone()))
    .bind(
        rows.iter()
            .map(|s| ts(s.start_time.as_ref()))
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|s| ts(s.end_time.as_ref()))
            .collect::<Vec<_>>(),
    )
    .bind(column(|s| s.department_id.clone()))
    .bind(column(|s| s.position.clone()))
    .bind(
        rows.iter()
            .map(|s| s.unpaid_break_minutes)
            .collect::<Vec<_>>(),
    )
    .bind(column(|s| s.note.clone()))
    .bind(column(|s| s.external_id.clone()))
    .bind(rows.iter().map(|s| s.revision).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn delete_shift(conn: &mut PgConnection, tenant: &str, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM shifts WHERE tenant = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Applies employees' diffs to their calendar entries: new and changed shifts in one
/// statement, removals (rare) one by one.
async fn feed(
    conn: &mut PgConnection,
    tenant: &str,
    store: &str,
    employees: &[pb::EmployeeChanges],
    at: DateTime<Utc>,
) -> Result<()> {
    let mut upserts: Vec<(&str, &pb::ShiftData)> = Vec::new();
    for changes in employees {
        for diff in &changes.changes {
            match (Kind::try_from(diff.kind), &diff.after, &diff.before) {
                (Ok(Kind::Added | Kind::Changed), Some(after), _) => {
                    upserts.push((changes.employee_id.as_str(), after));
                }
                (Ok(Kind::Removed), _, Some(before)) => {
                    sqlx::query(
                        "UPDATE feed_entries SET cancelled = TRUE, sequence = sequence + 1, \
                         updated_at = $4 WHERE tenant = $1 AND employee_id = $2 AND shift_id = $3",
                    )
                    .bind(tenant)
                    .bind(&changes.employee_id)
                    .bind(&before.shift_id)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                }
                _ => {}
            }
        }
    }
    if upserts.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO feed_entries (tenant, employee_id, shift_id, store_id, start_time, end_time, \
         position, note, sequence, cancelled, updated_at) \
         SELECT $1, employee_id, shift_id, $2, start_time, end_time, position, note, sequence, \
                FALSE, $3 \
         FROM UNNEST($4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[], \
                     $9::text[], $10::bigint[]) \
              AS f(employee_id, shift_id, start_time, end_time, position, note, sequence) \
         ON CONFLICT (tenant, employee_id, shift_id) DO UPDATE SET \
         start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time, \
         position = EXCLUDED.position, note = EXCLUDED.note, cancelled = FALSE, \
         sequence = GREATEST(feed_entries.sequence + 1, EXCLUDED.sequence), \
         updated_at = EXCLUDED.updated_at",
    )
    .bind(tenant)
    .bind(store)
    .bind(at)
    .bind(
        upserts
            .iter()
            .map(|(e, _)| (*e).to_owned())
            .collect::<Vec<_>>(),
    )
    .bind(
        upserts
            .iter()
            .map(|(_, s)| s.shift_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        upserts
            .iter()
            .map(|(_, s)| ts(s.start_time.as_ref()))
            .collect::<Vec<_>>(),
    )
    .bind(
        upserts
            .iter()
            .map(|(_, s)| ts(s.end_time.as_ref()))
            .collect::<Vec<_>>(),
    )
    .bind(
        upserts
            .iter()
            .map(|(_, s)| s.position.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        upserts
            .iter()
            .map(|(_, s)| s.note.clone())
            .collect::<Vec<_>>(),
    )
    .bind(upserts.iter().map(|(_, s)| s.revision).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the notices employees can acknowledge: one statement for all of them (a
/// publication tells every scheduled employee of the week).
async fn notices(
    conn: &mut PgConnection,
    tenant: &str,
    roster: &str,
    employees: &[pb::EmployeeChanges],
    at: DateTime<Utc>,
) -> Result<()> {
    use prost::Message;
    if employees.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO change_notices (tenant, employee_id, notice_id, roster_id, changes, create_time) \
         SELECT $1, employee_id, notice_id, $2, changes, $3 \
         FROM UNNEST($4::text[], $5::text[], $6::bytea[]) AS n(employee_id, notice_id, changes) \
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(roster)
    .bind(at)
    .bind(
        employees
            .iter()
            .map(|c| c.employee_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        employees
            .iter()
            .map(|c| c.notice_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        employees
            .iter()
            .map(|c| c.encode_to_vec())
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn roster(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let tenant = commit.tenant();
    let Some((store, week)) = split_roster_id(commit.aggregate_id()) else {
        return Ok(());
    };
    let at = DateTime::<Utc>::from(commit.occurred_at());
    let events = commit.events::<pb::RosterEvent>()?;
    // A publication carries the whole week: drafts written in the same commit (an import
    // with `publish`) would be written twice.
    let publishes = events
        .iter()
        .any(|e| matches!(e.event, Some(Ev::Published(_))));
    // Consecutive drafted shifts (an import's hundreds) are written together.
    let mut drafted: Vec<&pb::ShiftData> = Vec::new();
    for event in &events {
        if let Some(Ev::ShiftDrafted(e)) = &event.event {
            if let Some(shift) = &e.shift
                && !publishes
            {
                drafted.push(shift);
            }
            continue;
        }
        upsert_shifts(conn, tenant, store, week, &drafted, false).await?;
        drafted.clear();
        match &event.event {
            Some(Ev::ShiftDraftRemoved(e)) => delete_shift(conn, tenant, &e.shift_id).await?,
            Some(Ev::Published(e)) => {
                let shifts: Vec<&pb::ShiftData> = e.shifts.iter().collect();
                upsert_shifts(conn, tenant, store, week, &shifts, true).await?;
                feed(conn, tenant, store, &e.employees, at).await?;
                notices(conn, tenant, commit.aggregate_id(), &e.employees, at).await?;
            }
            Some(Ev::Amended(e)) => {
                let shifts: Vec<&pb::ShiftData> = e.upserted.iter().collect();
                upsert_shifts(conn, tenant, store, week, &shifts, true).await?;
                for id in &e.removed_shift_ids {
                    delete_shift(conn, tenant, id).await?;
                }
                feed(conn, tenant, store, &e.employees, at).await?;
                notices(conn, tenant, commit.aggregate_id(), &e.employees, at).await?;
            }
            Some(Ev::ChangeAcknowledged(e)) => {
                sqlx::query(
                    "UPDATE change_notices SET acknowledge_time = $4 \
                     WHERE tenant = $1 AND employee_id = $2 AND notice_id = $3",
                )
                .bind(tenant)
                .bind(&e.employee_id)
                .bind(&e.notice_id)
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            // Claims and swaps live in the roster aggregate; the read model shows their
            // outcome through the amendment that assigns the shift.
            Some(
                Ev::ShiftDrafted(_)
                | Ev::ShiftClaimed(_)
                | Ev::ClaimDecided(_)
                | Ev::ShiftOffered(_)
                | Ev::SwapAccepted(_)
                | Ev::SwapDecided(_),
            )
            | None => {}
        }
    }
    upsert_shifts(conn, tenant, store, week, &drafted, false).await
}

pub(super) async fn calendar_feed(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let (tenant, user) = (commit.tenant(), commit.aggregate_id());
    for event in commit.events::<pb::CalendarFeedEvent>()? {
        match &event.event {
            Some(Feed::Created(e)) => {
                sqlx::query(
                    "INSERT INTO calendar_feeds (tenant, user_id, token_hash, create_time) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, user_id) DO UPDATE SET \
                     token_hash = EXCLUDED.token_hash, create_time = EXCLUDED.create_time",
                )
                .bind(tenant)
                .bind(user)
                .bind(&e.token_hash)
                .bind(DateTime::<Utc>::from(commit.occurred_at()))
                .execute(&mut *conn)
                .await?;
            }
            Some(Feed::Revoked(_)) => {
                sqlx::query("DELETE FROM calendar_feeds WHERE tenant = $1 AND user_id = $2")
                    .bind(tenant)
                    .bind(user)
                    .execute(&mut *conn)
                    .await?;
            }
            None => {}
        }
    }
    Ok(())
}
