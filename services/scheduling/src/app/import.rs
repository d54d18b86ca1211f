//! The workforce-management import: a chain's WFM system pushes store-weeks of shifts
//! keyed by its own ids. Importing the same data again changes nothing; changed shifts
//! become amendments with diffs; a full-week import removes the shifts it does not name.
//! Every row is checked before anything is written, and each store-week is one commit.
//!
//! CSV format (header row required, UTF-8, comma-separated, RFC 4180 quoting):
//! `store_code,external_id,employee_email,start_local,end_local,department_id,position,unpaid_break_minutes,note`
//! — `employee_email` empty for an open shift; times `YYYY-MM-DDTHH:MM` in the store's zone;
//! the week of each row is the ISO week of its start; a CSV import is always a full week.

use std::collections::{BTreeMap, HashSet};

use breakroom_base::{Error, Result, error::Violations};
use breakroom_directory::Caller;
use breakroom_events::envelope::CommandMeta;
use futures::StreamExt;

use super::{
    App,
    access::Access,
    planning::{ShiftInput, external_shift_id},
};
use crate::{
    domain::{
        roster::{RosterCommand, roster_id},
        time::{Week, parse_planned},
    },
    names,
};

/// Store-weeks written concurrently.
const CONCURRENCY: usize = 16;
/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 9] = [
    "store_code",
    "external_id",
    "employee_email",
    "start_local",
    "end_local",
    "department_id",
    "position",
    "unpaid_break_minutes",
    "note",
];

/// What importing one store-week did, in shifts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedWeek {
    /// The store's id.
    pub store_id: String,
    /// The week.
    pub week: Week,
    /// New shifts.
    pub created: usize,
    /// Changed shifts.
    pub updated: usize,
    /// Shifts removed (full-week imports).
    pub removed: usize,
    /// Shifts already as imported.
    pub unchanged: usize,
}

/// One store-week to import.
#[derive(Debug, Clone)]
pub struct WeekImport {
    /// Store id.
    pub store_id: String,
    /// The week.
    pub week: Week,
    /// Shifts, each with an external id.
    pub shifts: Vec<ShiftInput>,
    /// Remove shifts the import does not name.
    pub full_week: bool,
    /// Where in the request it came from, for error fields (`rosters[2]`).
    pub field: String,
    /// Per shift, where it came from (`rosters[2].shifts[5]`, `csv.line[17]`).
    pub shift_fields: Vec<String>,
}

