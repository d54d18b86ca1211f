//! Swaps and acknowledgements: an employee offers a shift, a colleague accepts, the
//! manager decides; employees acknowledge what changed for them.

use breakroom_proto::scheduling::v1 as pb;
use prost::Message;
use tonic::Code;

use crate::{rosters::recorded, support::*};

struct Setup {
    p: Platform,
    chain: Chain,
    anna: Person,
    ben: Person,
    cem: Person,
    shift: pb::Shift,
}

async fn setup(tenant: &str) -> Setup {
    let p = Platform::spawn().await;
    let chain = p.chain(tenant).await;
    let anna = p
        .employee(&chain, &chain.store, &format!("anna@{tenant}.example"))
        .await;
    let ben = p
        .employee(&chain, &chain.store, &format!("ben@{tenant}.example"))
        .await;
    let cem = p
        .employee(&chain, &chain.store, &format!("cem@{tenant}.example"))
        .await;
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(5))
        .unwrap();
    let shift = p
        .shift(
            &chain.admin.token,
            &chain.store,
            shift(&anna.name, &format!("{day}T07:00"), &format!("{day}T15:00")),
        )
        .await;
    p.scheduling
        .clone()
        .publish_roster(bearer(
            &chain.admin.token,
            pb::PublishRosterRequest {
                name: shift.roster.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    Setup {
        p,
        chain,
        anna,
        ben,
        cem,
        shift,
    }
}

async fn offer(s: &Setup, to: &Person) -> pb::ShiftSwap {
    s.p.once_known(|| {
        let mut client = s.p.scheduling.clone();
        let request = bearer(
            &s.anna.token,
            pb::OfferShiftRequest {
                shift: s.shift.name.clone(),
                offered_to: to.name.clone(),
                request_id: uuid(),
            },
        );
        async move { client.offer_shift(request).await.map(|r| r.into_inner()) }
    })
    .await
}

async fn accept(
    s: &Setup,
    who: &Person,
    swap: &pb::ShiftSwap,
) -> Result<pb::ShiftSwap, tonic::Status> {
    s.p.once_known(|| {
        let mut client = s.p.scheduling.clone();
        let request = bearer(
            &who.token,
            pb::AcceptShiftOfferRequest {
                name: swap.name.clone(),
                request_id: uuid(),
            },
        );
        async move {
            match client.accept_shift_offer(request).await {
                Ok(r) => Ok(Ok(r.into_inner())),
                Err(status)
                    if status.code() == Code::PermissionDenied
                        && status.message().contains("not for you") =>
                {
                    Ok(Err(status))
                }
                Err(status) => Err(status),
            }
        }
    })
    .await
}

async fn employee_of(s: &Setup) -> String {
    let roster =
        s.p.scheduling
            .clone()
            .get_roster(bearer(
                &s.chain.admin.token,
                pb::GetRosterRequest {
                    name: s.shift.roster.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
    roster
        .shifts
        .into_iter()
        .find(|x| x.name == s.shift.name)
        .unwrap()
        .employee
}

#[tokio::test]
async fn a_swap_offered_accepted_and_approved_gives_the_shift_to_the_colleague() {
    let s = setup("plus").await;
    let swap = offer(&s, &s.ben).await;
    assert_eq!(swap.state, pb::shift_swap::State::Offered as i32);
    let stranger = accept(&s, &s.cem, &swap).await.unwrap_err();
    assert_eq!(
        stranger.code(),
        Code::PermissionDenied,
        "offered to Ben only"
    );
    let accepted = accept(&s, &s.ben, &swap).await.unwrap();
    assert_eq!(accepted.state, pb::shift_swap::State::Accepted as i32);
    assert_eq!(
        employee_of(&s).await,
        s.anna.name,
        "still Anna's until approved"
    );
    let approved =
        s.p.scheduling
            .clone()
            .decide_swap(bearer(
                &s.chain.admin.token,
                pb::DecideSwapRequest {
                    name: swap.name.clone(),
                    approve: true,
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
    assert_eq!(approved.state, pb::shift_swap::State::Approved as i32);
    assert_eq!(employee_of(&s).await, s.ben.name);
}

#[tokio::test]
async fn a_rejected_swap_leaves_the_shift_where_it_was() {
    let s = setup("spar").await;
    let swap = offer(&s, &s.ben).await;
    accept(&s, &s.ben, &swap).await.unwrap();
    let employee_decides =
        s.p.scheduling
            .clone()
            .decide_swap(bearer(
                &s.ben.token,
                pb::DecideSwapRequest {
                    name: swap.name.clone(),
                    approve: true,
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap_err();
    assert_eq!(employee_decides.code(), Code::PermissionDenied);
    let rejected =
        s.p.scheduling
            .clone()
            .decide_swap(bearer(
                &s.chain.admin.token,
                pb::DecideSwapRequest {
                    name: swap.name.clone(),
                    approve: false,
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
    assert_eq!(rejected.state, pb::shift_swap::State::Rejected as i32);
    assert_eq!(employee_of(&s).await, s.anna.name);
    let not_mine =
        s.p.scheduling
            .clone()
            .offer_shift(bearer(
                &s.ben.token,
                pb::OfferShiftRequest {
                    shift: s.shift.name.clone(),
                    offered_to: String::new(),
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap_err();
    assert_eq!(
        not_mine.code(),
        Code::FailedPrecondition,
        "Ben cannot offer Anna's shift"
    );
}

#[tokio::test]
async fn an_employee_acknowledges_the_notice_of_their_published_shifts() {
    let s = setup("coop").await;
    let commits = recorded(&s.p, "roster.coop.*").await;
    let anna_id = s.anna.name.rsplit('/').next().unwrap();
    let notice = commits
        .iter()
        .flat_map(|c| &c.events)
        .find_map(
            |e| match pb::RosterEvent::decode(e.payload.as_slice()).unwrap().event {
                Some(pb::roster_event::Event::Published(p)) => {
                    p.employees.into_iter().find(|x| x.employee_id == anna_id)
                }
                _ => None,
            },
        )
        .unwrap();
    let name = format!("{}/shiftChanges/{}", s.anna.name, notice.notice_id);
    let acknowledged =
        s.p.scheduling
            .clone()
            .acknowledge_shift_change(bearer(
                &s.anna.token,
                pb::AcknowledgeShiftChangeRequest {
                    name: name.clone(),
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
    assert!(acknowledged.acknowledge_time.is_some());
    let roster =
        s.p.scheduling
            .clone()
            .get_roster(bearer(
                &s.chain.admin.token,
                pb::GetRosterRequest {
                    name: s.shift.roster.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
    assert!(
        !roster.unacknowledged_changes.contains(&name),
        "managers see Anna has acknowledged"
    );
    assert_eq!(acknowledged.changes.len(), 1);
    assert_eq!(
        acknowledged.changes[0].kind,
        pb::shift_change::Kind::Added as i32
    );
    assert_eq!(
        acknowledged.changes[0].after.as_ref().unwrap().name,
        s.shift.name
    );
    let someone_else =
        s.p.scheduling
            .clone()
            .acknowledge_shift_change(bearer(
                &s.ben.token,
                pb::AcknowledgeShiftChangeRequest {
                    name,
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap_err();
    assert_eq!(someone_else.code(), Code::PermissionDenied);
}
