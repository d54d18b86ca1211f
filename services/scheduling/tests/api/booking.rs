//! One person, one place at a time, across stores: concurrent planners, imports, claims
//! and swaps that would book one employee twice at the same time are decided on the
//! employee's bookings, so at most one of them wins — whatever the read model knows yet.

use breakroom_proto::{identity::v1::Role, scheduling::v1 as pb};
use futures::future::join_all;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::support::*;

const ROUNDS: usize = 10;
const CONCURRENT: usize = 20;

/// How the odd attempts of a round book the employee in the second store.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Path {
    Upsert,
    Import,
    Claim,
}

struct Setup {
    p: Platform,
    chain: Chain,
    second: String,
    dana: Person,
}

async fn setup(tenant: &str) -> Setup {
    setup_with(tenant, |_| {}).await
}

async fn setup_with(
    tenant: &str,
    adjust: impl FnOnce(&mut breakroom_scheduling::config::SchedulingConfig),
) -> Setup {
    let p = Platform::spawn_with(adjust).await;
    let chain = p.chain(tenant).await;
    let second = p.store(tenant, "S-2", &chain.admin.token).await;
    let dana = p
        .person(
            tenant,
            &format!("dana@{tenant}.example"),
            vec![
                role_in(&chain.store, Role::Employee),
                role_in(&second, Role::Employee),
            ],
            &chain.admin.token,
        )
        .await;
    // Scheduling knows Dana in both stores once a shift of hers is accepted in each.
    for (store, start, end) in [
        (&chain.store, "2027-02-01T06:00", "2027-02-01T07:00"),
        (&second, "2027-02-01T07:00", "2027-02-01T08:00"),
    ] {
        p.shift(
            &chain.admin.token,
            store,
            pb::Shift {
                department_id: String::new(),
                ..shift(&dana.name, start, end)
            },
        )
        .await;
    }
    Setup {
        p,
        chain,
        second,
        dana,
    }
}

/// Round `r`'s day (from Monday 2027-03-01, over two ISO weeks) and its week.
fn day(r: usize) -> (jiff::civil::Date, String) {
    let day = jiff::civil::date(2027, 3, 1)
        .checked_add(jiff::Span::new().days(r as i64))
        .unwrap();
    let iso = day.iso_week_date();
    (day, format!("{}-W{:02}", iso.year(), iso.week()))
}

/// Attempt `i` of a round: 09:00–17:00 moved by `i` × 5 minutes, so all overlap.
fn times(day: jiff::civil::Date, i: usize) -> (String, String) {
    let at = |hour: usize| {
        let minutes = hour * 60 + i * 5;
        format!("{day}T{:02}:{:02}", minutes / 60, minutes % 60)
    };
    (at(9), at(17))
}

fn refused_as_overlap(status: &Status) {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "SHIFT_OVERLAP",
        "{status:?}"
    );
}