impl App {
    /// Checks and applies store-weeks; returns what each week's import did.
    pub async fn import(
        &self,
        caller: &Caller,
        tenant: &str,
        weeks: Vec<WeekImport>,
        publish: bool,
        meta: &CommandMeta,
    ) -> Result<Vec<ImportedWeek>> {
        caller.see_tenant(tenant, &names::tenant_name(tenant))?;
        let mut v = Violations::new();
        let mut seen_weeks = HashSet::new();
        let mut prepared = Vec::with_capacity(weeks.len());
        for week in weeks {
            if !seen_weeks.insert((week.store_id.clone(), week.week)) {
                v.add(
                    format!("{}.roster", week.field),
                    "appears twice in this import",
                );
                continue;
            }
            match self
                .prepare_week(caller, tenant, &week, publish, instant(meta)?)
                .await
            {
                Ok(command) => prepared.push((week, command)),
                Err(Error::Invalid(violations)) => {
                    for violation in violations {
                        v.add(violation.field, violation.description);
                    }
                }
                Err(other) => return Err(other),
            }
        }
        v.finish()?;
        let results: Vec<Result<ImportedWeek>> = futures::stream::iter(prepared)
            .map(|(week, command)| {
                let meta = meta.clone();
                async move { self.apply_week(tenant, &week, command, meta).await }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        results.into_iter().collect()
    }

    async fn prepare_week(
        &self,
        caller: &Caller,
        tenant: &str,
        week: &WeekImport,
        publish: bool,
        now: jiff::Timestamp,
    ) -> Result<RosterCommand> {
        let (store, zone) = self
            .store(tenant, &week.store_id)
            .await
            .map_err(|e| match e {
                Error::NotFound(name) => Error::invalid(
                    format!("{}.roster", week.field),
                    format!("{name} does not exist"),
                ),
                other => other,
            })?;
        if !caller.plans(&week.store_id) {
            return Err(Error::denied(
                "NOT_A_PLANNER",
                format!("may not plan {}", names::store_name(tenant, &week.store_id)),
            ));
        }
        let members = self.store_members(tenant, &week.store_id).await?;
        let mut v = Violations::new();
        let mut external_ids = HashSet::new();
        let mut shifts = Vec::with_capacity(week.shifts.len());
        for (index, input) in week.shifts.iter().enumerate() {
            let field = week
                .shift_fields
                .get(index)
                .cloned()
                .unwrap_or_else(|| format!("{}.shifts[{index}]", week.field));
            if input.external_id.is_empty() {
                v.add(format!("{field}.external_id"), "is required for imports");
                continue;
            }
            if !external_ids.insert(input.external_id.clone()) {
                v.add(format!("{field}.external_id"), "appears twice in this week");
                continue;
            }
            if Week::of(input.start) != week.week {
                v.add(
                    format!("{field}.start_local"),
                    format!("is not in week {}", week.week),
                );
                continue;
            }
            let id = external_shift_id(tenant, &week.store_id, &input.external_id);
            if let Some(shift) =
                v.check(self.resolve_shift(&store, &zone, &members, input, id, &field))
            {
                shifts.push(shift);
            }
        }
        v.finish()?;
        Ok(RosterCommand::Import {
            shifts,
            full_week: week.full_week,
            publish,
            time_zone: zone.name().to_owned(),
            change_id: uuid::Uuid::now_v7().to_string(),
            now,
        })
    }

    async fn apply_week(
        &self,
        tenant: &str,
        week: &WeekImport,
        command: RosterCommand,
        meta: CommandMeta,
    ) -> Result<ImportedWeek> {
        let roster = roster_id(&week.store_id, week.week);
        let before = self.inner.rosters.load(tenant, &roster).await?;
        let RosterCommand::Import {
            shifts, full_week, ..
        } = &command
        else {
            return Err(Error::internal(anyhow::anyhow!("not an import")));
        };
        let plan = before.state.plan_import(shifts, *full_week);
        drop(before);
        self.plan(tenant, &roster, &meta, command)
            .await
            .map_err(|e| match e {
                Error::FailedPrecondition {
                    reason,
                    subject,
                    description,
                } => Error::FailedPrecondition {
                    reason,
                    subject,
                    description: format!("{}: {description}", week.field),
                },
                other => other,
            })?;
        Ok(ImportedWeek {
            store_id: week.store_id.clone(),
            week: week.week,
            created: plan.created.len(),
            updated: plan.updated.len(),
            removed: plan.removed.len(),
            unchanged: plan.unchanged,
        })
    }

    /// Parses CSV text into store-weeks (full weeks), naming bad rows precisely.
    pub async fn parse_csv(&self, tenant: &str, text: &str) -> Result<Vec<WeekImport>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| Error::invalid("csv", format!("unreadable header: {e}")))?
            .clone();
        if headers.iter().collect::<Vec<_>>() != CSV_COLUMNS {
            return Err(Error::invalid(
                "csv",
                format!("the header must be: {}", CSV_COLUMNS.join(",")),
            ));
        }
        let stores =
            breakroom_directory::read::store_ids_by_code(self.directory().pool(), tenant).await?;
        let mut v = Violations::new();
        let mut records = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let line = index + 2;
            match record {
                Ok(record) => records.push((line, record)),
                Err(e) => v.add(format!("csv.line[{line}]"), e.to_string()),
            }
        }
        // Every employee of the file in one statement, not one per row.
        let emails: Vec<String> = records
            .iter()
            .map(|(_, r)| r.get(2).unwrap_or("").trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let people =
            breakroom_directory::read::people_by_email(self.directory().pool(), tenant, &emails)
                .await?;
        let mut weeks: BTreeMap<(String, Week), Vec<(ShiftInput, String)>> = BTreeMap::new();
        for (line, record) in records {
            let field = |column: &str| format!("csv.line[{line}].{column}");
            let cell = |i: usize| record.get(i).unwrap_or("").trim();
            let store = stores.get(&cell(0).to_uppercase());
            if store.is_none() {
                v.add(
                    field("store_code"),
                    format!("no store with code {:?}", cell(0)),
                );
            }
            let employee = if cell(2).is_empty() {
                Some(None)
            } else {
                let id = people.get(&cell(2).to_lowercase()).cloned();
                if id.is_none() {
                    v.add(
                        field("employee_email"),
                        format!("no employee with e-mail {:?}", cell(2)),
                    );
                }
                id.map(Some)
            };
            let start = v.check(parse_planned(&field("start_local"), cell(3)));
            let end = v.check(parse_planned(&field("end_local"), cell(4)));
            let break_minutes = if cell(7).is_empty() {
                Some(0)
            } else {
                let parsed = cell(7).parse::<i32>().ok();
                if parsed.is_none() {
                    v.add(
                        field("unpaid_break_minutes"),
                        "must be a whole number of minutes",
                    );
                }
                parsed
            };
            if cell(1).is_empty() {
                v.add(field("external_id"), "is required");
            }
            if let (
                Some(store),
                Some(employee),
                Some((start, start_offset)),
                Some((end, end_offset)),
                Some(break_minutes),
            ) = (store, employee, start, end, break_minutes)
            {
                let input = ShiftInput {
                    shift_id: None,
                    employee_id: employee,
                    start,
                    start_offset,
                    end,
                    end_offset,
                    department_id: cell(5).to_owned(),
                    position: cell(6).to_owned(),
                    unpaid_break_minutes: break_minutes,
                    note: cell(8).to_owned(),
                    external_id: cell(1).to_owned(),
                };
                weeks
                    .entry((store.clone(), Week::of(start)))
                    .or_default()
                    .push((input, format!("csv.line[{line}]")));
            }
        }
        v.finish()?;
        Ok(weeks
            .into_iter()
            .map(|((store_id, week), rows)| {
                let (shifts, shift_fields) = rows.into_iter().unzip();
                WeekImport {
                    field: format!("csv[{store_id} {week}]"),
                    store_id,
                    week,
                    shifts,
                    full_week: true,
                    shift_fields,
                }
            })
            .collect())
    }
}

/// The handler's "now" of a command as an instant.
pub(crate) fn instant(meta: &CommandMeta) -> Result<jiff::Timestamp> {
    jiff::Timestamp::try_from(meta.now()).map_err(Error::internal)
}
