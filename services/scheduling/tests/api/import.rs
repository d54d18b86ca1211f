//! The workforce-management import: idempotent, diffing, all-or-nothing, and CSV.

use breakroom_proto::scheduling::v1 as pb;

use crate::{rosters::recorded, support::*};

fn wfm_shift(external_id: &str, employee: &str, start: &str, end: &str) -> pb::Shift {
    pb::Shift {
        external_id: external_id.into(),
        ..shift(employee, start, end)
    }
}

async fn import(
    p: &Platform,
    token: &str,
    tenant: &str,
    rosters: Vec<pb::RosterImport>,
    publish: bool,
) -> Result<pb::ImportRosterResponse, tonic::Status> {
    p.scheduling
        .clone()
        .import_roster(bearer(
            token,
            pb::ImportRosterRequest {
                parent: format!("tenants/{tenant}"),
                rosters,
                csv: String::new(),
                publish,
                request_id: uuid(),
            },
        ))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn importing_the_same_week_twice_changes_nothing_and_a_changed_week_becomes_amendments() {
    let p = Platform::spawn().await;
    let chain = p.chain("hema").await;
    let ida = p.employee(&chain, &chain.store, "ida@hema.example").await;
    let jan = p.employee(&chain, &chain.store, "jan@hema.example").await;
    let roster = format!("{}/rosters/2026-W49", chain.store);
    let week = |shifts| {
        vec![pb::RosterImport {
            roster: roster.clone(),
            shifts,
            full_week: true,
        }]
    };
    let first = vec![
        wfm_shift("W-1", &ida.name, "2026-11-30T08:00", "2026-11-30T16:00"),
        wfm_shift("W-2", &jan.name, "2026-12-01T12:00", "2026-12-01T20:00"),
        wfm_shift("W-3", "", "2026-12-02T08:00", "2026-12-02T12:00"),
    ];
    let result = p
        .once_known(|| {
            let (p, token, rosters) = (&p, chain.admin.token.clone(), week(first.clone()));
            async move { import(p, &token, "hema", rosters, true).await }
        })
        .await;
    assert_eq!(
        (result.results[0].created, result.results[0].unchanged),
        (3, 0)
    );
    let commits_after_first = recorded(&p, "roster.hema.*").await.len();

    let again = import(&p, &chain.admin.token, "hema", week(first.clone()), true)
        .await
        .unwrap();
    assert_eq!(
        (
            again.results[0].created,
            again.results[0].updated,
            again.results[0].unchanged
        ),
        (0, 0, 3)
    );
    assert_eq!(
        recorded(&p, "roster.hema.*").await.len(),
        commits_after_first,
        "no new events"
    );

    // W-1 moves, W-2 disappears from the full week, W-4 is new.
    let changed = vec![
        wfm_shift("W-1", &ida.name, "2026-11-30T09:00", "2026-11-30T17:00"),
        wfm_shift("W-3", "", "2026-12-02T08:00", "2026-12-02T12:00"),
        wfm_shift("W-4", &jan.name, "2026-12-03T12:00", "2026-12-03T20:00"),
    ];
    let diff = import(&p, &chain.admin.token, "hema", week(changed), true)
        .await
        .unwrap();
    let r = &diff.results[0];
    assert_eq!((r.created, r.updated, r.removed, r.unchanged), (1, 1, 1, 1));
    let commits = recorded(&p, "roster.hema.*").await;
    use prost::Message;
    let last =
        pb::RosterEvent::decode(commits.last().unwrap().events[0].payload.as_slice()).unwrap();
    let Some(pb::roster_event::Event::Amended(amended)) = last.event else {
        panic!("{last:?}")
    };
    let ida_id = ida.name.rsplit('/').next().unwrap();
    let ida_change = amended
        .employees
        .iter()
        .find(|e| e.employee_id == ida_id)
        .unwrap();
    assert_eq!(
        ida_change.changes[0].before.as_ref().unwrap().start_local,
        "2026-11-30T08:00"
    );
    assert_eq!(
        ida_change.changes[0].after.as_ref().unwrap().start_local,
        "2026-11-30T09:00"
    );
    let jan_id = jan.name.rsplit('/').next().unwrap();
    let jan_kinds: Vec<i32> = amended
        .employees
        .iter()
        .find(|e| e.employee_id == jan_id)
        .unwrap()
        .changes
        .iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(
        jan_kinds.len(),
        2,
        "W-2 removed and W-4 added: {jan_kinds:?}"
    );
}

#[tokio::test]
async fn one_bad_shift_refuses_the_whole_import_naming_it() {
    let p = Platform::spawn().await;
    let chain = p.chain("spar").await;
    let kim = p.employee(&chain, &chain.store, "kim@spar.example").await;
    let roster = format!("{}/rosters/2026-W49", chain.store);
    let shifts = vec![
        wfm_shift("A", &kim.name, "2026-12-01T08:00", "2026-12-01T12:00"),
        wfm_shift("B", &kim.name, "2026-12-08T08:00", "2026-12-08T12:00"),
        wfm_shift("A", &kim.name, "2026-12-02T08:00", "2026-12-02T12:00"),
        pb::Shift {
            department_id: "bakery".into(),
            ..wfm_shift("C", &kim.name, "2026-12-03T08:00", "2026-12-03T12:00")
        },
    ];
    let err = p
        .once_known(|| {
            let (p, token, rosters) = (
                &p,
                chain.admin.token.clone(),
                vec![pb::RosterImport {
                    roster: roster.clone(),
                    shifts: shifts.clone(),
                    full_week: false,
                }],
            );
            async move {
                match import(p, &token, "spar", rosters, false).await {
                    Err(status)
                        if status.code() == tonic::Code::InvalidArgument
                            && !status.message().contains("not an active member")
                            && !status.message().contains("does not exist") =>
                    {
                        Ok(status)
                    }
                    Err(status) => Err(status),
                    Ok(r) => panic!("accepted: {r:?}"),
                }
            }
        })
        .await;
    let mut fields = violated_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "rosters[0].shifts[1].start_local",
            "rosters[0].shifts[2].external_id",
            "rosters[0].shifts[3].department_id"
        ]
    );
    assert!(
        recorded(&p, "roster.spar.*").await.is_empty(),
        "nothing written"
    );
}

