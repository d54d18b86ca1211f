//! Time off: employees request it for one of their stores; the store's planners decide;
//! approval flags the employee's published shifts in the period.

use breakroom_base::{Error, Result, paging::Page};
use breakroom_directory::Caller;
use breakroom_events::envelope::{CommandMeta, new_aggregate_id};
use breakroom_proto::scheduling::v1 as pb;
use chrono::{DateTime, Utc};

use super::{App, Recorded, access::Access};
use crate::{
    domain::time_off::{TimeOff, TimeOffCommand, TimeOffStatus, period},
    names,
    queries::{self, time_off::TimeOffRow},
};

impl App {
    /// The caller requests time off.
    pub async fn request_time_off(
        &self,
        caller: &Caller,
        tenant: &str,
        employee: &str,
        store: &str,
        (start, end, reason): (&str, &str, &str),
        meta: &CommandMeta,
    ) -> Result<Recorded<TimeOff>> {
        caller.see_tenant(tenant, &names::user_name(tenant, employee))?;
        if caller.is_integration() || caller.id() != employee {
            return Err(Error::denied(
                "NOT_YOURSELF",
                "time off is requested by the employee",
            ));
        }
        period(start, end)?;
        if reason.chars().count() > 500 {
            return Err(Error::invalid(
                "time_off_request.reason",
                "must be at most 500 characters",
            ));
        }
        if caller.departments_in(store).is_empty() {
            return Err(Error::invalid(
                "time_off_request.store",
                "must be a store you work in",
            ));
        }
        let id = new_aggregate_id(tenant, "time_off", meta.request_id.as_deref());
        let command = TimeOffCommand::Request(pb::TimeOffRequested {
            employee_id: employee.to_owned(),
            store_id: store.to_owned(),
            start_date: start.to_owned(),
            end_date: end.to_owned(),
            reason: reason.trim().to_owned(),
        });
        let committed = self
            .inner
            .time_off
            .execute(tenant, &id, meta, &command)
            .await?;
        Ok(Recorded {
            id,
            state: committed.state,
            sequence: committed.sequence,
        })
    }

    /// A planner of the store approves or rejects a request.
    pub async fn decide_time_off(
        &self,
        caller: &Caller,
        tenant: &str,
        employee: &str,
        id: &str,
        approve: bool,
        meta: &CommandMeta,
    ) -> Result<Recorded<TimeOff>> {
        let name = format!(
            "{}/timeOffRequests/{id}",
            names::user_name(tenant, employee)
        );
        caller.see_tenant(tenant, &name)?;
        let current = self.inner.time_off.load(tenant, id).await?.state;
        if current.status == TimeOffStatus::None || current.request.employee_id != employee {
            return Err(Error::NotFound(name));
        }
        let store = current.request.store_id.clone();
        caller.require_planner(&store)?;
        let conflicting = if approve {
            let (_, zone) = self.store(tenant, &store).await?;
            let (start, end) = period(&current.request.start_date, &current.request.end_date)?;
            let at = |date: jiff::civil::Date| -> Result<DateTime<Utc>> {
                let instant = zone.instant(date.to_datetime(jiff::civil::Time::midnight()))?;
                DateTime::<Utc>::from_timestamp(instant.as_second(), 0)
                    .ok_or_else(|| Error::internal(anyhow::anyhow!("date out of range")))
            };
            let next = end.tomorrow().map_err(Error::internal)?;
            self.catch_up_rosters().await?;
            queries::shifts::published_between(
                self.read().pool(),
                tenant,
                employee,
                (at(start)?, at(next)?),
            )
            .await?
        } else {
            vec![]
        };
        let command = TimeOffCommand::Decide {
            approve,
            conflicting_shift_ids: conflicting,
        };
        let committed = self
            .inner
            .time_off
            .execute(tenant, id, meta, &command)
            .await?;
        Ok(Recorded {
            id: id.to_owned(),
            state: committed.state,
            sequence: committed.sequence,
        })
    }

    /// Requests of a store (planners) or of a user (the user, or planners of the store).
    pub async fn list_time_off(
        &self,
        caller: &Caller,
        tenant: &str,
        store: Option<&str>,
        employee: Option<&str>,
        page: &Page,
    ) -> Result<(Vec<TimeOffRow>, String)> {
        if let Some(store) = store {
            caller.require_planner(store)?;
        }
        if let Some(employee) = employee
            && caller.id() != employee
            && !caller.is_integration()
            && !caller.is_hq_admin()
        {
            return Err(Error::denied(
                "NOT_AN_ADMIN",
                "lists another person's requests: HQ admins only",
            ));
        }
        queries::time_off::list(self.read().pool(), tenant, store, employee, page).await
    }
}
