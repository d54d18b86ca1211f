//! The demo chain's rosters: this week and next for every store, imported and published
//! by the WFM service account as a chain's workforce-management system would, three
//! shifts per person and two open shifts per store-week.

use anyhow::Context;
use breakroom_proto::scheduling::v1::{
    self as pb, scheduling_service_client::SchedulingServiceClient,
};
use jiff::{ToSpan, Zoned, civil::Weekday, tz::TimeZone};

use super::{TENANT, bearer, channel, people::Chain, request_id};

/// A shift's hours by pattern: start, end, unpaid break in minutes.
const PATTERNS: [(&str, &str, i32); 3] = [
    ("07:00", "11:00", 0),
    ("12:00", "17:30", 30),
    ("17:00", "22:00", 15),
];

/// Imports and publishes this week and next for every store.
pub async fn import(chain: &Chain, scheduling_addr: &str) -> anyhow::Result<()> {
    let mut scheduling = SchedulingServiceClient::new(channel(scheduling_addr).await?);
    for store in &chain.stores {
        let zone = TimeZone::get(store.zone).with_context(|| store.zone.to_owned())?;
        let today = Zoned::now().with_time_zone(zone).date();
        for offset in [0, 1] {
            let day = today.checked_add((7 * offset).days())?;
            let week = day.iso_week_date();
            let monday =
                jiff::civil::ISOWeekDate::new(week.year(), week.week(), Weekday::Monday)?.date();
            let label = format!("{:04}-W{:02}", week.year(), week.week());
            let mut shifts = Vec::new();
            for (index, person) in store.people.iter().enumerate() {
                for n in 0..3 {
                    let date = monday.checked_add((((index + 2 * n) % 7) as i32).days())?;
                    let (start, end, unpaid) = PATTERNS[(index + n) % 3];
                    shifts.push(shift(
                        &person.name,
                        date,
                        (start, end, unpaid),
                        person.department,
                        format!("{}-{label}-{index}-{n}", store.code),
                    ));
                }
            }
            for (n, (weekday, department)) in
                [(5, "checkout"), (6, "fresh")].into_iter().enumerate()
            {
                let date = monday.checked_add(weekday.days())?;
                shifts.push(shift(
                    "",
                    date,
                    ("10:00", "15:00", 30),
                    department,
                    format!("{}-{label}-open-{n}", store.code),
                ));
            }
            let mut request = bearer(
                &chain.wfm_token,
                pb::ImportRosterRequest {
                    parent: format!("tenants/{TENANT}"),
                    rosters: vec![pb::RosterImport {
                        roster: format!("{}/rosters/{label}", store.name),
                        shifts,
                        full_week: true,
                    }],
                    csv: String::new(),
                    publish: true,
                    request_id: request_id(&format!("roster/{}/{label}", store.code)),
                },
            );
            // Read-your-writes across services: scheduling answers once its replica of
            // identity has seen the people invited above.
            if let Ok(value) = chain.identity_position.parse() {
                request
                    .metadata_mut()
                    .insert("breakroom-min-sequence", value);
            }
            scheduling
                .import_roster(request)
                .await
                .with_context(|| format!("ImportRoster {} {label}", store.code))?;
        }
    }
    Ok(())
}

fn shift(
    employee: &str,
    date: jiff::civil::Date,
    (start, end, unpaid): (&str, &str, i32),
    department: &str,
    external_id: String,
) -> pb::Shift {
    pb::Shift {
        employee: employee.to_owned(),
        start_local: format!("{date}T{start}"),
        end_local: format!("{date}T{end}"),
        department_id: department.to_owned(),
        position: if department == "fresh" {
            "Fresh"
        } else {
            "Cashier"
        }
        .into(),
        unpaid_break_minutes: unpaid,
        external_id,
        ..Default::default()
    }
}
