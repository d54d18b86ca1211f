//! Feed's read and fan-out figures.
//!
//! `cargo bench -p breakroom-feed --bench timeline` (needs NATS and PostgreSQL). Identity
//! and feed run in this process. A reader belongs to 10 groups (news, help, their store,
//! two departments, five custom groups); the tenant's posts are seeded in bulk SQL
//! straight into feed's read model (`BENCH_POSTS`, default 1,000,000; one in ten lands in
//! the reader's groups), because a million CreatePost calls would take longer than the
//! measurement. Then:
//!
//! 1. ListTimeline (first pages of 20, and every fourth call a second page) from 200
//!    concurrent readers, open loop at rising target rates for `BENCH_SECONDS` (5) each,
//!    then closed loop: achieved rate, p50 and p99 per step; the highest rate held with
//!    p99 <= 50 ms is printed last.
//! 2. CreatePost from 50 concurrent writers (1,000 posts).
//! 3. A chain-wide must-read announcement to 60,000 people (seeded into feed's directory
//!    replica in bulk SQL, 1,000 stores): time until the reply, until every obligation
//!    exists and the roll-up answers, and GetAcknowledgementReport latency.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use breakroom_feed::config::FeedConfig;
use breakroom_identity::testing::{Identity, bearer, uuid};
use breakroom_proto::feed::v1::{self as pb, feed_service_client::FeedServiceClient};
use breakroom_testing::TestEnv;
use tonic::transport::Channel;

const READERS: usize = 200;
const CONNECTIONS: usize = 8;
const AUDIENCE: i64 = 60_000;

fn client(channel: &Channel) -> FeedServiceClient<Channel> {
    FeedServiceClient::new(channel.clone()).max_decoding_message_size(64 * 1024 * 1024)
}

fn timeline(token: &str, page_token: &str) -> tonic::Request<pb::ListTimelineRequest> {
    bearer(
        token,
        pb::ListTimelineRequest {
            parent: "tenants/bench".into(),
            page_size: 20,
            page_token: page_token.into(),
        },
    )
}

