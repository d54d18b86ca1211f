//! Read-your-writes across services: a client that wrote to identity hands the reply's
//! token to scheduling and is answered as if scheduling had already seen the write.

use breakroom_events::consistency::MIN_SEQUENCE_KEY;
use breakroom_proto::{identity::v1 as id, scheduling::v1 as pb};

use crate::support::*;

fn upsert(store: &str, employee: &str) -> pb::UpsertShiftRequest {
    pb::UpsertShiftRequest {
        shift: Some(shift(employee, "2027-03-01T09:00", "2027-03-01T13:00")),
        parent: store.into(),
        request_id: uuid(),
    }
}

#[tokio::test]
async fn a_person_invited_on_identity_is_planned_on_scheduling_at_once_with_the_token() {
    let p = Platform::spawn().await;
    let chain = p.chain("jumbo").await;
    for round in 0..50 {
        let invited = p
            .people
            .invite(
                &chain.tenant,
                &format!("p{round}@jumbo.example"),
                vec![role_in(&chain.store, id::Role::Employee)],
                &chain.admin.token,
            )
            .await;
        let employee = invited.user.unwrap().name;
        let request = p
            .people
            .with_token(bearer(&chain.admin.token, upsert(&chain.store, &employee)));
        p.scheduling
            .clone()
            .upsert_shift(request)
            .await
            .unwrap_or_else(|status| panic!("round {round}: {status:?}"));
    }
    // A store created a moment ago, with its first employee.
    for round in 0..5 {
        let store = p
            .people
            .store(&chain.tenant, &format!("N-{round}"), &chain.admin.token)
            .await;
        let invited = p
            .people
            .invite(
                &chain.tenant,
                &format!("n{round}@jumbo.example"),
                vec![role_in(&store, id::Role::Employee)],
                &chain.admin.token,
            )
            .await;
        let request = p.people.with_token(bearer(
            &chain.admin.token,
            upsert(&store, &invited.user.unwrap().name),
        ));
        p.scheduling
            .clone()
            .upsert_shift(request)
            .await
            .unwrap_or_else(|status| panic!("store round {round}: {status:?}"));
    }
}

#[tokio::test]
async fn every_call_refuses_a_garbage_token_naming_the_metadata_key() {
    let p = Platform::spawn().await;
    let chain = p.chain("vomar").await;
    let mut request = bearer(
        &chain.admin.token,
        pb::GetRosterRequest {
            name: format!("{}/rosters/2027-W09", chain.store),
        },
    );
    request
        .metadata_mut()
        .insert(MIN_SEQUENCE_KEY, "not-a-token".parse().unwrap());
    let status = p.scheduling.clone().get_roster(request).await.unwrap_err();
    assert_eq!(violated_fields(&status), [MIN_SEQUENCE_KEY]);
}
