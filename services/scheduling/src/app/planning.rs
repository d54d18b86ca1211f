//! Planning: creating, changing and removing shifts, and publishing a store's week.
//!
//! The rules that need identity's directory are checked here (the employee is an active
//! member of the store; the store's zone) and the command goes to the pure roster
//! aggregate (overlap inside the week, what changed for whom) under the booking protocol
//! (`app::booking`: no overlap with the employee's shifts in other stores and weeks).

use std::collections::HashSet;

use breakroom_base::{Error, Result, error::Violations};
use breakroom_directory::{Caller, Store, UserState};
use breakroom_events::{
    aggregate::Aggregate,
    envelope::{CommandMeta, new_aggregate_id},
    repository::Committed,
};
use breakroom_proto::scheduling::v1 as pb;
use jiff::civil::DateTime as Local;

use super::{App, access::Access};
use crate::{
    domain::{
        roster::{Roster, RosterCommand, roster_id},
        time::{Week, Zone, timestamp},
    },
    names, queries,
};

/// Longest unpaid break accepted, in minutes.
const MAX_BREAK_MINUTES: i32 = 240;

/// A shift as a planner or an import describes it, parsed but not yet checked against
/// the store and the employee.
#[derive(Debug, Clone)]
pub struct ShiftInput {
    /// Existing shift id (update) or `None` (create).
    pub shift_id: Option<String>,
    /// Employee id; `None` for an open shift.
    pub employee_id: Option<String>,
    /// Store-local start.
    pub start: Local,
    /// The UTC offset picking one occurrence of a start the autumn change repeats.
    pub start_offset: Option<jiff::tz::Offset>,
    /// Store-local end.
    pub end: Local,
    /// The same for the end.
    pub end_offset: Option<jiff::tz::Offset>,
    /// Department id, empty for the whole store.
    pub department_id: String,
    /// Position label.
    pub position: String,
    /// Unpaid break minutes.
    pub unpaid_break_minutes: i32,
    /// Note.
    pub note: String,
    /// WFM id, empty when planned in Breakroom.
    pub external_id: String,
}

impl App {
    /// Resolves and checks a shift of `store`; violations are named under `field`.
    pub(crate) fn resolve_shift(
        &self,
        store: &Store,
        zone: &Zone,
        members: &HashSet<String>,
        input: &ShiftInput,
        shift_id: String,
        field: &str,
    ) -> Result<pb::ShiftData> {
        let mut v = Violations::new();
        let start = v.check(zone.resolve(
            &format!("{field}.start_local"),
            input.start,
            input.start_offset,
        ));
        let end = v.check(zone.resolve(&format!("{field}.end_local"), input.end, input.end_offset));
        let (start, start_local) = start.unzip();
        let (end, end_local) = end.unzip();
        if let (Some(start), Some(end)) = (start, end) {
            let length = end.duration_since(start);
            if length.is_negative() || length.is_zero() {
                v.add(format!("{field}.end_local"), "must be after the start");
            } else if length.unsigned_abs() > self.config().max_shift {
                v.add(
                    format!("{field}.end_local"),
                    format!(
                        "a shift lasts at most {} hours",
                        self.config().max_shift.as_secs() / 3600
                    ),
                );
            } else if i64::from(input.unpaid_break_minutes) * 60 >= length.as_secs() {
                v.add(
                    format!("{field}.unpaid_break_minutes"),
                    "must be shorter than the shift",
                );
            }
        }
        if !(0..=MAX_BREAK_MINUTES).contains(&input.unpaid_break_minutes) {
            v.add(format!("{field}.unpaid_break_minutes"), "must be 0 to 240");
        }
        if !input.department_id.is_empty()
            && !store
                .departments
                .iter()
                .any(|(id, _)| *id == input.department_id)
        {
            v.add(
                format!("{field}.department_id"),
                format!("the store has no department {:?}", input.department_id),
            );
        }
        if let Some(employee) = &input.employee_id
            && !members.contains(employee)
        {
            v.add(
                format!("{field}.employee"),
                "is not an active member of this store",
            );
        }
        v.finish()?;
        let (Some(start), Some(end), Some(start_local), Some(end_local)) =
            (start, end, start_local, end_local)
        else {
            return Err(Error::invalid(field, "has no valid times"));
        };
        Ok(pb::ShiftData {
            shift_id,
            employee_id: input.employee_id.clone().unwrap_or_default(),
            start_local,
            end_local,
            start_time: Some(timestamp(start)),
            end_time: Some(timestamp(end)),
            department_id: input.department_id.clone(),
            position: input.position.clone(),
            unpaid_break_minutes: input.unpaid_break_minutes,
            note: input.note.clone(),
            external_id: input.external_id.clone(),
            revision: 0,
        })
    }

    /// The people who may be scheduled in a store: the directory's members of the store
    /// (holding a role there) who are not offboarded (invited people count: the WFM plans
    /// them before they open the app).
    pub(crate) async fn store_members(&self, tenant: &str, store: &str) -> Result<HashSet<String>> {
        Ok(self
            .directory()
            .store_members(tenant, store)
            .await?
            .into_iter()
            .filter(|m| m.state != UserState::Deactivated)
            .map(|m| m.user)
            .collect())
    }

    /// The week a stored shift belongs to, waiting once for the read model when the shift
    /// was created a moment ago.
    pub(crate) async fn week_of(&self, tenant: &str, store: &str, shift: &str) -> Result<Week> {
        let lookup = || queries::shifts::week_of(self.read().pool(), tenant, store, shift);
        let week = match lookup().await? {
            Some(week) => week,
            None => {
                self.read()
                    .catch_up_to_latest(self.inner.rosters.store())
                    .await?;
                lookup()
                    .await?
                    .ok_or_else(|| Error::NotFound(names::shift_name(tenant, store, shift)))?
            }
        };
        let (year, number) = week.split_once('W').unwrap_or_default();
        Week::parse("shift", &format!("{year}-W{number}"))
    }