#[tokio::test]
async fn a_csv_export_imports_and_bad_rows_are_reported_by_line_and_column() {
    let p = Platform::spawn().await;
    let chain = p.chain("vomar").await;
    p.employee(&chain, &chain.store, "lea@vomar.example").await;
    let header = "store_code,external_id,employee_email,start_local,end_local,department_id,position,unpaid_break_minutes,note";
    let good = format!(
        "{header}\nS-1,X-1,lea@vomar.example,2026-12-01T08:00,2026-12-01T16:30,fresh,Baker,30,\"Bring keys, please\"\nS-1,X-2,,2026-12-02T08:00,2026-12-02T12:00,,Cashier,0,\n"
    );
    let imported = p
        .once_known(|| {
            let mut client = p.scheduling.clone();
            let request = bearer(
                &chain.admin.token,
                pb::ImportRosterRequest {
                    parent: "tenants/vomar".into(),
                    csv: good.clone(),
                    publish: true,
                    request_id: uuid(),
                    ..Default::default()
                },
            );
            async move {
                match client.import_roster(request).await {
                    Err(status)
                        if status.message().contains("no employee")
                            || status.message().contains("no store") =>
                    {
                        Err(tonic::Status::not_found("not yet"))
                    }
                    other => other.map(|r| r.into_inner()),
                }
            }
        })
        .await;
    assert_eq!(imported.results.len(), 1);
    assert_eq!(imported.results[0].created, 2);
    assert!(imported.results[0].roster.ends_with("/rosters/2026-W49"));

    let bad = format!(
        "{header}\nS-9,Y-1,lea@vomar.example,2026-12-01T08:00,2026-12-01T16:00,,,0,\nS-1,Y-2,nobody@vomar.example,2026-12-01T08:00,2026-12-01T16:00,,,0,\nS-1,Y-3,lea@vomar.example,tomorrow,2026-12-01T16:00,,,ten,\n"
    );
    let err = p
        .scheduling
        .clone()
        .import_roster(bearer(
            &chain.admin.token,
            pb::ImportRosterRequest {
                parent: "tenants/vomar".into(),
                csv: bad,
                request_id: uuid(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let mut fields = violated_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "csv.line[2].store_code",
            "csv.line[3].employee_email",
            "csv.line[4].start_local",
            "csv.line[4].unpaid_break_minutes"
        ]
    );
    let wrong_header = p
        .scheduling
        .clone()
        .import_roster(bearer(
            &chain.admin.token,
            pb::ImportRosterRequest {
                parent: "tenants/vomar".into(),
                csv: "a,b\n1,2\n".into(),
                request_id: uuid(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&wrong_header), ["csv"]);
}
