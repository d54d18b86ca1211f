//! ListShiftClaims and ListShiftSwaps: planners see a store's claims and swaps to decide
//! them, employees their own and the offers they could take; each row carries its shift.

use breakroom_events::consistency::MIN_SEQUENCE_KEY;
use breakroom_proto::{identity::v1 as id, scheduling::v1 as pb};
use breakroom_testing::token;
use tonic::{Code, Request, Status};

use crate::support::*;

/// `body` as `who`, answered once scheduling has applied `seen` (a scheduling token) and
/// everything identity's fixtures wrote.
fn after<T>(p: &Platform, who: &Person, seen: &str, body: T) -> Request<T> {
    let mut request = bearer(&who.token, body);
    let tokens = format!("{seen},{}", p.people.token());
    request
        .metadata_mut()
        .insert(MIN_SEQUENCE_KEY, tokens.parse().unwrap());
    request
}

/// A published shift of `employee` (empty: open), `days` from today at `hours`.
async fn published(
    p: &Platform,
    chain: &Chain,
    employee: &str,
    days: i64,
    hours: (&str, &str),
) -> (pb::Shift, String) {
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(days))
        .unwrap();
    let planned = p
        .shift(
            &chain.admin.token,
            &chain.store,
            shift(
                employee,
                &format!("{day}T{}", hours.0),
                &format!("{day}T{}", hours.1),
            ),
        )
        .await;
    let reply = p
        .scheduling
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
    (planned, token(reply.metadata()))
}

async fn claim(p: &Platform, who: &Person, shift: &pb::Shift) -> (pb::ShiftClaim, String) {
    p.once_known(|| {
        let mut client = p.scheduling.clone();
        let request = bearer(
            &who.token,
            pb::ClaimOpenShiftRequest {
                shift: shift.name.clone(),
                request_id: uuid(),
            },
        );
        async move {
            let reply = client.claim_open_shift(request).await?;
            Ok((reply.get_ref().clone(), token(reply.metadata())))
        }
    })
    .await
}

/// `who` offers `shift` to `to` (`None`: anyone eligible).
async fn offer(
    p: &Platform,
    who: &Person,
    shift: &pb::Shift,
    to: Option<&Person>,
) -> (pb::ShiftSwap, String) {
    p.once_known(|| {
        let mut client = p.scheduling.clone();
        let request = bearer(
            &who.token,
            pb::OfferShiftRequest {
                shift: shift.name.clone(),
                offered_to: to.map(|t| t.name.clone()).unwrap_or_default(),
                request_id: uuid(),
            },
        );
        async move {
            let reply = client.offer_shift(request).await?;
            Ok((reply.get_ref().clone(), token(reply.metadata())))
        }
    })
    .await
}

async fn accept(p: &Platform, who: &Person, swap: &pb::ShiftSwap) -> String {
    p.once_known(|| {
        let mut client = p.scheduling.clone();
        let request = bearer(
            &who.token,
            pb::AcceptShiftOfferRequest {
                name: swap.name.clone(),
                request_id: uuid(),
            },
        );
        async move {
            let reply = client.accept_shift_offer(request).await?;
            Ok(token(reply.metadata()))
        }
    })
    .await
}

async fn claims(
    p: &Platform,
    who: &Person,
    seen: &str,
    request: pb::ListShiftClaimsRequest,
) -> Result<pb::ListShiftClaimsResponse, Status> {
    let request = after(p, who, seen, request);
    let reply = p.scheduling.clone().list_shift_claims(request).await?;
    Ok(reply.into_inner())
}

async fn swaps(
    p: &Platform,
    who: &Person,
    seen: &str,
    request: pb::ListShiftSwapsRequest,
) -> Result<pb::ListShiftSwapsResponse, Status> {
    let request = after(p, who, seen, request);
    let reply = p.scheduling.clone().list_shift_swaps(request).await?;
    Ok(reply.into_inner())
}

fn whole_store(chain: &Chain) -> String {
    format!("{}/shifts/-", chain.store)
}

