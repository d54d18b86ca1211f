//! Change notices: an employee acknowledges (saw and accepted) what changed for them.

use breakroom_base::{Error, Result};
use breakroom_directory::Caller;
use breakroom_events::envelope::CommandMeta;
use chrono::{DateTime, Utc};

use super::App;
use crate::{
    domain::roster::RosterCommand,
    names,
    queries::notices::{self, Notice},
};

impl App {
    /// The caller acknowledges their notice `notice_id`; returns it as acknowledged.
    pub async fn acknowledge(
        &self,
        caller: &Caller,
        tenant: &str,
        employee: &str,
        notice_id: &str,
        meta: &CommandMeta,
    ) -> Result<(Notice, u64)> {
        let name = format!(
            "{}/shiftChanges/{notice_id}",
            names::user_name(tenant, employee)
        );
        caller.see_tenant(tenant, &name)?;
        if caller.is_integration() || caller.id() != employee {
            return Err(Error::denied(
                "NOT_YOUR_NOTICE",
                "a change is acknowledged by its own employee",
            ));
        }
        let pool = self.read().pool();
        let notice = match notices::find(pool, tenant, employee, notice_id).await? {
            Some(notice) => notice,
            None => {
                // Made a moment ago: let the read model catch up once.
                self.read()
                    .catch_up_to_latest(self.inner.rosters.store())
                    .await?;
                notices::find(pool, tenant, employee, notice_id)
                    .await?
                    .ok_or_else(|| Error::NotFound(name.clone()))?
            }
        };
        let command = RosterCommand::Acknowledge {
            employee_id: employee.to_owned(),
            notice_id: notice_id.to_owned(),
        };
        let committed = self
            .inner
            .rosters
            .execute(tenant, &notice.roster_id, meta, &command)
            .await?;
        let acknowledged = notice
            .acknowledge_time
            .unwrap_or_else(|| DateTime::<Utc>::from(meta.now()));
        Ok((
            Notice {
                acknowledge_time: Some(acknowledged),
                ..notice
            },
            committed.sequence,
        ))
    }
}