/// One load step: `READERS` tasks, each pacing itself to `rate / READERS` calls per
/// second (`None`: back to back), for `duration`. Returns (calls/s, p50, p99, errors).
async fn step(
    readers: usize,
    channels: &[Channel],
    token: &str,
    second_page: &str,
    rate: Option<f64>,
    duration: Duration,
) -> (f64, Duration, Duration, usize) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..readers)
        .map(|r| {
            let client = client(&channels[r % channels.len()]);
            let (token, second_page) = (token.to_owned(), second_page.to_owned());
            tokio::spawn(async move {
                // Readers are spread evenly over the period, not fired together.
                let mut ticker = rate.map(|rate| {
                    let period = Duration::from_secs_f64(readers as f64 / rate);
                    let offset = period.mul_f64(r as f64 / readers as f64);
                    let start = tokio::time::Instant::now() + offset;
                    let mut t = tokio::time::interval_at(start, period);
                    t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    t
                });
                let (mut latencies, mut errors, mut i) = (Vec::new(), 0, r);
                while started.elapsed() < duration {
                    if let Some(t) = ticker.as_mut() {
                        t.tick().await;
                    }
                    let page = if i % 4 == 3 { second_page.as_str() } else { "" };
                    i += 1;
                    let sent = Instant::now();
                    match client.clone().list_timeline(timeline(&token, page)).await {
                        Ok(reply) => {
                            assert_eq!(reply.get_ref().items.len(), 20);
                            latencies.push(sent.elapsed());
                        }
                        Err(_) => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    (
        latencies.len() as f64 / elapsed.as_secs_f64(),
        at(0.5),
        at(0.99),
        errors,
    )
}

/// Seeds `posts` rows: one in ten in the reader's `groups`, the rest over 2,000 others.
async fn seed_posts(pool: &sqlx::PgPool, groups: &[String], author: &str, posts: i64) {
    let chunk = 100_000;
    let mut from = 1;
    while from <= posts {
        let to = (from + chunk - 1).min(posts);
        sqlx::query(
            "INSERT INTO posts (tenant, id, group_id, kind, author_id, body, create_time) \
             SELECT 'bench', 'seed' || i, CASE WHEN i % 10 = 0 \
               THEN ($1::text[])[1 + (i / 10) % cardinality($1::text[])] \
               ELSE 'bulk-' || (i % 2000) END, \
             'post', $2, 'Seeded post ' || i, now() - make_interval(secs => i) \
             FROM generate_series($3::bigint, $4::bigint) i",
        )
        .bind(groups)
        .bind(author)
        .bind(from)
        .bind(to)
        .execute(pool)
        .await
        .unwrap();
        from = to + 1;
    }
    sqlx::query("ANALYZE posts").execute(pool).await.unwrap();
}

/// Seeds 1,000 stores and `AUDIENCE` people (one role each, every 20th a team lead) into
/// feed's replica of identity's directory.
async fn seed_directory(pool: &sqlx::PgPool) {
    sqlx::query(
        "INSERT INTO kit_directory_stores (tenant, id, display_name, store_code, region, time_zone) \
         SELECT 'bench', 'st' || s, 'Store ' || s, 'B-' || s, 'r' || (s % 10), 'Europe/Amsterdam' \
         FROM generate_series(0, 999) s",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO kit_directory_users (tenant, id, display_name, email, phone, state, invite_time) \
         SELECT 'bench', lpad(to_hex(i), 8, '0') || '-0000-4000-8000-000000000000', 'Person ' || i, \
         'p' || i || '@bench.example', '', 'active', now() FROM generate_series(1, $1) i",
    )
    .bind(AUDIENCE)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO kit_directory_memberships (tenant, user_id, store_id, department_id, role) \
         SELECT 'bench', lpad(to_hex(i), 8, '0') || '-0000-4000-8000-000000000000', 'st' || (i % 1000), '', \
         CASE WHEN i % 20 = 0 THEN 'team_lead' ELSE 'employee' END FROM generate_series(1, $1) i",
    )
    .bind(AUDIENCE)
    .execute(pool)
    .await
    .unwrap();
    // A chain's directory is long-lived: give the planner its statistics, as autovacuum
    // would.
    sqlx::query("ANALYZE kit_directory_stores, kit_directory_users, kit_directory_memberships")
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let posts: i64 = std::env::var("BENCH_POSTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let env = TestEnv::new().await;
    let people = Identity::spawn(&env).await;
    let server = breakroom_feed::startup::build(FeedConfig::new(env.config("feed")))
        .await
        .unwrap();
    let running = breakroom_testing::spawn(server, "breakroom.feed.v1.FeedService").await;
    let mut channels = Vec::new();
    for _ in 0..CONNECTIONS {
        channels.push(running.channel().await);
    }
    let feed = client(&channels[0]);
    let chain = people.chain("bench").await;
    let reader = people
        .employee(&chain, &chain.store, "reader@bench.example")
        .await;
    for i in 0..5 {
        let request = people.with_token(bearer(
            &chain.admin.token,
            pb::CreateGroupRequest {
                parent: "tenants/bench".into(),
                group: Some(pb::Group {
                    display_name: format!("Crew {i}"),
                    ..Default::default()
                }),
                members: vec![reader.name.clone()],
                request_id: uuid(),
            },
        ));
        feed.clone().create_group(request).await.unwrap();
    }
    let groups: Vec<String> = breakroom_testing::eventually(Duration::from_secs(30), || {
        let mut feed = feed.clone();
        let request = people.with_token(bearer(
            &reader.token,
            pb::ListMyGroupsRequest {
                parent: "tenants/bench".into(),
                ..Default::default()
            },
        ));
        async move {
            let groups = feed.list_my_groups(request).await.ok()?.into_inner().groups;
            (groups.len() == 10).then(|| {
                groups
                    .into_iter()
                    .map(|g| g.name.rsplit('/').next().unwrap().to_owned())
                    .collect()
            })
        }
    })
    .await;

    let pool = sqlx::PgPool::connect(&env.database_url("feed"))
        .await
        .unwrap();
    let started = Instant::now();
    seed_posts(&pool, &groups, &chain.admin.id, posts).await;
    println!(
        "seeded {posts} posts in bulk SQL ({} in the reader's 10 groups) in {:.1?}",
        posts / 10,
        started.elapsed()
    );
    let first = feed
        .clone()
        .list_timeline(timeline(&reader.token, ""))
        .await
        .unwrap();
    let second_page = first.into_inner().next_page_token;

    let duration = Duration::from_secs(seconds);
    let (achieved, p50, p99, _) =
        step(1, &channels, &reader.token, &second_page, None, duration).await;
    println!(
        "ListTimeline 1 reader back to back: {achieved:>6.0} calls/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    let mut held = None;
    for rate in [
        50.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 1250.0, 1500.0, 1750.0, 2000.0, 2500.0, 3000.0,
    ] {
        let (achieved, p50, p99, errors) = step(
            READERS,
            &channels,
            &reader.token,
            &second_page,
            Some(rate),
            duration,
        )
        .await;
        println!(
            "ListTimeline {READERS} readers, target {rate:>5.0}/s: {achieved:>6.0} calls/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {errors}",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
        if p99 <= Duration::from_millis(50) && errors == 0 && achieved >= rate * 0.9 {
            held = Some(achieved);
        } else {
            break;
        }
    }
    let (achieved, p50, p99, errors) = step(
        READERS,
        &channels,
        &reader.token,
        &second_page,
        None,
        duration,
    )
    .await;
    println!(
        "ListTimeline {READERS} readers, closed loop: {achieved:>6.0} calls/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {errors}",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    println!(
        "ListTimeline: highest rate held with p99 <= 50 ms: {}",
        held.map_or("none of the steps".to_owned(), |r| format!(
            "{r:.0} calls/s"
        ))
    );

    // Post throughput: 50 writers, 20 posts each, every reply given once the read model
    // shows the post (read-your-writes included).
    let store_group = groups
        .iter()
        .find(|g| g.starts_with("store-"))
        .unwrap()
        .clone();
    let started = Instant::now();
    let writers: Vec<_> = (0..50)
        .map(|w| {
            let mut writer = client(&channels[w % CONNECTIONS]);
            let token = chain.admin.token.clone();
            let parent = format!("tenants/bench/groups/{store_group}");
            tokio::spawn(async move {
                for i in 0..20 {
                    let post = pb::Post {
                        body: format!("writer {w} post {i}"),
                        ..Default::default()
                    };
                    let request = pb::CreatePostRequest {
                        parent: parent.clone(),
                        post: Some(post),
                        request_id: uuid(),
                    };
                    writer.create_post(bearer(&token, request)).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "CreatePost: 50 writers, 1,000 posts in {elapsed:.1?}: {:.0} posts/s (each reply once the read model has it)",
        1000.0 / elapsed.as_secs_f64()
    );

    seed_directory(&pool).await;
    let started = Instant::now();
    let reply = feed
        .clone()
        .create_post(people.with_token(bearer(
            &chain.admin.token,
            pb::CreatePostRequest {
                parent: "tenants/bench/groups/news".into(),
                post: Some(pb::Post {
                    title: "New safety rules".into(),
                    body: "Read and acknowledge.".into(),
                    announcement: Some(pb::Announcement {
                        requires_acknowledgement: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        )))
        .await;
    let replied = started.elapsed();
    let post = reply.map(|r| r.into_inner().name).unwrap_or_default();
    let post_id = post.rsplit('/').next().unwrap_or_default().to_owned();
    let total: i64 = breakroom_testing::eventually(Duration::from_secs(120), || {
        let (pool, post_id) = (pool.clone(), post_id.clone());
        async move {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM obligations WHERE post_id = $1")
                .bind(&post_id)
                .fetch_one(&pool)
                .await
                .ok()?;
            (n >= AUDIENCE).then_some(n)
        }
    })
    .await;
    let all = started.elapsed();
    let report = |store: &str| {
        bearer(
            &chain.admin.token,
            pb::GetAcknowledgementReportRequest {
                name: post.clone(),
                store: store.into(),
                page_size: 100,
                ..Default::default()
            },
        )
    };
    let first = feed
        .clone()
        .get_acknowledgement_report(report(""))
        .await
        .unwrap()
        .into_inner();
    let live = started.elapsed();
    let mut latencies = Vec::new();
    for i in 0..20 {
        let store = if i % 2 == 0 {
            String::new()
        } else {
            format!("tenants/bench/stores/st{i}")
        };
        let sent = Instant::now();
        feed.clone()
            .get_acknowledgement_report(report(&store))
            .await
            .unwrap();
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    println!(
        "announcement to {total} readers ({} chunks): reply {:.2?}, every obligation {:.2?}, roll-up live {:.2?} ({} rows, total {})",
        (total + 1999) / 2000,
        replied,
        all,
        live,
        first.rollups.len(),
        first.total
    );
    println!(
        "GetAcknowledgementReport (60,000 readers, page 100; whole chain and one store): p50 {:.1} ms  max {:.1} ms",
        latencies[10].as_secs_f64() * 1e3,
        latencies[19].as_secs_f64() * 1e3
    );
}