/// The swaps `who` sees in the store, by name.
async fn swap_names(p: &Platform, who: &Person, seen: &str, chain: &Chain) -> Vec<String> {
    let listed = swaps(
        p,
        who,
        seen,
        pb::ListShiftSwapsRequest {
            parent: whole_store(chain),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut names: Vec<String> = listed.shift_swaps.into_iter().map(|s| s.name).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_planner_pages_through_a_stores_pending_claims_and_sees_accepted_swaps_with_their_shifts()
{
    let p = Platform::spawn_with(|config| {
        config.claim_policy = breakroom_scheduling::config::ClaimPolicy::Approval
    })
    .await;
    let chain = p.chain("hema").await;
    let manager = p
        .people
        .member(
            &chain,
            &chain.store,
            "manager@hema.example",
            id::Role::StoreManager,
        )
        .await;
    let a = p.employee(&chain, &chain.store, "a@hema.example").await;
    let b = p.employee(&chain, &chain.store, "b@hema.example").await;
    let anna = p.employee(&chain, &chain.store, "anna@hema.example").await;
    let ben = p.employee(&chain, &chain.store, "ben@hema.example").await;
    let (open, _) = published(&p, &chain, "", 4, ("10:00", "14:00")).await;
    let (annas, _) = published(&p, &chain, &anna.name, 5, ("07:00", "15:00")).await;
    let (a_claim, _) = claim(&p, &a, &open).await;
    let (b_claim, _) = claim(&p, &b, &open).await;
    let (swap, _) = offer(&p, &anna, &annas, Some(&ben)).await;
    let seen = accept(&p, &ben, &swap).await;

    let pending = |page_token: String| pb::ListShiftClaimsRequest {
        parent: whole_store(&chain),
        page_size: 1,
        page_token,
        filter: "state = PENDING".into(),
    };
    let first = claims(&p, &manager, &seen, pending(String::new()))
        .await
        .unwrap();
    assert_eq!(first.shift_claims.len(), 1);
    assert_eq!(first.shift_claims[0].name, b_claim.name, "newest first");
    let second = claims(&p, &manager, &seen, pending(first.next_page_token))
        .await
        .unwrap();
    assert_eq!(second.shift_claims.len(), 1);
    assert_eq!(second.shift_claims[0].name, a_claim.name);
    assert!(second.next_page_token.is_empty(), "two claims, two pages");
    let listed = &second.shift_claims[0];
    assert_eq!(listed.claimant, a.name);
    assert_eq!(listed.state, pb::shift_claim::State::Pending as i32);
    assert!(listed.create_time.is_some());
    let claimed = listed.shift.as_ref().expect("the claim carries its shift");
    assert_eq!(
        (claimed.name.as_str(), claimed.start_local.as_str()),
        (open.name.as_str(), open.start_local.as_str())
    );

    let accepted = swaps(
        &p,
        &manager,
        &seen,
        pb::ListShiftSwapsRequest {
            parent: whole_store(&chain),
            filter: "state = ACCEPTED".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(accepted.shift_swaps.len(), 1);
    let listed = &accepted.shift_swaps[0];
    assert_eq!(listed.name, swap.name);
    assert_eq!(
        (listed.offered_by.as_str(), listed.accepted_by.as_str()),
        (anna.name.as_str(), ben.name.as_str())
    );
    let offered = listed.shift.as_ref().expect("the swap carries its shift");
    assert_eq!(
        (offered.name.as_str(), offered.employee.as_str()),
        (annas.name.as_str(), anna.name.as_str()),
        "still Anna's until the manager approves"
    );

    let of_the_shift = claims(
        &p,
        &manager,
        &seen,
        pb::ListShiftClaimsRequest {
            parent: open.name.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(of_the_shift.shift_claims.len(), 2, "one shift as parent");
    let own = claims(
        &p,
        &a,
        &seen,
        pb::ListShiftClaimsRequest {
            parent: whole_store(&chain),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let own: Vec<_> = own.shift_claims.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        own,
        [a_claim.name.as_str()],
        "an employee sees their own claims"
    );

    let decided = p
        .scheduling
        .clone()
        .decide_claim(bearer(
            &manager.token,
            pb::DecideClaimRequest {
                name: b_claim.name.clone(),
                approve: true,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let seen = token(decided.metadata());
    let still_pending = claims(&p, &manager, &seen, pending(String::new()))
        .await
        .unwrap();
    assert!(still_pending.shift_claims.is_empty(), "both decided");
    let decided = claims(
        &p,
        &manager,
        &seen,
        pb::ListShiftClaimsRequest {
            parent: whole_store(&chain),
            filter: "state = STATE_APPROVED OR state = REJECTED".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let states: Vec<_> = decided
        .shift_claims
        .iter()
        .map(|c| (c.name.as_str(), c.state))
        .collect();
    assert_eq!(
        states,
        [
            (
                b_claim.name.as_str(),
                pb::shift_claim::State::Approved as i32
            ),
            (
                a_claim.name.as_str(),
                pb::shift_claim::State::Rejected as i32
            ),
        ]
    );
    assert_eq!(
        decided.shift_claims[0].shift.as_ref().unwrap().employee,
        b.name,
        "the shift as it is now"
    );
}

#[tokio::test]
async fn an_employee_sees_offers_to_them_and_to_anyone_eligible_but_not_a_colleagues_private_offer()
{
    let p = Platform::spawn().await;
    let chain = p.chain("dirk").await;
    let anna = p.employee(&chain, &chain.store, "anna@dirk.example").await;
    let ben = p.employee(&chain, &chain.store, "ben@dirk.example").await;
    let cem = p.employee(&chain, &chain.store, "cem@dirk.example").await;
    let dora = p.employee(&chain, &chain.store, "dora@dirk.example").await;
    let fresh_only = p
        .person(
            "dirk",
            "fenna@dirk.example",
            vec![id::Membership {
                store: chain.store.clone(),
                department_id: "fresh".into(),
                role: id::Role::Employee as i32,
            }],
            &chain.admin.token,
        )
        .await;
    // Both shifts are at the checkout.
    let (annas, _) = published(&p, &chain, &anna.name, 5, ("07:00", "15:00")).await;
    let (doras, _) = published(&p, &chain, &dora.name, 5, ("15:00", "22:00")).await;
    let (to_ben, _) = offer(&p, &anna, &annas, Some(&ben)).await;
    let (to_anyone, seen) = offer(&p, &dora, &doras, None).await;

    let mut both = vec![to_ben.name.clone(), to_anyone.name.clone()];
    both.sort();
    assert_eq!(swap_names(&p, &ben, &seen, &chain).await, both);
    assert_eq!(
        swap_names(&p, &anna, &seen, &chain).await,
        both,
        "her own offer, and Dora's open one she could take"
    );
    assert_eq!(
        swap_names(&p, &cem, &seen, &chain).await,
        std::slice::from_ref(&to_anyone.name),
        "not Anna's offer to Ben"
    );
    assert!(
        swap_names(&p, &fresh_only, &seen, &chain).await.is_empty(),
        "a checkout shift is not for someone of the fresh department"
    );
    let for_ben = swaps(
        &p,
        &ben,
        &seen,
        pb::ListShiftSwapsRequest {
            parent: whole_store(&chain),
            filter: "state = OFFERED".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let offered = for_ben
        .shift_swaps
        .iter()
        .find(|s| s.name == to_ben.name)
        .unwrap();
    assert_eq!(offered.offered_to, ben.name);
    assert_eq!(offered.shift.as_ref().unwrap().name, annas.name);

    let seen = accept(&p, &cem, &to_anyone).await;
    assert_eq!(
        swap_names(&p, &cem, &seen, &chain).await,
        std::slice::from_ref(&to_anyone.name),
        "the one Cem accepted"
    );
    assert_eq!(
        swap_names(&p, &ben, &seen, &chain).await,
        std::slice::from_ref(&to_ben.name),
        "Dora's shift is no longer on offer to anyone"
    );
}

#[tokio::test]
async fn bad_parents_filters_and_tokens_are_refused_precisely_and_other_stores_are_not_found() {
    let p = Platform::spawn().await;
    let chain = p.chain("vomar").await;
    let other = p.chain("deen").await;
    let elsewhere_store = p.store("vomar", "S-2", &chain.admin.token).await;
    let elsewhere = p
        .employee(&chain, &elsewhere_store, "els@vomar.example")
        .await;
    let admin = &chain.admin;
    let list = |parent: &str, filter: &str| pb::ListShiftClaimsRequest {
        parent: parent.into(),
        filter: filter.into(),
        ..Default::default()
    };
    let store_wide = whole_store(&chain);
    let seen = "scheduling:0";

    for (parent, filter, fields) in [
        ("tenants/vomar/stores/-/shifts/-", "", vec!["parent"]),
        (chain.store.as_str(), "", vec!["parent"]),
        ("", "", vec!["parent"]),
        (store_wide.as_str(), "state = OFFERED", vec!["filter"]),
        (store_wide.as_str(), "state != PENDING", vec!["filter"]),
        (
            store_wide.as_str(),
            "state = PENDING AND state = APPROVED",
            vec!["filter"],
        ),
        ("tenants/vomar", "claimant = me", vec!["parent", "filter"]),
    ] {
        let status = claims(&p, admin, seen, list(parent, filter))
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&status), fields, "{parent} {filter}");
    }
    let status = swaps(
        &p,
        admin,
        seen,
        pb::ListShiftSwapsRequest {
            parent: store_wide.clone(),
            filter: "state = PENDING".into(),
            page_size: -1,
            page_token: "garbage".into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["filter", "page_size"],
        "PENDING is a claim's state, not a swap's"
    );
    let status = claims(
        &p,
        admin,
        seen,
        pb::ListShiftClaimsRequest {
            parent: store_wide.clone(),
            page_token: "garbage".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(violated_fields(&status), ["page_token"]);

    for (who, parent) in [
        (&other.admin, store_wide.clone()),
        (admin, "tenants/vomar/stores/nowhere/shifts/-".to_owned()),
        (admin, format!("{}/shifts/nothing", chain.store)),
    ] {
        let status = claims(&p, who, seen, list(&parent, "")).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{parent}: {status:?}");
        let status = swaps(
            &p,
            who,
            seen,
            pb::ListShiftSwapsRequest {
                parent: parent.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{parent}: {status:?}");
    }
    let status = claims(&p, &elsewhere, seen, list(&store_wide, ""))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(breakroom_testing::reason(&status), "NOT_IN_STORE");
    let empty = claims(&p, admin, seen, list(&store_wide, ""))
        .await
        .unwrap();
    assert!(empty.shift_claims.is_empty() && empty.next_page_token.is_empty());
}
