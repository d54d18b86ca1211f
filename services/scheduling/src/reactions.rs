//! Reactions to identity's events that change rosters: when an employee is offboarded,
//! their future shifts become open shifts (an amendment with reason
//! `EMPLOYEE_DEACTIVATED`, which tells managers to fill them).
//!
//! It runs as a projection of identity's stream with its own checkpoint, so each
//! deactivation is handled once; the commands it issues carry request ids derived from
//! the deactivation's commit, so a batch retried after a crash appends nothing twice.

use breakroom_base::Result;
use breakroom_events::{
    envelope::{CommandMeta, RecordedCommit},
    projector::{Projection, Source},
};
use breakroom_proto::identity::v1::{UserEvent, user_event::Event as Us};
use sqlx::PgConnection;

use crate::{app::App, domain::roster::RosterCommand, queries};

/// Name of the reaction (checkpoint, lease, consumer).
pub const OFFBOARDING: &str = "scheduling_offboarding";

/// Opens up the future shifts of offboarded employees.
#[derive(Debug)]
pub struct Offboarding {
    app: App,
}

impl Offboarding {
    /// The reaction, issuing commands through `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[async_trait::async_trait]
impl Projection for Offboarding {
    fn name(&self) -> &'static str {
        OFFBOARDING
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all("identity")]
    }

    fn serves_reads(&self) -> bool {
        false
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        if commit.aggregate_type() != "user" {
            return Ok(());
        }
        let deactivated = commit
            .events::<UserEvent>()?
            .iter()
            .any(|e| matches!(e.event, Some(Us::Deactivated(_))));
        if !deactivated {
            return Ok(());
        }
        let (tenant, employee) = (commit.tenant(), commit.aggregate_id());
        let from = jiff::Timestamp::try_from(commit.occurred_at())
            .map_err(breakroom_base::Error::internal)?;
        // The rosters are found through the read model: let it catch up first, so a shift
        // planned a moment before the offboarding is not missed (UNAVAILABLE retries).
        self.app.catch_up_rosters().await?;
        let rosters = queries::shifts::rosters_from(
            conn,
            tenant,
            employee,
            chrono::DateTime::<chrono::Utc>::from(commit.occurred_at()),
        )
        .await?;
        for roster in rosters {
            let request_id = uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_OID,
                format!("{}/{roster}", commit.commit_id()).as_bytes(),
            )
            .to_string();
            let meta = CommandMeta::new("system/offboarding").with_request_id(Some(request_id));
            let command = RosterCommand::Unassign {
                employee_id: employee.to_owned(),
                from,
                change_id: uuid::Uuid::now_v7().to_string(),
            };
            self.app
                .execute_roster(tenant, &roster, &meta, command)
                .await?;
        }
        Ok(())
    }

    async fn reset(&self, _: &mut PgConnection) -> Result<()> {
        Ok(())
    }
}
