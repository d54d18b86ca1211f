//! Open shifts: eligible employees claim them; of concurrent claims exactly one wins.

use breakroom_proto::scheduling::v1 as pb;
use tonic::Code;

use crate::support::*;

async fn open_shift(p: &Platform, chain: &Chain) -> pb::Shift {
    open_shift_in(p, chain, 4).await.0
}

/// A published open shift `days` from today, and the publication's consistency token.
async fn open_shift_in(p: &Platform, chain: &Chain, days: i64) -> (pb::Shift, String) {
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(days))
        .unwrap();
    let open = p
        .shift(
            &chain.admin.token,
            &chain.store,
            shift("", &format!("{day}T10:00"), &format!("{day}T14:00")),
        )
        .await;
    let published = p
        .scheduling
        .clone()
        .publish_roster(bearer(
            &chain.admin.token,
            pb::PublishRosterRequest {
                name: open.roster.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    (open, breakroom_testing::token(published.metadata()))
}

#[tokio::test]
async fn of_concurrent_claims_on_one_open_shift_exactly_one_wins() {
    let p = Platform::spawn().await;
    let chain = p.chain("lidl").await;
    let mut people = Vec::new();
    for i in 0..5 {
        people.push(
            p.employee(&chain, &chain.store, &format!("p{i}@lidl.example"))
                .await,
        );
    }
    let open = open_shift(&p, &chain).await;
    // Wait until scheduling knows every claimant.
    for person in &people {
        p.once_known(|| {
            let mut client = p.scheduling.clone();
            let request = bearer(
                &person.token,
                pb::ListOpenShiftsRequest {
                    parent: chain.store.clone(),
                    ..Default::default()
                },
            );
            async move { client.list_open_shifts(request).await }
        })
        .await;
    }
    let claims = people.iter().map(|person| {
        let mut client = p.scheduling.clone();
        let request = bearer(
            &person.token,
            pb::ClaimOpenShiftRequest {
                shift: open.name.clone(),
                request_id: uuid(),
            },
        );
        async move { client.claim_open_shift(request).await }
    });
    let results = futures::future::join_all(claims).await;
    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert_eq!(
        won[0].get_ref().state,
        pb::shift_claim::State::Approved as i32
    );
    for lost in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(lost.code(), Code::FailedPrecondition, "{lost:?}");
        assert!(lost.message().contains("not an open"), "{lost:?}");
    }
    let winner = won[0].get_ref().claimant.clone();
    let assigned = breakroom_testing::eventually(std::time::Duration::from_secs(10), || async {
        let roster = p
            .scheduling
            .clone()
            .get_roster(bearer(
                &chain.admin.token,
                pb::GetRosterRequest {
                    name: open.roster.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        roster
            .shifts
            .into_iter()
            .find(|s| s.name == open.name && !s.employee.is_empty())
    })
    .await;
    assert_eq!(assigned.employee, winner);
}

#[tokio::test]
async fn a_claim_for_another_department_or_store_is_refused() {
    let p = Platform::spawn().await;
    let chain = p.chain("aldi").await;
    let other_store = p.store("aldi", "S-2", &chain.admin.token).await;
    let fresh_only = p
        .person(
            "aldi",
            "fresh@aldi.example",
            vec![breakroom_proto::identity::v1::Membership {
                store: chain.store.clone(),
                department_id: "fresh".into(),
                role: breakroom_proto::identity::v1::Role::Employee as i32,
            }],
            &chain.admin.token,
        )
        .await;
    let elsewhere = p.employee(&chain, &other_store, "else@aldi.example").await;
    let open = open_shift(&p, &chain).await;
    let refused = p
        .once_known(|| {
            let mut client = p.scheduling.clone();
            let request = bearer(
                &fresh_only.token,
                pb::ClaimOpenShiftRequest {
                    shift: open.name.clone(),
                    request_id: uuid(),
                },
            );
            async move {
                match client.claim_open_shift(request).await {
                    Err(status) if status.code() == Code::FailedPrecondition => Ok(status),
                    Err(status) => Err(status),
                    Ok(claim) => panic!("accepted: {claim:?}"),
                }
            }
        })
        .await;
    use tonic_types::StatusExt;
    assert_eq!(
        refused.get_details_error_info().unwrap().reason,
        "NOT_ELIGIBLE"
    );
    let not_member = p
        .scheduling
        .clone()
        .claim_open_shift(bearer(
            &elsewhere.token,
            pb::ClaimOpenShiftRequest {
                shift: open.name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(
            not_member.code(),
            Code::PermissionDenied | Code::Unauthenticated
        ),
        "{not_member:?}"
    );
}

#[tokio::test]
async fn with_the_approval_policy_a_manager_picks_one_claim_and_the_others_are_rejected() {
    let p = Platform::spawn_with(|config| {
        config.claim_policy = breakroom_scheduling::config::ClaimPolicy::Approval
    })
    .await;
    let chain = p.chain("jumbo").await;
    let a = p.employee(&chain, &chain.store, "a@jumbo.example").await;
    let b = p.employee(&chain, &chain.store, "b@jumbo.example").await;
    let open = open_shift(&p, &chain).await;
    let mut claims = Vec::new();
    for person in [&a, &b] {
        let claim = p
            .once_known(|| {
                let mut client = p.scheduling.clone();
                let request = bearer(
                    &person.token,
                    pb::ClaimOpenShiftRequest {
                        shift: open.name.clone(),
                        request_id: uuid(),
                    },
                );
                async move {
                    client
                        .claim_open_shift(request)
                        .await
                        .map(|r| r.into_inner())
                }
            })
            .await;
        assert_eq!(claim.state, pb::shift_claim::State::Pending as i32);
        claims.push(claim);
    }
    let employee_decides = p
        .scheduling
        .clone()
        .decide_claim(bearer(
            &a.token,
            pb::DecideClaimRequest {
                name: claims[0].name.clone(),
                approve: true,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(employee_decides.code(), Code::PermissionDenied);
    let approved = p
        .scheduling
        .clone()
        .decide_claim(bearer(
            &chain.admin.token,
            pb::DecideClaimRequest {
                name: claims[1].name.clone(),
                approve: true,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (approved.state, approved.claimant.as_str()),
        (pb::shift_claim::State::Approved as i32, b.name.as_str())
    );
    let late = p
        .scheduling
        .clone()
        .decide_claim(bearer(
            &chain.admin.token,
            pb::DecideClaimRequest {
                name: claims[0].name.clone(),
                approve: true,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    use tonic_types::StatusExt;
    assert_eq!(
        late.get_details_error_info().unwrap().reason,
        "CLAIM_DECIDED",
        "the other claim was rejected with the approval"
    );
}

#[tokio::test]
async fn open_shifts_months_ahead_are_listed_for_planners_and_eligible_employees() {
    let p = Platform::spawn().await;
    let chain = p.chain("boni").await;
    let anna = p.employee(&chain, &chain.store, "anna@boni.example").await;
    let (soon, _) = open_shift_in(&p, &chain, 3).await;
    let (summer, published) = open_shift_in(&p, &chain, 150).await;
    for token in [&chain.admin.token, &anna.token] {
        let mut request = p.people.with_token(bearer(
            token,
            pb::ListOpenShiftsRequest {
                parent: chain.store.clone(),
                page_size: 1,
                ..Default::default()
            },
        ));
        let both = format!("{published},{}", p.people.token());
        request.metadata_mut().insert(
            breakroom_events::consistency::MIN_SEQUENCE_KEY,
            both.parse().unwrap(),
        );
        let first = p
            .scheduling
            .clone()
            .list_open_shifts(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first.shifts[0].name, soon.name);
        let second = p
            .scheduling
            .clone()
            .list_open_shifts(bearer(
                token,
                pb::ListOpenShiftsRequest {
                    parent: chain.store.clone(),
                    page_size: 1,
                    page_token: first.next_page_token,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            second.shifts[0].name, summer.name,
            "150 days ahead (soon: {})",
            soon.name
        );
    }
}
