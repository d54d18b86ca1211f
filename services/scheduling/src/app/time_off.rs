//! Time off: employees request it for one of their stores; the store's planners decide;
//! approval flags the employee's published shifts in the period.

use breakroom_kit::{
    Error, Result,
    envelope::{CommandMeta, new_aggregate_id},
    paging::Page,
};
use breakroom_proto::scheduling::v1 as pb;
use chrono::{DateTime, Utc};

use breakroom_kit::directory::Caller;

use super::{App, access::Access};
use crate::{
    domain::time_off::{TimeOff, TimeOffCommand, TimeOffStatus, period},
    names, queries,
};

/// A request's resource from its state.
fn resource(tenant: &str, id: &str, state: &TimeOff) -> pb::TimeOffRequest {
    let r = &state.request;
    pb::TimeOffRequest {
        name: format!(
            "{}/timeOffRequests/{id}",
            names::user_name(tenant, &r.employee_id)
        ),
        store: names::store_name(tenant, &r.store_id),
        start_date: r.start_date.clone(),
        end_date: r.end_date.clone(),
        reason: r.reason.clone(),
        state: match state.status {
            TimeOffStatus::Pending | TimeOffStatus::None => pb::time_off_request::State::Pending,
            TimeOffStatus::Approved => pb::time_off_request::State::Approved,
            TimeOffStatus::Rejected => pb::time_off_request::State::Rejected,
        } as i32,
        conflicting_shifts: state
            .conflicting_shift_ids
            .iter()
            .map(|s| names::shift_name(tenant, &r.store_id, s))
            .collect(),
    }
}

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
    ) -> Result<(pb::TimeOffRequest, u64)> {
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
        Ok((resource(tenant, &id, &committed.state), committed.sequence))
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
    ) -> Result<(pb::TimeOffRequest, u64)> {
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
        Ok((resource(tenant, id, &committed.state), committed.sequence))
    }

    /// Requests of a store (planners) or of a user (the user, or planners of the store).
    pub async fn list_time_off(
        &self,
        caller: &Caller,
        tenant: &str,
        store: Option<&str>,
        employee: Option<&str>,
        page: &Page,
    ) -> Result<(Vec<pb::TimeOffRequest>, String)> {
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
        let (rows, token) =
            queries::time_off::list(self.read().pool(), tenant, store, employee, page).await?;
        let requests = rows
            .into_iter()
            .map(|r| pb::TimeOffRequest {
                name: format!(
                    "{}/timeOffRequests/{}",
                    names::user_name(tenant, &r.employee_id),
                    r.id
                ),
                store: names::store_name(tenant, &r.store_id),
                conflicting_shifts: r
                    .conflicting
                    .iter()
                    .map(|s| names::shift_name(tenant, &r.store_id, s))
                    .collect(),
                start_date: r.start_date,
                end_date: r.end_date,
                reason: r.reason,
                state: match r.state.as_str() {
                    "approved" => pb::time_off_request::State::Approved,
                    "rejected" => pb::time_off_request::State::Rejected,
                    _ => pb::time_off_request::State::Pending,
                } as i32,
            })
            .collect();
        Ok((requests, token))
    }
}
