//! Time off: requested by an employee, decided by the store's manager; approval flags the
//! published shifts it collides with.

use breakroom_proto::scheduling::v1 as pb;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn approving_time_off_flags_the_published_shifts_it_collides_with() {
    let p = Platform::spawn().await;
    let chain = p.chain("hoogvliet").await;
    let nina = p
        .employee(&chain, &chain.store, "nina@hoogvliet.example")
        .await;
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(6))
        .unwrap();
    let planned = p
        .shift(
            &chain.admin.token,
            &chain.store,
            shift(&nina.name, &format!("{day}T08:00"), &format!("{day}T16:00")),
        )
        .await;
    p.scheduling
        .clone()
        .publish_roster(bearer(
            &chain.admin.token,
            pb::PublishRosterRequest {
                name: planned.roster.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let ask = |start: String, end: String| pb::RequestTimeOffRequest {
        parent: nina.name.clone(),
        time_off_request: Some(pb::TimeOffRequest {
            store: chain.store.clone(),
            start_date: start,
            end_date: end,
            reason: "Family wedding".into(),
            ..Default::default()
        }),
        request_id: uuid(),
    };
    let backwards = p
        .scheduling
        .clone()
        .request_time_off(bearer(
            &nina.token,
            ask(format!("{day}"), "2020-01-01".into()),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&backwards), ["time_off_request.end_date"]);
    let requested = p
        .once_known(|| {
            let mut client = p.scheduling.clone();
            let request = bearer(
                &nina.token,
                ask(format!("{day}"), format!("{}", day.tomorrow().unwrap())),
            );
            async move {
                client
                    .request_time_off(request)
                    .await
                    .map(|r| r.into_inner())
            }
        })
        .await;
    assert_eq!(requested.state, pb::time_off_request::State::Pending as i32);
    let self_approval = p
        .scheduling
        .clone()
        .decide_time_off(bearer(
            &nina.token,
            pb::DecideTimeOffRequest {
                name: requested.name.clone(),
                approve: true,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(self_approval.code(), Code::PermissionDenied);
    let approved = p
        .scheduling
        .clone()
        .decide_time_off(bearer(
            &chain.admin.token,
            pb::DecideTimeOffRequest {
                name: requested.name.clone(),
                approve: true,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let sequence = approved
        .metadata()
        .get("breakroom-sequence")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let approved = approved.into_inner();
    assert_eq!(approved.state, pb::time_off_request::State::Approved as i32);
    assert_eq!(
        approved.conflicting_shifts,
        std::slice::from_ref(&planned.name)
    );

    let mut list = bearer(
        &chain.admin.token,
        pb::ListTimeOffRequestsRequest {
            parent: chain.store.clone(),
            ..Default::default()
        },
    );
    list.metadata_mut()
        .insert("breakroom-min-sequence", sequence.parse().unwrap());
    let listed = p
        .scheduling
        .clone()
        .list_time_off_requests(list)
        .await
        .unwrap()
        .into_inner()
        .time_off_requests;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].conflicting_shifts, [planned.name]);
    let own = p
        .scheduling
        .clone()
        .list_time_off_requests(bearer(
            &nina.token,
            pb::ListTimeOffRequestsRequest {
                parent: nina.name.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .time_off_requests;
    assert_eq!(own.len(), 1);
    let store_list_for_employee = p
        .scheduling
        .clone()
        .list_time_off_requests(bearer(
            &nina.token,
            pb::ListTimeOffRequestsRequest {
                parent: chain.store.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(store_list_for_employee.code(), Code::PermissionDenied);
}
