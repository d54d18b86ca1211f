//! Open-shift claims and shift swaps, for ListShiftClaims and ListShiftSwaps.
//!
//! Its own projection (`scheduling_claims_swaps`) rather than more tables of the main read
//! model: a new projection starts at the beginning of the stream, so the claims and swaps
//! of rosters written before these lists existed are filled in by themselves, and the two
//! rebuild independently. Both read all of scheduling's stream, so a consistency token
//! waits for both. The shift a row is about is read from the main model's `shifts` at
//! query time ("as it is now").

use breakroom_base::Result;
use breakroom_events::{
    aggregate::Aggregate,
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use breakroom_proto::scheduling::v1::{self as pb, roster_event::Event as Ev};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::{
    config::SERVICE,
    domain::roster::{Roster, split_roster_id},
};

/// Name of the projection (checkpoints, lease, consumer).
pub const PROJECTION: &str = "scheduling_claims_swaps";

/// Claims and swaps of every roster.
#[derive(Debug, Default)]
pub struct ClaimsAndSwaps;

#[async_trait::async_trait]
impl Projection for ClaimsAndSwaps {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all(SERVICE)]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        if commit.aggregate_type() != <Roster as Aggregate>::TYPE {
            return Ok(());
        }
        let tenant = commit.tenant();
        let Some((store, _)) = split_roster_id(commit.aggregate_id()) else {
            return Ok(());
        };
        let at = DateTime::<Utc>::from(commit.occurred_at());
        for event in commit.events::<pb::RosterEvent>()? {
            match &event.event {
                Some(Ev::ShiftClaimed(e)) => claimed(conn, tenant, store, e, at).await?,
                Some(Ev::ClaimDecided(e)) => {
                    let state = if e.approved { "approved" } else { "rejected" };
                    set_state(conn, "shift_claims", tenant, &e.claim_id, state).await?;
                }
                Some(Ev::ShiftOffered(e)) => offered(conn, tenant, store, e, at).await?,
                Some(Ev::SwapAccepted(e)) => {
                    sqlx::query(
                        "UPDATE shift_swaps SET state = 'accepted', accepted_by = $3 \
                         WHERE tenant = $1 AND id = $2",
                    )
                    .bind(tenant)
                    .bind(&e.swap_id)
                    .bind(&e.accepted_by)
                    .execute(&mut *conn)
                    .await?;
                }
                Some(Ev::SwapDecided(e)) => {
                    let state = if e.approved { "approved" } else { "rejected" };
                    set_state(conn, "shift_swaps", tenant, &e.swap_id, state).await?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        sqlx::query("TRUNCATE shift_claims, shift_swaps")
            .execute(conn)
            .await?;
        Ok(())
    }
}

async fn claimed(
    conn: &mut PgConnection,
    tenant: &str,
    store: &str,
    e: &pb::ShiftClaimed,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO shift_claims (tenant, id, store_id, shift_id, claimant_id, state, create_time) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(&e.claim_id)
    .bind(store)
    .bind(&e.shift_id)
    .bind(&e.claimant_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn offered(
    conn: &mut PgConnection,
    tenant: &str,
    store: &str,
    e: &pb::ShiftOffered,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO shift_swaps (tenant, id, store_id, shift_id, offered_by, offered_to, \
         accepted_by, state, create_time) \
         VALUES ($1, $2, $3, $4, $5, $6, '', 'offered', $7) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(&e.swap_id)
    .bind(store)
    .bind(&e.shift_id)
    .bind(&e.offered_by)
    .bind(&e.offered_to)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a decision; `table` is one of this module's two tables.
async fn set_state(
    conn: &mut PgConnection,
    table: &'static str,
    tenant: &str,
    id: &str,
    state: &str,
) -> Result<()> {
    let sql = format!("UPDATE {table} SET state = $3 WHERE tenant = $1 AND id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(id)
        .bind(state)
        .execute(conn)
        .await?;
    Ok(())
}