    /// Creates or changes a shift of `store`.
    pub async fn upsert_shift(
        &self,
        caller: &Caller,
        tenant: &str,
        store_id: &str,
        input: ShiftInput,
        meta: &CommandMeta,
    ) -> Result<(pb::ShiftData, Committed<Roster>)> {
        caller.see_tenant(tenant, &names::store_name(tenant, store_id))?;
        let (store, zone) = self.store(tenant, store_id).await?;
        caller.require_planner(store_id)?;
        let week = Week::of(input.start);
        let shift_id = match &input.shift_id {
            Some(id) => {
                if self.week_of(tenant, store_id, id).await? != week {
                    return Err(Error::invalid(
                        "shift.start_local",
                        "a shift stays in its week; delete it and create one in the other week",
                    ));
                }
                id.clone()
            }
            None if !input.external_id.is_empty() => {
                external_shift_id(tenant, store_id, &input.external_id)
            }
            None => new_aggregate_id(tenant, "shift", meta.request_id.as_deref()),
        };
        let members = self.store_members(tenant, store_id).await?;
        let shift = self.resolve_shift(&store, &zone, &members, &input, shift_id, "shift")?;
        let roster = roster_id(store_id, week);
        let command = RosterCommand::Upsert {
            shift: Box::new(shift.clone()),
            change_id: uuid::Uuid::now_v7().to_string(),
        };
        let committed = self.plan(tenant, &roster, meta, command).await?;
        let stored = committed
            .state
            .shifts
            .get(&shift.shift_id)
            .cloned()
            .unwrap_or(shift);
        Ok((stored, committed))
    }

    /// Removes a shift.
    pub async fn delete_shift(
        &self,
        caller: &Caller,
        tenant: &str,
        store_id: &str,
        shift_id: &str,
        meta: &CommandMeta,
    ) -> Result<u64> {
        let name = names::shift_name(tenant, store_id, shift_id);
        caller.see_tenant(tenant, &name)?;
        caller.require_planner(store_id)?;
        let week = self.week_of(tenant, store_id, shift_id).await?;
        let command = RosterCommand::Remove {
            shift_id: shift_id.to_owned(),
            change_id: uuid::Uuid::now_v7().to_string(),
        };
        let committed = self
            .plan(tenant, &roster_id(store_id, week), meta, command)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound(name),
                other => other,
            })?;
        Ok(committed.sequence)
    }

    /// Publishes a store's week.
    pub async fn publish(
        &self,
        caller: &Caller,
        tenant: &str,
        store_id: &str,
        week: Week,
        meta: &CommandMeta,
    ) -> Result<Committed<Roster>> {
        caller.see_tenant(tenant, &names::roster_name(tenant, store_id, &week))?;
        let (_, zone) = self.store(tenant, store_id).await?;
        caller.require_planner(store_id)?;
        let command = RosterCommand::Publish {
            time_zone: zone.name().to_owned(),
            change_id: uuid::Uuid::now_v7().to_string(),
            now: super::import::instant(meta)?,
        };
        self.inner
            .rosters
            .execute(tenant, &roster_id(store_id, week), meta, &command)
            .await
    }

    /// A store's week as its aggregate holds it (consistent with the last command), once
    /// the caller may see it; `Unchanged` when it is still at version `known`, so a
    /// reader keeps what it made of that version instead of copying and converting it
    /// again.
    pub async fn roster(
        &self,
        caller: &Caller,
        tenant: &str,
        store_id: &str,
        week: Week,
        known: Option<u64>,
    ) -> Result<RosterRead> {
        caller.see_tenant(tenant, &names::roster_name(tenant, store_id, &week))?;
        let id = roster_id(store_id, week);
        let see = || caller.require_sees(store_id, "only people of the store see its roster");
        // This replica's cache may be behind another replica's write: asking the stream
        // whether the week has a commit after the known version (one direct read, no
        // payload when it has none) means nobody reads an older week than the last commit
        // made before they asked (read-your-writes across replicas; tested by the
        // rolling-update scenario in e2e/). A known week belongs to a store that exists
        // (stores are closed, never removed), so it costs no directory lookup.
        if let Some(known) = known
            && !self
                .inner
                .rosters
                .store()
                .changed_since(<Roster as Aggregate>::TYPE, tenant, &id, known)
                .await?
        {
            see()?;
            return Ok(RosterRead::Unchanged { version: known });
        }
        let (_, zone) = self.store(tenant, store_id).await?;
        see()?;
        let roster = self.inner.rosters.load_current(tenant, &id).await?;
        Ok(RosterRead::Loaded {
            roster: Box::new(roster.state),
            zone,
            version: roster.version,
        })
    }
}

/// What `App::roster` found.
#[derive(Debug)]
pub enum RosterRead {
    /// Still at the version the reader knows.
    Unchanged {
        /// That version.
        version: u64,
    },
    /// The week as it is now.
    Loaded {
        /// Its state.
        roster: Box<Roster>,
        /// The store's zone.
        zone: Zone,
        /// Its version.
        version: u64,
    },
}

/// The shift id an external (WFM) id maps to, stable across imports.
pub fn external_shift_id(tenant: &str, store: &str, external_id: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("breakroom/{tenant}/{store}/shift/{external_id}").as_bytes(),
    )
    .to_string()
}