/// Published open shifts in the second store for round `r`, one per odd attempt.
async fn open_shifts(s: &Setup, r: usize) -> Vec<String> {
    let (day, week) = day(r);
    let roster = format!("{}/rosters/{week}", s.second);
    let shifts = (0..CONCURRENT)
        .filter(|i| i % 2 == 1)
        .map(|i| {
            let (start, end) = times(day, i);
            pb::Shift {
                external_id: format!("open-{r}-{i}"),
                ..shift("", &start, &end)
            }
        })
        .map(|s| pb::Shift {
            department_id: String::new(),
            ..s
        })
        .collect();
    s.p.scheduling
        .clone()
        .import_roster(bearer(
            &s.chain.admin.token,
            pb::ImportRosterRequest {
                parent: format!("tenants/{}", s.chain.tenant),
                rosters: vec![pb::RosterImport {
                    roster: roster.clone(),
                    shifts,
                    full_week: false,
                }],
                publish: true,
                request_id: uuid(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let listed =
        s.p.scheduling
            .clone()
            .get_roster(bearer(
                &s.chain.admin.token,
                pb::GetRosterRequest { name: roster },
            ))
            .await
            .unwrap()
            .into_inner();
    listed
        .shifts
        .into_iter()
        .filter(|x| x.external_id.starts_with(&format!("open-{r}-")))
        .map(|x| x.name)
        .collect()
}

/// Runs a round of concurrent attempts; returns how many were accepted.
async fn round(s: &Setup, r: usize, path: Path) -> usize {
    let (day, week) = day(r);
    let open = if path == Path::Claim {
        open_shifts(s, r).await
    } else {
        vec![]
    };
    let attempts = (0..CONCURRENT).map(|i| {
        let mut client = s.p.scheduling.clone();
        let (start, end) = times(day, i);
        let planned = pb::Shift {
            department_id: String::new(),
            ..shift(&s.dana.name, &start, &end)
        };
        let admin = s.chain.admin.token.clone();
        let store = if i % 2 == 0 {
            &s.chain.store
        } else {
            &s.second
        };
        let open = open.get(i / 2).cloned();
        let (tenant, week, dana) = (s.chain.tenant.clone(), week.clone(), s.dana.token.clone());
        async move {
            let upsert = |store: &str| {
                bearer(
                    &admin,
                    pb::UpsertShiftRequest {
                        shift: Some(planned.clone()),
                        parent: store.to_owned(),
                        request_id: uuid(),
                    },
                )
            };
            match (path, i % 2) {
                (Path::Upsert, _) | (_, 0) => client.upsert_shift(upsert(store)).await.map(|_| ()),
                (Path::Import, _) => client
                    .import_roster(bearer(
                        &admin,
                        pb::ImportRosterRequest {
                            parent: format!("tenants/{tenant}"),
                            rosters: vec![pb::RosterImport {
                                roster: format!("{store}/rosters/{week}"),
                                shifts: vec![pb::Shift {
                                    external_id: format!("wfm-{r}-{i}"),
                                    ..planned.clone()
                                }],
                                full_week: false,
                            }],
                            request_id: uuid(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| ()),
                (Path::Claim, _) => client
                    .claim_open_shift(bearer(
                        &dana,
                        pb::ClaimOpenShiftRequest {
                            shift: open.unwrap(),
                            request_id: uuid(),
                        },
                    ))
                    .await
                    .map(|_| ()),
            }
        }
    });
    let results = join_all(attempts).await;
    let mut accepted = 0;
    for result in &results {
        match result {
            Ok(()) => accepted += 1,
            Err(status) => refused_as_overlap(status),
        }
    }
    accepted
}

async fn at_most_one_per_round(path: Path, tenant: &str) {
    let s = setup(tenant).await;
    for r in 0..ROUNDS {
        let accepted = round(&s, r, path).await;
        assert_eq!(accepted, 1, "round {r} by {path:?}: {accepted} accepted");
    }
    // What the rosters hold agrees: one shift of Dana's per round day.
    let mut held = 0;
    for r in 0..ROUNDS {
        let (_, week) = day(r);
        for store in [&s.chain.store, &s.second] {
            let roster =
                s.p.scheduling
                    .clone()
                    .get_roster(bearer(
                        &s.chain.admin.token,
                        pb::GetRosterRequest {
                            name: format!("{store}/rosters/{week}"),
                        },
                    ))
                    .await
                    .map(|r| r.into_inner().shifts)
                    .unwrap_or_default();
            held += roster
                .iter()
                .filter(|x| {
                    x.employee == s.dana.name && x.start_local.starts_with(&day(r).0.to_string())
                })
                .count();
        }
    }
    assert_eq!(held, ROUNDS, "one shift of Dana's per round in the rosters");
}

#[tokio::test]
async fn twenty_concurrent_plannings_of_one_person_in_two_stores_accept_one_per_round() {
    at_most_one_per_round(Path::Upsert, "booka").await;
}

#[tokio::test]
async fn imports_racing_planners_in_another_store_accept_one_per_round() {
    at_most_one_per_round(Path::Import, "bookb").await;
}

#[tokio::test]
async fn claims_racing_planners_in_another_store_accept_one_per_round() {
    at_most_one_per_round(Path::Claim, "bookc").await;
}

#[tokio::test]
async fn a_swap_racing_a_planner_in_another_store_accepts_one_per_round() {
    let s = setup_with("bookd", |c| {
        c.swap_policy = breakroom_scheduling::config::SwapPolicy::Auto;
    })
    .await;
    let eli =
        s.p.person(
            "bookd",
            "eli@bookd.example",
            vec![role_in(&s.second, Role::Employee)],
            &s.chain.admin.token,
        )
        .await;
    for r in 0..ROUNDS {
        let (day, week) = day(r);
        let (start, end) = times(day, 0);
        let offered =
            s.p.shift(
                &s.chain.admin.token,
                &s.second,
                pb::Shift {
                    department_id: String::new(),
                    ..shift(&eli.name, &start, &end)
                },
            )
            .await;
        s.p.scheduling
            .clone()
            .publish_roster(bearer(
                &s.chain.admin.token,
                pb::PublishRosterRequest {
                    name: format!("{}/rosters/{week}", s.second),
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap();
        let swap =
            s.p.once_known(|| {
                let mut client = s.p.scheduling.clone();
                let request = bearer(
                    &eli.token,
                    pb::OfferShiftRequest {
                        shift: offered.name.clone(),
                        offered_to: s.dana.name.clone(),
                        request_id: uuid(),
                    },
                );
                async move { client.offer_shift(request).await.map(|r| r.into_inner()) }
            })
            .await;
        let (start, end) = times(day, 1);
        let mut planner = s.p.scheduling.clone();
        let mut taker = s.p.scheduling.clone();
        let (plan, take) = tokio::join!(
            planner.upsert_shift(bearer(
                &s.chain.admin.token,
                pb::UpsertShiftRequest {
                    shift: Some(pb::Shift {
                        department_id: String::new(),
                        ..shift(&s.dana.name, &start, &end)
                    }),
                    parent: s.chain.store.clone(),
                    request_id: uuid(),
                },
            )),
            taker.accept_shift_offer(bearer(
                &s.dana.token,
                pb::AcceptShiftOfferRequest {
                    name: swap.name.clone(),
                    request_id: uuid(),
                },
            ))
        );
        let accepted = [plan.map(|_| ()), take.map(|_| ())]
            .into_iter()
            .map(|result| match result {
                Ok(()) => 1,
                Err(status) => {
                    refused_as_overlap(&status);
                    0
                }
            })
            .sum::<usize>();
        assert_eq!(accepted, 1, "round {r}");
    }
}

/// Appends a booking as a planner that crashed between booking and roster write would
/// have left it: booked at `booked`, for a shift no roster holds.
async fn crashed_booking(s: &Setup, date: &str, booked: jiff::Timestamp, shift: &str) {
    use breakroom_events::{aggregate::Aggregate, envelope::CommandMeta, event_store::EventStore};
    use breakroom_scheduling::domain::{
        booking::{Booking, booking_id},
        time::Week,
    };
    let config = s.p.env.config("scheduling");
    let js = async_nats::jetstream::new(s.p.env.nats().await);
    let store = EventStore::new(
        js,
        config.namespace.clone(),
        "scheduling",
        config.duplicate_window,
    );
    let instant = |t: &str| {
        let t: jiff::Timestamp = format!("{date}T{t}Z").parse().unwrap();
        Some(breakroom_scheduling::domain::time::timestamp(t))
    };
    let store_id = s.chain.store.rsplit('/').next().unwrap();
    let week = Week::of(format!("{date}T12:00").parse().unwrap());
    let event = pb::BookingEvent {
        event: Some(pb::booking_event::Event::ShiftBooked(pb::ShiftBooked {
            shift_id: shift.into(),
            roster_id: format!("{store_id}_{}", week.compact()),
            booking_id: "crashed".into(),
            // 09:00–17:00 in Amsterdam (CET) is 08:00–16:00 UTC.
            start_time: instant("08:00:00"),
            end_time: instant("16:00:00"),
            booked_time: Some(breakroom_scheduling::domain::time::timestamp(booked)),
        })),
    };
    let aggregate = booking_id(&s.dana.id, week);
    let version = store
        .version(Booking::TYPE, &s.chain.tenant, &aggregate)
        .await
        .unwrap();
    store
        .append::<Booking>(
            &s.chain.tenant,
            &aggregate,
            version,
            &CommandMeta::new("system/test"),
            &[event],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_booking_whose_shift_never_landed_blocks_only_until_it_settles() {
    let s = setup("booke").await;
    let now = jiff::Timestamp::now();
    let ago = |secs: i64| {
        now.checked_sub(jiff::SignedDuration::from_secs(secs))
            .unwrap()
    };
    // A crash a moment ago: its roster write may still be in flight, so it counts.
    crashed_booking(&s, "2027-03-01", ago(5), "fresh-ghost").await;
    // A crash two minutes ago: settled, and no roster holds it.
    crashed_booking(&s, "2027-03-02", ago(120), "old-ghost").await;
    let plan = |date: &str| {
        let mut client = s.p.scheduling.clone();
        let request = bearer(
            &s.chain.admin.token,
            pb::UpsertShiftRequest {
                shift: Some(pb::Shift {
                    department_id: String::new(),
                    ..shift(
                        &s.dana.name,
                        &format!("{date}T10:00"),
                        &format!("{date}T14:00"),
                    )
                }),
                parent: s.second.clone(),
                request_id: uuid(),
            },
        );
        async move { client.upsert_shift(request).await }
    };
    let blocked = plan("2027-03-01").await.unwrap_err();
    refused_as_overlap(&blocked);
    assert!(blocked.message().contains("fresh-ghost"), "{blocked:?}");
    plan("2027-03-02")
        .await
        .expect("an orphaned booking older than the grace period gives way");
}

#[tokio::test]
async fn a_claim_waiting_for_a_manager_is_refused_early_when_the_person_works_elsewhere() {
    let s = setup_with("bookf", |c| {
        c.claim_policy = breakroom_scheduling::config::ClaimPolicy::Approval;
    })
    .await;
    s.p.shift(
        &s.chain.admin.token,
        &s.chain.store,
        pb::Shift {
            department_id: String::new(),
            ..shift(&s.dana.name, "2027-03-01T09:00", "2027-03-01T17:00")
        },
    )
    .await;
    let open = open_shifts(&s, 0).await;
    let refused =
        s.p.scheduling
            .clone()
            .claim_open_shift(bearer(
                &s.dana.token,
                pb::ClaimOpenShiftRequest {
                    shift: open[0].clone(),
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap_err();
    refused_as_overlap(&refused);
}
