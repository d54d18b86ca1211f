//! The reasons the API answers are the ones each rpc documents in the proto, so clients
//! can branch on them.

use breakroom_proto::scheduling::v1 as pb;
use breakroom_testing::reason;
use tonic::Code;

use crate::support::*;

/// The reasons documented in `rpc`'s comment of scheduling_service.proto.
fn documented(rpc: &str) -> String {
    let proto = include_str!("../../../../proto/breakroom/scheduling/v1/scheduling_service.proto");
    let at = proto
        .find(&format!("rpc {rpc}("))
        .unwrap_or_else(|| panic!("no rpc {rpc}"));
    let comment_start = proto[..at].rfind("\n\n").unwrap_or(0);
    proto[comment_start..at].to_owned()
}

fn assert_documented(rpc: &str, status: &tonic::Status, code: Code) {
    assert_eq!(status.code(), code, "{rpc}: {status:?}");
    let reason = reason(status);
    assert!(
        documented(rpc).contains(&format!("`{reason}`")),
        "{rpc} answered {reason}, which its proto comment does not list"
    );
}

#[tokio::test]
async fn refusals_carry_the_reasons_their_rpc_documents() {
    let p = Platform::spawn().await;
    let chain = p.chain("plus").await;
    let anna = p.employee(&chain, &chain.store, "anna@plus.example").await;
    let other_store = p.store("plus", "S-2", &chain.admin.token).await;
    let upsert = |token: &str, store: &str, start: &str, end: &str| {
        p.people.with_token(bearer(
            token,
            pb::UpsertShiftRequest {
                shift: Some(shift(&anna.name, start, end)),
                parent: store.into(),
                request_id: uuid(),
            },
        ))
    };
    let not_a_planner = p
        .scheduling
        .clone()
        .upsert_shift(upsert(
            &anna.token,
            &chain.store,
            "2027-05-03T09:00",
            "2027-05-03T12:00",
        ))
        .await
        .unwrap_err();
    assert_documented("UpsertShift", &not_a_planner, Code::PermissionDenied);

    p.scheduling
        .clone()
        .upsert_shift(upsert(
            &chain.admin.token,
            &chain.store,
            "2027-05-03T09:00",
            "2027-05-03T12:00",
        ))
        .await
        .unwrap();
    let overlap = p
        .scheduling
        .clone()
        .upsert_shift(upsert(
            &chain.admin.token,
            &chain.store,
            "2027-05-03T11:00",
            "2027-05-03T14:00",
        ))
        .await
        .unwrap_err();
    assert_documented("UpsertShift", &overlap, Code::FailedPrecondition);
    assert_eq!(reason(&overlap), "SHIFT_OVERLAP");

    let not_in_store = p
        .scheduling
        .clone()
        .get_roster(p.people.with_token(bearer(
            &anna.token,
            pb::GetRosterRequest {
                name: format!("{other_store}/rosters/2027-W18"),
            },
        )))
        .await
        .unwrap_err();
    assert_documented("GetRoster", &not_in_store, Code::PermissionDenied);
}
