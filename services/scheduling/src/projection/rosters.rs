//! Shifts, per-employee calendar entries and calendar feeds from scheduling's own events.

use breakroom_kit::{Result, envelope::RecordedCommit};
use breakroom_proto::scheduling::v1::{
    self as pb, calendar_feed_event::Event as Feed, roster_event::Event as Ev, shift_diff::Kind,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::ts;
use crate::domain::roster::split_roster_id;

async fn upsert_shift(
    conn: &mut PgConnection,
    tenant: &str,
    store: &str,
    week: &str,
    shift: &pb::ShiftData,
    published: bool,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO shifts (tenant, id, store_id, week, employee_id, start_local, end_local, \
         start_time, end_time, department_id, position, unpaid_break_minutes, note, external_id, \
         revision, published) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (tenant, id) DO UPDATE SET employee_id = EXCLUDED.employee_id, \
         start_local = EXCLUDED.start_local, end_local = EXCLUDED.end_local, \
         start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time, \
         department_id = EXCLUDED.department_id, position = EXCLUDED.position, \
         unpaid_break_minutes = EXCLUDED.unpaid_break_minutes, note = EXCLUDED.note, \
         external_id = EXCLUDED.external_id, revision = EXCLUDED.revision, \
         published = EXCLUDED.published",
    )
    .bind(tenant)
    .bind(&shift.shift_id)
    .bind(store)
    .bind(week)
    .bind(&shift.employee_id)
    .bind(&shift.start_local)
    .bind(&shift.end_local)
    .bind(ts(shift.start_time.as_ref()))
    .bind(ts(shift.end_time.as_ref()))
    .bind(&shift.department_id)
    .bind(&shift.position)
    .bind(shift.unpaid_break_minutes)
    .bind(&shift.note)
    .bind(&shift.external_id)
    .bind(shift.revision)
    .bind(published)
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

/// Applies one employee's diffs to their calendar entries.
async fn feed(
    conn: &mut PgConnection,
    tenant: &str,
    store: &str,
    changes: &pb::EmployeeChanges,
    at: DateTime<Utc>,
) -> Result<()> {
    for diff in &changes.changes {
        match (Kind::try_from(diff.kind), &diff.after, &diff.before) {
            (Ok(Kind::Added | Kind::Changed), Some(after), _) => {
                sqlx::query(
                    "INSERT INTO feed_entries (tenant, employee_id, shift_id, store_id, start_time, \
                     end_time, position, note, sequence, cancelled, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE, $10) \
                     ON CONFLICT (tenant, employee_id, shift_id) DO UPDATE SET \
                     start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time, \
                     position = EXCLUDED.position, note = EXCLUDED.note, cancelled = FALSE, \
                     sequence = GREATEST(feed_entries.sequence + 1, EXCLUDED.sequence), \
                     updated_at = EXCLUDED.updated_at",
                )
                .bind(tenant)
                .bind(&changes.employee_id)
                .bind(&after.shift_id)
                .bind(store)
                .bind(ts(after.start_time.as_ref()))
                .bind(ts(after.end_time.as_ref()))
                .bind(&after.position)
                .bind(&after.note)
                .bind(after.revision)
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            (Ok(Kind::Removed), _, Some(before)) => {
                sqlx::query(
                    "UPDATE feed_entries SET cancelled = TRUE, sequence = sequence + 1, updated_at = $4 \
                     WHERE tenant = $1 AND employee_id = $2 AND shift_id = $3",
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
    Ok(())
}

/// Records the notice an employee can acknowledge.
async fn notice(
    conn: &mut PgConnection,
    tenant: &str,
    roster: &str,
    changes: &pb::EmployeeChanges,
    at: DateTime<Utc>,
) -> Result<()> {
    use prost::Message;
    sqlx::query(
        "INSERT INTO change_notices (tenant, employee_id, notice_id, roster_id, changes, create_time) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(&changes.employee_id)
    .bind(&changes.notice_id)
    .bind(roster)
    .bind(changes.encode_to_vec())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn roster(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let tenant = &commit.commit.tenant;
    let Some((store, week)) = split_roster_id(&commit.commit.aggregate_id) else {
        return Ok(());
    };
    let at = DateTime::<Utc>::from(commit.occurred_at());
    for event in commit.events::<pb::RosterEvent>()? {
        match &event.event {
            Some(Ev::ShiftDrafted(e)) => {
                if let Some(shift) = &e.shift {
                    upsert_shift(conn, tenant, store, week, shift, false).await?;
                }
            }
            Some(Ev::ShiftDraftRemoved(e)) => delete_shift(conn, tenant, &e.shift_id).await?,
            Some(Ev::Published(e)) => {
                for shift in &e.shifts {
                    upsert_shift(conn, tenant, store, week, shift, true).await?;
                }
                for changes in &e.employees {
                    feed(conn, tenant, store, changes, at).await?;
                    notice(conn, tenant, &commit.commit.aggregate_id, changes, at).await?;
                }
            }
            Some(Ev::Amended(e)) => {
                for shift in &e.upserted {
                    upsert_shift(conn, tenant, store, week, shift, true).await?;
                }
                for id in &e.removed_shift_ids {
                    delete_shift(conn, tenant, id).await?;
                }
                for changes in &e.employees {
                    feed(conn, tenant, store, changes, at).await?;
                    notice(conn, tenant, &commit.commit.aggregate_id, changes, at).await?;
                }
            }
            // Claims live in the roster aggregate; the read model shows their outcome
            // through the amendment that assigns the shift.
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
            Some(
                Ev::ShiftClaimed(_)
                | Ev::ClaimDecided(_)
                | Ev::ShiftOffered(_)
                | Ev::SwapAccepted(_)
                | Ev::SwapDecided(_),
            )
            | None => {}
        }
    }
    Ok(())
}

pub(super) async fn calendar_feed(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let (tenant, user) = (&commit.commit.tenant, &commit.commit.aggregate_id);
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
