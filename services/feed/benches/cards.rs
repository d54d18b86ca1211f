//! Card fan-out of a chain's week: time until every personal card is readable.
//!
//! `cargo bench -p breakroom-feed --bench cards` (needs NATS and PostgreSQL). Identity and
//! feed run in this process, feed's projector live and caught up. A chain of
//! `BENCH_STORES` stores (default 1,000) with `BENCH_PEOPLE` scheduled people each (60),
//! five shifts per person (300 per store): each store's `RosterPublished` is decided by
//! scheduling's own roster aggregate (drafts folded in, then `Publish`) and appended to
//! scheduling's stream with the kit's event store, 64 appends in flight, as scheduling
//! would record 1,000 publications made at once. Scheduling's service does not run: the
//! figure is feed's, from the commits being on the stream until every personal card is
//! in the read model; one scheduled person is a real identity user, whose card is then
//! read back through ListTimeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use breakroom_events::{aggregate::Aggregate, envelope::CommandMeta};
use breakroom_feed::config::FeedConfig;
use breakroom_identity::testing::{Identity, bearer};
use breakroom_proto::{
    feed::v1::{self as pb, CardKind, feed_service_client::FeedServiceClient, timeline_item::Item},
    scheduling::v1::{self as sc, roster_event::Event as Ro},
};
use breakroom_scheduling::domain::{
    roster::{Roster, RosterCommand},
    time::instant,
};
use chrono::{NaiveDate, TimeDelta};
use futures::{StreamExt, TryStreamExt};

const SHIFTS_PER_PERSON: usize = 5;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn uuid_like(a: usize, b: usize) -> String {
    format!("{a:08x}-0000-4000-8000-{b:012x}")
}

/// One store's week as scheduling decides its publication: `people` employees, each on
/// five day shifts 09:00-17:00 (Europe/Amsterdam, UTC+1 in winter) with a 30-minute break.
fn publication(store: usize, people: &[String]) -> Vec<sc::RosterEvent> {
    let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut roster = Roster::default();
    for (e, employee) in people.iter().enumerate() {
        for day in 0..SHIFTS_PER_PERSON {
            let date = monday + TimeDelta::days(day as i64);
            let start = date.and_hms_opt(8, 0, 0).unwrap().and_utc().timestamp();
            let drafted = sc::ShiftData {
                shift_id: uuid_like(store, e * SHIFTS_PER_PERSON + day),
                employee_id: employee.clone(),
                start_local: format!("{date}T09:00"),
                end_local: format!("{date}T17:00"),
                start_time: Some(prost_types::Timestamp {
                    seconds: start,
                    nanos: 0,
                }),
                end_time: Some(prost_types::Timestamp {
                    seconds: start + 8 * 3600,
                    nanos: 0,
                }),
                department_id: ["checkout", "fresh", "stock"][e % 3].into(),
                position: "Crew".into(),
                unpaid_break_minutes: 30,
                ..Default::default()
            };
            roster = roster.apply(&sc::RosterEvent {
                event: Some(Ro::ShiftDrafted(sc::ShiftDrafted {
                    shift: Some(drafted),
                })),
            });
        }
    }
    let now = prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp(),
        nanos: 0,
    };
    roster
        .decide(&RosterCommand::Publish {
            time_zone: "Europe/Amsterdam".into(),
            change_id: uuid_like(store, 999_999),
            now: instant(Some(&now)),
        })
        .unwrap()
}

#[tokio::main]
async fn main() {
    let stores = env_number("BENCH_STORES", 1_000);
    let per_store = env_number("BENCH_PEOPLE", 60);
    let env = breakroom_testing::TestEnv::new().await;
    let people = Identity::spawn(&env).await;
    // Scheduling's stream exists before feed starts, as on a running platform.
    let scheduling = env.infra("scheduling", None).await;
    let server = breakroom_feed::startup::build(FeedConfig::new(env.config("feed")))
        .await
        .unwrap();
    let running = breakroom_testing::spawn(server, "breakroom.feed.v1.FeedService").await;
    let feed = FeedServiceClient::new(running.channel().await);
    let chain = people.chain("bench").await;
    let reader = people
        .employee(&chain, &chain.store, "reader@bench.example")
        .await;

    let started = Instant::now();
    let weeks: Vec<(String, Vec<sc::RosterEvent>)> = (0..stores)
        .map(|s| {
            let mut staff: Vec<String> = (0..per_store).map(|e| uuid_like(s, e)).collect();
            if s == 0 {
                staff[0] = reader.id.clone();
            }
            let store = uuid_like(s, 0);
            (format!("{store}_2026W49"), publication(s, &staff))
        })
        .collect();
    let bytes: usize = weeks
        .iter()
        .map(|(_, events)| {
            events
                .iter()
                .map(prost::Message::encoded_len)
                .sum::<usize>()
        })
        .sum();
    println!(
        "decided {stores} publications ({} shifts, {} people; {:.1} MB of events) in {:.1?}",
        stores * per_store * SHIFTS_PER_PERSON,
        stores * per_store,
        bytes as f64 / 1e6,
        started.elapsed()
    );

    let pool = sqlx::PgPool::connect(&env.database_url("feed"))
        .await
        .unwrap();
    let personal_cards = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM posts WHERE tenant = 'bench' AND recipient_id <> '' \
             AND kind = 'card' AND id NOT LIKE 'welcome-%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = personal_cards().await;

    let store = &scheduling.store;
    let meta = CommandMeta::new("system/bench");
    let started = Instant::now();
    futures::stream::iter(weeks.iter())
        .map(|(id, events)| store.append::<Roster>("bench", id, 0, &meta, events))
        .buffer_unordered(64)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    let appended = started.elapsed();
    let expected = (stores * per_store) as i64;
    // Polled every 100 ms (a count over the recipient index), not in a tight loop: the
    // projector shares the 2 cores.
    let total = loop {
        let n = personal_cards().await - before;
        if n >= expected {
            break n;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "cards: {n} of {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let projected = started.elapsed();
    println!(
        "{stores} publications on scheduling's stream in {appended:.2?}; every personal card \
         ({total}) in feed's read model {projected:.2?} after the first append \
         ({:.0} cards/s)",
        total as f64 / projected.as_secs_f64()
    );

    let reply = feed
        .clone()
        .list_timeline(bearer(
            &reader.token,
            pb::ListTimelineRequest {
                parent: "tenants/bench".into(),
                page_size: 20,
                page_token: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let week = reply
        .items
        .into_iter()
        .find_map(|i| match i.item {
            Some(Item::Card(c)) if c.kind == CardKind::PersonalRoster as i32 => Some(c),
            _ => None,
        })
        .expect("the reader's week card");
    println!(
        "ListTimeline of a scheduled person: their week card with {} shifts, {} paid minutes",
        week.shift_changes.len(),
        week.fields["paid_minutes"]
    );
}
