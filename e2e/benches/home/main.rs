//! The web app under a chain's load: how many Home pages per second it holds with p99
//! <= 100 ms from 200 signed-in sessions, every process on this machine, and the CPU per
//! page across all of them; the same for My week and Home's next (older) page; then
//! Lighthouse on Home and My week.
//!
//! `cargo bench -p breakroom-e2e --bench home` (release; needs NATS and PostgreSQL and the
//! release binaries: `cargo build --release --bins -p breakroom-identity -p
//! breakroom-scheduling -p breakroom-feed -p breakroom-notifications -p breakroom-web`).
//! The four services and the `web` binary run as processes of their own, as in
//! production. Seeding (`seed`): the chain's people through identity's API, the week's
//! shifts through ImportRoster, the posts in bulk SQL into feed's read model. Sizes:
//! `BENCH_STORES` (1,000), `BENCH_PEOPLE_PER_STORE` (60), `BENCH_POSTS` (1,000,000),
//! `BENCH_SESSIONS` (200); steps: `BENCH_SECONDS` (10) each at `BENCH_RATES`, stopping
//! after the first step that misses `BENCH_P99_MS` (100); `BENCH_LIGHTHOUSE=0` skips the
//! audits, `BENCH_KEEP=1` keeps the databases and streams.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cpu;
#[allow(dead_code)]
#[path = "../../src/lighthouse.rs"]
mod lighthouse;
mod load;
mod seed;

use std::{net::SocketAddr, time::Duration};

use breakroom_e2e::platform::{self, OPERATOR_TOKEN, Platform, Service, Wiring};
use breakroom_testing::TestEnv;

use crate::{cpu::Probe, load::Session};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What each service needs beyond the shared wiring.
fn service_env(service: Service) -> Vec<(&'static str, &'static str)> {
    match service {
        Service::Identity => vec![
            ("BREAKROOM_OPERATOR_TOKEN", OPERATOR_TOKEN),
            (
                "BREAKROOM_SIGNING_KEY",
                "CwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCws",
            ),
            // Sign-ins are not measured: cheap password hashing keeps the setup short.
            ("BREAKROOM_ARGON2_MEMORY_KIB", "4096"),
            ("BREAKROOM_ARGON2_ITERATIONS", "1"),
        ],
        Service::Scheduling => vec![("BREAKROOM_CALENDAR_LISTEN_ADDR", "127.0.0.1:0")],
        Service::Feed => vec![],
        Service::Notifications => vec![(
            "BREAKROOM_VAPID_PRIVATE_KEY",
            "Zcg4mM9RYz3VdHxbyYxtR9M1H8dOb1Ym0e9lA4lRCyk",
        )],
    }
}

