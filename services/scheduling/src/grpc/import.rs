//! The workforce-management import handler: ImportRoster (structured store-weeks or CSV).

use breakroom_base::{Error, error::Violations};
use breakroom_events::consistency::reply;
use breakroom_proto::scheduling::v1 as pb;
use tonic::Request;

use super::{Reply, convert, token};
use crate::{
    app::{App, import::WeekImport},
    names,
};

/// `ImportRoster`.
pub async fn import(
    app: &App,
    request: Request<pb::ImportRosterRequest>,
) -> Reply<pb::ImportRosterResponse> {
    let caller = app.caller(&request).await?;
    let tenant = names::tenant("parent", &request.get_ref().parent)?;
    caller.see_tenant(&tenant, &request.get_ref().parent)?;
    let body = request.into_inner();
    let weeks = match (body.rosters.is_empty(), body.csv.is_empty()) {
        (false, true) => structured(&tenant, &body.rosters)?,
        (true, false) => app.parse_csv(&tenant, &body.csv).await?,
        _ => return Err(Error::invalid("rosters", "give either rosters or csv").into()),
    };
    let meta = caller.meta(&body.request_id)?;
    let results = app
        .import(&caller, &tenant, weeks, body.publish, &meta)
        .await?
        .iter()
        .map(|week| convert::imported(&tenant, week))
        .collect();
    let sequence = app.last_sequence().await?;
    Ok(reply(pb::ImportRosterResponse { results }, token(sequence)))
}

/// Structured store-weeks into imports, every field checked.
fn structured(tenant: &str, rosters: &[pb::RosterImport]) -> Result<Vec<WeekImport>, Error> {
    let mut v = Violations::new();
    let mut weeks = Vec::with_capacity(rosters.len());
    for (i, roster) in rosters.iter().enumerate() {
        let field = format!("rosters[{i}]");
        let Some((roster_tenant, store, week)) =
            v.check(names::roster(&format!("{field}.roster"), &roster.roster))
        else {
            continue;
        };
        if roster_tenant != tenant {
            v.add(format!("{field}.roster"), "must be a roster of this tenant");
            continue;
        }
        let mut shifts = Vec::with_capacity(roster.shifts.len());
        let mut shift_fields = Vec::with_capacity(roster.shifts.len());
        for (j, shift) in roster.shifts.iter().enumerate() {
            let shift_field = format!("{field}.shifts[{j}]");
            if let Some(input) = v.check(convert::shift_input(tenant, &shift_field, shift, None)) {
                shifts.push(input);
                shift_fields.push(shift_field);
            }
        }
        weeks.push(WeekImport {
            store_id: store,
            week,
            shifts,
            full_week: roster.full_week,
            field,
            shift_fields,
        });
    }
    v.finish()?;
    Ok(weeks)
}
