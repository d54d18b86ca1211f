//! Time-off requests in the read model.

use breakroom_base::Result;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::scheduling::v1::{self as pb, time_off_event::Event as Ev};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

pub(super) async fn time_off(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let (tenant, id) = (commit.tenant(), commit.aggregate_id());
    for event in commit.events::<pb::TimeOffEvent>()? {
        match &event.event {
            Some(Ev::Requested(e)) => {
                sqlx::query(
                    "INSERT INTO time_off_requests (tenant, id, employee_id, store_id, start_date, \
                     end_date, reason, state, create_time) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) ON CONFLICT DO NOTHING",
                )
                .bind(tenant)
                .bind(id)
                .bind(&e.employee_id)
                .bind(&e.store_id)
                .bind(&e.start_date)
                .bind(&e.end_date)
                .bind(&e.reason)
                .bind(DateTime::<Utc>::from(commit.occurred_at()))
                .execute(&mut *conn)
                .await?;
            }
            Some(Ev::Decided(e)) => {
                sqlx::query(
                    "UPDATE time_off_requests SET state = $3, conflicting = $4 WHERE tenant = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(id)
                .bind(if e.approved { "approved" } else { "rejected" })
                .bind(&e.conflicting_shift_ids)
                .execute(&mut *conn)
                .await?;
            }
            None => {}
        }
    }
    Ok(())
}