/// The `web` binary in front of the services, on a free port; waits until it answers.
async fn start_web(platform: &Platform) -> (tokio::process::Child, SocketAddr) {
    let port = platform::free_port().unwrap();
    let url = |s: Service| format!("http://{}", platform.addr(s));
    let child = tokio::process::Command::new(platform::binary("web").unwrap())
        .env("HTTP_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("BREAKROOM_IDENTITY_URL", url(Service::Identity))
        .env("BREAKROOM_SCHEDULING_URL", url(Service::Scheduling))
        .env("BREAKROOM_FEED_URL", url(Service::Feed))
        .env("BREAKROOM_NOTIFICATIONS_URL", url(Service::Notifications))
        .env("BREAKROOM_WEB_INSECURE_COOKIES", "true")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..300 {
        if Session::new(addr).get("/healthz").await.is_ok() {
            return (child, addr);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("web did not answer on {addr}");
}

/// Waits until the processes the bench started are idle (every projector caught up):
/// less than 5 % of a core over 3 s, twice in a row.
async fn settle(probe: &Probe, limit: Duration) -> Duration {
    let started = std::time::Instant::now();
    let mut quiet = 0;
    while started.elapsed() < limit && quiet < 2 {
        let before = probe.sample();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let spent = cpu::Spent::between(&before, &probe.sample());
        let busy = spent.serving() - spent.of("nats");
        quiet = if busy < 0.15 { quiet + 1 } else { 0 };
    }
    started.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Rising open-loop steps of one page; prints each and the highest rate held last.
async fn scenario(
    name: &str,
    mut sessions: Vec<Session>,
    path: fn(&Session) -> String,
    probe: &Probe,
) -> Vec<Session> {
    let seconds: u64 = env("BENCH_SECONDS", 10);
    let limit = Duration::from_millis(env("BENCH_P99_MS", 100));
    let rates: Vec<f64> = std::env::var("BENCH_RATES")
        .unwrap_or_else(|_| "100,200,400,600,800,1000,1200,1500,2000".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    let n = sessions.len();
    let mut held = None;
    for rate in rates {
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let before = probe.sample();
        let (back, step) = load::step(sessions, path, rate, Duration::from_secs(seconds)).await;
        sessions = back;
        let spent = cpu::Spent::between(&before, &probe.sample());
        println!(
            "{name} {n} sessions, target {rate:>5.0}/s: {:>6.0} pages/s  p50 {:>7.1} ms  p99 {:>7.1} ms  (p99 from sent {:>6.1} ms)  errors {}  connections opened {}  [load {}]",
            step.achieved,
            ms(step.p50),
            ms(step.p99),
            ms(step.p99_sent),
            step.errors,
            load::RECONNECTS.swap(0, std::sync::atomic::Ordering::Relaxed),
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        );
        println!(
            "    {}",
            spent.per_page(step.pages, step.elapsed.as_secs_f64())
        );
        if step.p99 <= limit && step.errors == 0 && step.achieved >= rate * 0.95 {
            held = Some(step.achieved);
        } else {
            break;
        }
    }
    println!(
        "{name}: highest rate held with p99 <= {} ms: {}\n",
        limit.as_millis(),
        held.map_or("none of the steps".to_owned(), |r| format!(
            "{r:.0} pages/s"
        ))
    );
    sessions
}

#[tokio::main]
async fn main() {
    let sizes = seed::Sizes {
        stores: env("BENCH_STORES", 1000),
        people_per_store: env("BENCH_PEOPLE_PER_STORE", 60),
        posts: env("BENCH_POSTS", 1_000_000),
        sessions: env("BENCH_SESSIONS", 200),
    };
    let env_ = TestEnv::new().await;
    let wiring = Wiring::in_namespace(env_.namespace.as_str(), &env_.nats_url, |s| {
        env_.database_url(s)
    });
    let mut platform = Platform::new(wiring);
    for service in [
        Service::Identity,
        Service::Scheduling,
        Service::Feed,
        Service::Notifications,
    ] {
        platform
            .start(service, &service_env(service))
            .await
            .unwrap();
    }
    let (mut web, web_addr) = start_web(&platform).await;
    let databases: Vec<String> = ["identity", "scheduling", "feed", "notifications"]
        .iter()
        .map(|s| {
            let url = env_.database_url(s);
            url.rsplit('/').next().unwrap().to_owned()
        })
        .collect();
    let probe = Probe::new(databases.clone());
    let identity = platform.channel(Service::Identity).await.unwrap();
    let scheduling = platform.channel(Service::Scheduling).await.unwrap();

    let started = std::time::Instant::now();
    let chain = seed::chain(&identity, sizes).await;
    let people: usize = chain.stores.iter().map(|s| s.people.len()).sum();
    println!(
        "seeded through identity's API: {} stores, {people} people (BatchInviteUsers), {} of them activated, in {:.1?}",
        chain.stores.len(),
        chain.signers.len(),
        started.elapsed()
    );
    let monday = seed::planned_monday();
    let week = seed::week_label(monday);
    let started = std::time::Instant::now();
    let shifts = seed::roster(&identity, &scheduling, &chain, monday).await;
    println!(
        "seeded through ImportRoster (published): {shifts} shifts of {week} in {:.1?}",
        started.elapsed()
    );
    let feed_db = sqlx::PgPool::connect(&env_.database_url("feed"))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    seed::posts(&feed_db, &chain, sizes.posts).await;
    println!(
        "seeded in bulk SQL into feed's read model: {} posts (1 in 10 in the news channel, the rest over the store groups), in {:.1?}",
        sizes.posts,
        started.elapsed()
    );
    let waited = settle(&probe, Duration::from_secs(env("BENCH_SETTLE_SECS", 900))).await;
    println!("every process idle (projections caught up) after {waited:.1?}");

    let mut sessions = Vec::new();
    for login in &chain.signers {
        let mut session = Session::new(web_addr);
        let answer = session.sign_in(seed::TENANT, login, seed::PASSWORD).await;
        assert!(session.signed_in(), "{login}: {}", answer.status);
        sessions.push(session);
    }
    // Each session reads its pages once: the older link, and a check of what they show.
    let week_path = format!("/week?week={week}");
    let (mut home_bytes, mut week_bytes, mut with_next) = (0, 0, 0);
    for session in &mut sessions {
        let home = session.get("/").await.unwrap();
        assert_eq!(home.status, 200, "{}", home.body);
        home_bytes += home.body.len();
        with_next += usize::from(home.body.contains("Store associate"));
        session.older = load::older_link(&home.body).expect("Home links older posts");
        let week = session.get(&week_path).await.unwrap();
        assert_eq!(week.status, 200);
        week_bytes += week.body.len();
    }
    let n = sessions.len();
    println!(
        "{n} sessions signed in; Home {} bytes, My week {} bytes on average; {with_next} of {n} Homes show a next shift\n",
        home_bytes / n,
        week_bytes / n
    );

    static WEEK: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    WEEK.set(week_path.clone()).unwrap();
    let sessions = scenario("GET /", sessions, |_| "/".to_owned(), &probe).await;
    let sessions = scenario(
        "GET /week",
        sessions,
        |_| WEEK.get().cloned().unwrap_or_default(),
        &probe,
    )
    .await;
    let sessions = scenario("GET /?page= (older)", sessions, |s| s.older.clone(), &probe).await;
    drop(sessions);

    if env("BENCH_LIGHTHOUSE", 1) == 1 {
        let base = format!("http://{web_addr}");
        for path in ["/", week_path.as_str()] {
            // A fresh session per audit: the app's renewal spends the cookie's token.
            let cookie =
                lighthouse::sign_in(&base, seed::TENANT, &chain.signers[0], seed::PASSWORD)
                    .unwrap();
            let url = format!("{base}{path}");
            match tokio::task::spawn_blocking(move || lighthouse::audit(&url, &cookie))
                .await
                .unwrap()
            {
                Ok(report) => print!("{report}"),
                Err(e) => println!("lighthouse {path}: {e:#}"),
            }
        }
    }

    web.kill().await.ok();
    drop(platform);
    drop(feed_db);
    if env("BENCH_KEEP", 0) == 0 {
        cleanup(&env_, &databases).await;
    }
}

/// Drops the bench's databases and streams: a chain's worth of data is gigabytes.
async fn cleanup(env: &TestEnv, databases: &[String]) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let server = env.database_url("x");
    let server = server.rsplit_once('/').map_or(server.as_str(), |(s, _)| s);
    if let Ok(pool) = sqlx::PgPool::connect(&format!("{server}/postgres")).await {
        for db in databases {
            let drop = format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)");
            if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await {
                eprintln!("dropping {db}: {e}");
            }
        }
    }
    if let Ok(client) = async_nats::connect(&env.nats_url).await {
        let js = async_nats::jetstream::new(client);
        let prefix = env.namespace.as_str().to_uppercase();
        let mut names = js.stream_names();
        let mut ours = Vec::new();
        use futures::StreamExt;
        while let Some(Ok(name)) = names.next().await {
            if name.to_uppercase().contains(&prefix) {
                ours.push(name);
            }
        }
        for name in ours {
            js.delete_stream(&name).await.ok();
        }
    }
}
