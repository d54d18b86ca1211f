//! Change notices: an employee acknowledges (saw and accepted) what changed for them.

use breakroom_kit::{Error, Result, envelope::CommandMeta};
use breakroom_proto::scheduling::v1 as pb;
use chrono::{DateTime, Utc};
use prost::Message;

use breakroom_kit::directory::Caller;

use super::App;
use crate::{domain::roster::RosterCommand, names};

impl App {
    /// The caller acknowledges their notice `notice_id`.
    pub async fn acknowledge(
        &self,
        caller: &Caller,
        tenant: &str,
        employee: &str,
        notice_id: &str,
        meta: &CommandMeta,
    ) -> Result<(pb::ShiftChangeNotice, u64)> {
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
        let lookup = || async {
            sqlx::query_as::<_, (String, Vec<u8>, DateTime<Utc>)>(
                "SELECT roster_id, changes, create_time FROM change_notices \
                 WHERE tenant = $1 AND employee_id = $2 AND notice_id = $3",
            )
            .bind(tenant)
            .bind(employee)
            .bind(notice_id)
            .fetch_optional(self.read().pool())
            .await
        };
        let (roster, changes, created) = match lookup().await? {
            Some(row) => row,
            None => {
                self.read()
                    .catch_up_to_latest(self.inner.rosters.store())
                    .await?;
                lookup()
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
            .execute(tenant, &roster, meta, &command)
            .await?;
        let changes = pb::EmployeeChanges::decode(changes.as_slice()).map_err(Error::internal)?;
        let (store, week) = crate::domain::roster::split_roster_id(&roster).unwrap_or_default();
        let (year, number) = week.split_once('W').unwrap_or_default();
        let to_shift = |s: &pb::ShiftData| pb::Shift {
            name: names::shift_name(tenant, store, &s.shift_id),
            employee: if s.employee_id.is_empty() {
                String::new()
            } else {
                names::user_name(tenant, &s.employee_id)
            },
            start_local: s.start_local.clone(),
            end_local: s.end_local.clone(),
            start_time: s.start_time,
            end_time: s.end_time,
            position: s.position.clone(),
            department_id: s.department_id.clone(),
            note: s.note.clone(),
            revision: s.revision,
            ..Default::default()
        };
        Ok((
            pb::ShiftChangeNotice {
                name,
                roster: format!(
                    "{}/rosters/{year}-W{number}",
                    names::store_name(tenant, store)
                ),
                changes: changes
                    .changes
                    .iter()
                    .map(|c| pb::ShiftChange {
                        kind: c.kind,
                        before: c.before.as_ref().map(to_shift),
                        after: c.after.as_ref().map(to_shift),
                    })
                    .collect(),
                create_time: Some(std::time::SystemTime::from(created).into()),
                acknowledge_time: Some(meta.now().into()),
            },
            committed.sequence,
        ))
    }
}
