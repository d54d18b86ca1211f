//! Rosters as the chain's WFM system imports them.

use breakroom_proto::scheduling::v1::{
    self as pb, scheduling_service_client::SchedulingServiceClient,
};
use breakroom_testing::bearer;
use tonic::transport::Channel;

use crate::chain::{Chain, TENANT};

/// The ISO week after the current one, as `YYYY-Www`, and its Monday.
pub fn next_week() -> (String, jiff::civil::Date) {
    let next = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(7))
        .unwrap();
    let week = next.iso_week_date();
    let monday =
        jiff::civil::ISOWeekDate::new(week.year(), week.week(), jiff::civil::Weekday::Monday)
            .unwrap()
            .date();
    (format!("{:04}-W{:02}", week.year(), week.week()), monday)
}

/// Next week for every store: each employee two shifts (Monday and Wednesday), one open
/// shift per store on Saturday. Returns the request (retry it with the same request id).
pub fn next_week_import(chain: &Chain) -> pb::ImportRosterRequest {
    let (label, monday) = next_week();
    let day = |n: i64| monday.checked_add(jiff::Span::new().days(n)).unwrap();
    let rosters = chain
        .stores
        .iter()
        .enumerate()
        .map(|(s, store)| {
            let mut shifts = Vec::new();
            for (e, employee) in store.employees.iter().enumerate() {
                for (n, date) in [day(0), day(2)].into_iter().enumerate() {
                    shifts.push(pb::Shift {
                        employee: employee.name.clone(),
                        start_local: format!("{date}T{:02}:00", 7 + (e % 3) * 5),
                        end_local: format!("{date}T{:02}:00", 11 + (e % 3) * 5),
                        department_id: employee.department.clone(),
                        position: "Cashier".into(),
                        external_id: format!("s{s}-e{e}-{n}"),
                        ..Default::default()
                    });
                }
            }
            shifts.push(pb::Shift {
                start_local: format!("{}T10:00", day(5)),
                end_local: format!("{}T14:00", day(5)),
                department_id: "checkout".into(),
                position: "Cashier".into(),
                external_id: format!("s{s}-open"),
                ..Default::default()
            });
            pb::RosterImport {
                roster: format!("{}/rosters/{label}", store.name),
                shifts,
                full_week: true,
            }
        })
        .collect();
    pb::ImportRosterRequest {
        parent: format!("tenants/{TENANT}"),
        rosters,
        csv: String::new(),
        publish: true,
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

/// A store's published shifts next week, as (external id, employee, start) sorted, read
/// once the service has seen `positions` (consistency tokens, `identity:12,scheduling:40`).
pub async fn store_shifts(
    scheduling: &Channel,
    token: &str,
    positions: &str,
    store: &str,
) -> Vec<(String, String, String)> {
    let mut shifts: Vec<_> = published(scheduling, token, positions, store)
        .await
        .into_iter()
        .map(|s| (s.external_id, s.employee, s.start_local))
        .collect();
    shifts.sort();
    shifts
}

/// A store's published shifts around next week, whole.
pub async fn published(
    scheduling: &Channel,
    token: &str,
    positions: &str,
    store: &str,
) -> Vec<pb::Shift> {
    let (_, monday) = next_week();
    let start = monday
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp();
    let end = start
        .checked_add(jiff::SignedDuration::from_hours(24 * 8))
        .unwrap();
    let ts = |t: jiff::Timestamp| prost_types::Timestamp {
        seconds: t.as_second(),
        nanos: 0,
    };
    let mut shifts = Vec::new();
    let mut page_token = String::new();
    loop {
        let mut request = bearer(
            token,
            pb::ListStoreShiftsRequest {
                parent: store.to_owned(),
                start_time: Some(ts(start
                    .checked_sub(jiff::SignedDuration::from_hours(24))
                    .unwrap())),
                end_time: Some(ts(end)),
                page_size: 1000,
                page_token,
            },
        );
        request
            .metadata_mut()
            .insert("breakroom-min-sequence", positions.parse().unwrap());
        let page = SchedulingServiceClient::new(scheduling.clone())
            .list_store_shifts(request)
            .await
            .unwrap()
            .into_inner();
        shifts.extend(page.shifts);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    shifts
}
