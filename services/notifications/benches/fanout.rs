//! Fan-out and latency of pushes to a local Web Push endpoint.
//!
//! `cargo bench -p breakroom-notifications --bench fanout` (needs NATS and PostgreSQL).
//! Notifications runs in this process with real Web Push (VAPID + aes128gcm per push) to
//! an HTTP endpoint in this process that answers 201 and decrypts every 100th push to
//! prove they are real. `BENCH_READERS` (60,000) readers get one device each (registered
//! as `DeviceRegistered` events, as RegisterDevice writes them); one chain-wide
//! announcement is appended as feed writes it (`PostCreated`, then 2,000-reader
//! `AudienceResolved` chunks). Printed: pushes/s and the time from the first chunk to the
//! last delivery. Then `BENCH_LATENCY_EVENTS` (300) mentions, 50 per second, each to one
//! reader: event appended -> push received, p50/p99. Last, a chain of `readers / 60`
//! stores publishes a week (1,000 stores × 60 employees × 5 shifts, appended as
//! scheduling writes PublishRoster's `RosterPublished`, 16 stores at a time): per
//! employee, the time from their store's publication being appended (PublishRoster's
//! reply) to their push, p50/p99/max. After the fan-out and the roster publication it
//! prints the CPU time spent meanwhile (user + system, from `/proc`) by this process (the
//! service and the endpoint), by PostgreSQL (the backends of this bench's database and the
//! server's own processes, not other databases' backends) and by `nats-server`, in total
//! and per push. First of all, it prints the CPU per push of the encryption alone, the
//! service's and web-push-native's (RustCrypto), on one thread. `BENCH_CONCURRENCY` sets the pushes in flight (the service's default, 64,
//! when unset).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    routing::post,
};
use breakroom_base::Result;
use breakroom_events::{
    aggregate::Aggregate, envelope::CommandMeta, event_store::EventStore, repository::Repository,
};
use breakroom_notifications::{
    clock::Clock,
    config::{NotificationsConfig, VapidKeySource},
    delivery::{encrypt, vapid::Vapid, webpush::WebPush},
    domain::device::{Device, DeviceCommand, device_id},
    startup,
};
use breakroom_proto::{
    feed::v1 as feed, notifications::v1::DeviceRegistered, scheduling::v1 as scheduling,
};
use breakroom_testing::TestEnv;
use futures::StreamExt;
use web_push_native::p256::{SecretKey, elliptic_curve::sec1::ToEncodedPoint};

const TENANT: &str = "bench";

macro_rules! feed_aggregate {
    ($name:ident, $ty:literal, $event:ty) => {
        #[derive(Debug, Clone, Default)]
        struct $name;
        impl Aggregate for $name {
            const TYPE: &'static str = $ty;
            type Command = Vec<$event>;
            type Event = $event;
            fn decide(&self, command: &Vec<$event>) -> Result<Vec<$event>> {
                Ok(command.clone())
            }
            fn apply(self, _: &$event) -> Self {
                self
            }
        }
    };
}
feed_aggregate!(Post, "post", feed::PostEvent);
feed_aggregate!(Audience, "audience", feed::AudienceEvent);
feed_aggregate!(Roster, "roster", scheduling::RosterEvent);

/// Arrival times per reader, in order.
struct Endpoint {
    arrivals: Vec<Mutex<Vec<Instant>>>,
    total: AtomicUsize,
    secret: SecretKey,
    auth: [u8; 16],
}

async fn receive(State(e): State<Arc<Endpoint>>, Path(i): Path<usize>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    if let Some(slot) = e.arrivals.get(i) {
        slot.lock().unwrap().push(now);
    }
    let n = e.total.fetch_add(1, Ordering::Relaxed);
    if n % 100 == 0 {
        let auth = web_push_native::Auth::from(e.auth);
        web_push_native::decrypt(body.to_vec(), &e.secret, &auth).expect("a decryptable push");
    }
    StatusCode::CREATED
}

fn number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn meta(actor: &str) -> CommandMeta {
    CommandMeta::new(format!("tenants/{TENANT}/users/{actor}"))
        .with_request_id(Some(uuid::Uuid::new_v4().to_string()))
}

/// CPU time (user + system) used so far by this process, by PostgreSQL (the backends of
/// `database` and the server's own processes; a backend that exits meanwhile is missed)
/// and by `nats-server`.
#[derive(Debug, Clone, Copy)]
struct Cpu {
    own: Duration,
    postgres: Duration,
    nats: Duration,
}

impl Cpu {
    fn now(database: &str) -> Self {
        let mut cpu = Cpu {
            own: ticks("/proc/self/stat"),
            postgres: Duration::ZERO,
            nats: Duration::ZERO,
        };
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let dir = entry.path();
            let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
                continue;
            };
            let stat = dir.join("stat");
            match comm.trim() {
                "postgres" => {
                    // A backend's title names its database; other tests' are not ours.
                    let title = std::fs::read(dir.join("cmdline")).unwrap_or_default();
                    let title = String::from_utf8_lossy(&title);
                    if title.contains(database) || !title.contains(" brt_") {
                        cpu.postgres += ticks(&stat);
                    }
                }
                "nats-server" => cpu.nats += ticks(&stat),
                _ => {}
            }
        }
        cpu
    }

    /// What was used since `earlier`, per push too, as one line.
    fn since(&self, earlier: &Cpu, pushes: usize) -> String {
        let per = |d: Duration| d.as_secs_f64() * 1000.0 / pushes.max(1) as f64;
        let (own, pg, nats) = (
            self.own.saturating_sub(earlier.own),
            self.postgres.saturating_sub(earlier.postgres),
            self.nats.saturating_sub(earlier.nats),
        );
        format!(
            "CPU: this process (service + endpoint) {:.1} s = {:.3} ms/push; PostgreSQL {:.1} s = {:.3} ms/push; \
             nats-server {:.1} s = {:.3} ms/push",
            own.as_secs_f64(),
            per(own),
            pg.as_secs_f64(),
            per(pg),
            nats.as_secs_f64(),
            per(nats),
        )
    }
}

/// utime + stime of a `/proc/<pid>/stat`.
fn ticks(path: impl AsRef<std::path::Path>) -> Duration {
    let Ok(stat) = std::fs::read_to_string(path) else {
        return Duration::ZERO;
    };
    // Fields after the command's closing parenthesis: state is field 3, utime 14.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // Clock ticks are USER_HZ, 100 on Linux.
    let sum: u64 = fields.iter().skip(10).take(2).sum();
    Duration::from_millis(sum * 10)
}

/// The CPU per push of the encryption alone, on this thread: the service's (`ring`) and
/// web-push-native's (RustCrypto `p256`, which the service used before).
fn encryption_alone() {
    const ROUNDS: usize = 5_000;
    let payload = vec![b'x'; 300];
    let public = SecretKey::from_slice(&[9u8; 32]).unwrap().public_key();
    let p256dh = public.to_encoded_point(false).as_bytes().to_vec();
    let auth: [u8; 16] = rand::random();
    let per_push = |encrypt_one: &dyn Fn()| {
        let before = ticks("/proc/thread-self/stat");
        for _ in 0..ROUNDS {
            encrypt_one();
        }
        let used = ticks("/proc/thread-self/stat").saturating_sub(before);
        used.as_secs_f64() * 1e6 / ROUNDS as f64
    };
    let ring = per_push(&|| {
        encrypt::encrypt(&p256dh, &auth, &payload).unwrap();
    });
    let rust_crypto = per_push(&|| {
        let auth = web_push_native::Auth::from(auth);
        web_push_native::encrypt(payload.clone(), &public, &auth).unwrap();
    });
    println!(
        "encryption alone, {ROUNDS} pushes of 300 bytes on one thread: {ring:.0} µs of CPU per push \
         (ring, the service's); {rust_crypto:.0} µs with web-push-native (RustCrypto p256, before)"
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let readers = number("BENCH_READERS", 60_000);
    let latency_events = number("BENCH_LATENCY_EVENTS", 300);
    encryption_alone();
    let env = TestEnv::new().await;
    let database = env
        .database_url("notifications")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();

    // The endpoint.
    let secret = SecretKey::from_slice(&[7u8; 32]).unwrap();
    let auth: [u8; 16] = rand::random();
    let endpoint = Arc::new(Endpoint {
        arrivals: (0..readers).map(|_| Mutex::new(Vec::new())).collect(),
        total: AtomicUsize::new(0),
        secret: secret.clone(),
        auth,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new()
        .route("/push/{i}", post(receive))
        .with_state(endpoint.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    // The service.
    let mut config = NotificationsConfig::new(
        env.config("notifications"),
        VapidKeySource::Key(Vapid::generate()),
    );
    config.kit.grpc_listen_addr = "127.0.0.1:0".parse().unwrap();
    config.delivery.allow_http = true;
    config.delivery.concurrency = number("BENCH_CONCURRENCY", config.delivery.concurrency);
    let vapid = Arc::new(Vapid::load(&config.vapid_key, &config.vapid_subject).unwrap());
    let provider = Arc::new(WebPush::new(vapid.clone(), config.delivery.timeout).unwrap());
    let cancel = tokio_util::sync::CancellationToken::new();
    let built = startup::build_with(
        config.clone(),
        Clock::system(),
        vapid,
        provider,
        cancel.clone(),
    )
    .await
    .unwrap();
    let pool = built.app.pool().clone();
    // Not waiting for SERVING: that needs identity's signing keys, and no identity runs
    // here. The tables exist once the start-up migrations ran.
    tokio::spawn(built.server.run(cancel.clone()));
    while sqlx::query("SELECT 1 FROM devices LIMIT 1")
        .execute(&pool)
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Devices.
    let started = Instant::now();
    let js = async_nats::jetstream::new(env.nats().await);
    let feed_store = EventStore::new(
        js.clone(),
        config.kit.namespace.clone(),
        "feed",
        config.kit.duplicate_window,
    );
    feed_store.ensure_stream().await.unwrap();
    let scheduling_store = EventStore::new(
        js.clone(),
        config.kit.namespace.clone(),
        "scheduling",
        config.kit.duplicate_window,
    );
    scheduling_store.ensure_stream().await.unwrap();
    let store = EventStore::new(
        js.clone(),
        config.kit.namespace.clone(),
        "notifications",
        config.kit.duplicate_window,
    );
    let devices: Arc<Repository<Device>> = Repository::new(store, 1000);
    let p256dh = secret
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let ids: Vec<String> = (0..readers).map(|i| format!("u{i:06}")).collect();
    futures::stream::iter(0..readers)
        .map(|i| {
            let (devices, p256dh, user) = (devices.clone(), p256dh.clone(), ids[i].clone());
            async move {
                let url = format!("http://{addr}/push/{i}");
                let registration = DeviceRegistered {
                    user_id: user.clone(),
                    endpoint: url.clone(),
                    p256dh,
                    auth: auth.to_vec(),
                    display_name: String::new(),
                };
                devices
                    .execute(
                        TENANT,
                        &device_id(&url),
                        &meta(&user),
                        &DeviceCommand::Register(registration),
                    )
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(256)
        .collect::<Vec<()>>()
        .await;
    loop {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM devices")
            .fetch_one(&pool)
            .await
            .unwrap();
        if n as usize >= readers {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "{readers} devices registered and projected in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The announcement.
    let posts: Arc<Repository<Post>> = Repository::new(feed_store.clone(), 100);
    let audiences: Arc<Repository<Audience>> = Repository::new(feed_store, 100);
    let created = feed::PostEvent {
        event: Some(feed::post_event::Event::Created(feed::PostCreated {
            author_id: "hq".into(),
            title: "Chain-wide news".into(),
            announcement: Some(feed::Announcement {
                requires_acknowledgement: true,
                ..Default::default()
            }),
            ..Default::default()
        })),
    };
    posts
        .execute(TENANT, "a1", &meta("hq"), &vec![created])
        .await
        .unwrap();
    let cpu = Cpu::now(&database);
    let start = Instant::now();
    let chunks = readers.div_ceil(2000);
    for (c, chunk) in ids.chunks(2000).enumerate() {
        let event = feed::AudienceEvent {
            event: Some(feed::audience_event::Event::Resolved(
                feed::AudienceResolved {
                    post_id: "a1".into(),
                    chunk: c as i32,
                    chunk_count: chunks as i32,
                    user_ids: chunk.to_vec(),
                    revision: 1,
                    ..Default::default()
                },
            )),
        };
        audiences
            .execute(TENANT, &format!("a1_{c}"), &meta("hq"), &vec![event])
            .await
            .unwrap();
    }
    let appended = start.elapsed();
    while endpoint.total.load(Ordering::Relaxed) < readers {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let firsts: Vec<Instant> = endpoint
        .arrivals
        .iter()
        .map(|a| a.lock().unwrap()[0])
        .collect();
    let first = *firsts.iter().min().unwrap();
    let last = *firsts.iter().max().unwrap();
    println!(
        "fan-out of one announcement to {readers} devices: chunks appended in {:.2} s, first push after {:.2} s, \
         last after {:.2} s; {:.0} pushes/s (first to last)",
        appended.as_secs_f64(),
        (first - start).as_secs_f64(),
        (last - start).as_secs_f64(),
        readers as f64 / (last - first).as_secs_f64().max(1e-9)
    );
    println!("  {}", Cpu::now(&database).since(&cpu, readers));

    // Latency at a steady 50 events/s, each to one reader.
    let mut sent = Vec::new();
    for k in 0..latency_events {
        let user = ids[k % readers].clone();
        let event = feed::PostEvent {
            event: Some(feed::post_event::Event::Created(feed::PostCreated {
                author_id: "hq".into(),
                title: "ping".into(),
                mention_ids: vec![user],
                ..Default::default()
            })),
        };
        posts
            .execute(TENANT, &format!("m{k}"), &meta("hq"), &vec![event])
            .await
            .unwrap();
        sent.push(Instant::now());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut latencies = Vec::new();
    for (k, at) in sent.iter().enumerate() {
        let slot = &endpoint.arrivals[k % readers];
        let deadline = Instant::now() + Duration::from_secs(30);
        let arrived = loop {
            if let Some(t) = slot.lock().unwrap().get(1 + k / readers).copied() {
                break t;
            }
            assert!(Instant::now() < deadline, "push {k} never arrived");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        latencies.push(arrived.saturating_duration_since(*at));
    }
    latencies.sort();
    println!(
        "event -> push latency over {latency_events} events at 50/s: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0
    );

    roster_publication(
        &endpoint,
        &ids,
        Repository::new(scheduling_store, 100),
        &database,
    )
    .await;
    cancel.cancel();
}

/// 60 employees per store, each with 5 shifts of next week, published store by store.
async fn roster_publication(
    endpoint: &Endpoint,
    ids: &[String],
    rosters: Arc<Repository<Roster>>,
    database: &str,
) {
    const PER_STORE: usize = 60;
    let stores = ids.len() / PER_STORE;
    let seen: Vec<usize> = endpoint
        .arrivals
        .iter()
        .map(|a| a.lock().unwrap().len())
        .collect();
    let monday = 1_797_206_400; // 2026-12-14T00:00:00Z, a Monday
    let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
    let cpu = Cpu::now(database);
    let start = Instant::now();
    let published: Vec<(usize, Instant)> = futures::stream::iter(0..stores)
        .map(|s| {
            let rosters = rosters.clone();
            async move {
                let mut shifts = Vec::new();
                let mut employees = Vec::new();
                for (j, employee) in ids[s * PER_STORE..(s + 1) * PER_STORE].iter().enumerate() {
                    let mut changes = Vec::new();
                    for day in 0..5i64 {
                        let begin = monday + day * 86_400 + 8 * 3600;
                        let shift = scheduling::ShiftData {
                            shift_id: format!("s{s}-{j}-{day}"),
                            employee_id: employee.clone(),
                            start_local: String::new(),
                            end_local: String::new(),
                            start_time: at(begin),
                            end_time: at(begin + 8 * 3600),
                            department_id: "fresh".into(),
                            unpaid_break_minutes: 30,
                            revision: 1,
                            ..Default::default()
                        };
                        changes.push(scheduling::ShiftDiff {
                            kind: scheduling::shift_diff::Kind::Added as i32,
                            before: None,
                            after: Some(shift.clone()),
                        });
                        shifts.push(shift);
                    }
                    employees.push(scheduling::EmployeeChanges {
                        employee_id: employee.clone(),
                        changes,
                        notice_id: format!("n{s}-{j}"),
                    });
                }
                let event = scheduling::RosterEvent {
                    event: Some(scheduling::roster_event::Event::Published(
                        scheduling::RosterPublished {
                            shifts,
                            employees,
                            time_zone: "Europe/Amsterdam".into(),
                            publish_time: at(monday - 7 * 86_400),
                        },
                    )),
                };
                rosters
                    .execute(
                        TENANT,
                        &format!("st{s:04}_2026W51"),
                        &meta("manager"),
                        &vec![event],
                    )
                    .await
                    .unwrap();
                (s, Instant::now())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let appended = start.elapsed();
    let mut replied = vec![start; stores];
    for (s, at) in published {
        replied[s] = at;
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut latencies = Vec::with_capacity(ids.len());
    let mut last = start;
    for (i, slot) in endpoint
        .arrivals
        .iter()
        .enumerate()
        .take(stores * PER_STORE)
    {
        let arrived = loop {
            if let Some(t) = slot.lock().unwrap().get(seen[i]).copied() {
                break t;
            }
            assert!(
                Instant::now() < deadline,
                "employee {i} never got the week's push"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        last = last.max(arrived);
        latencies.push(arrived.saturating_duration_since(replied[i / PER_STORE]));
    }
    latencies.sort();
    println!(
        "roster publication, {stores} stores × {PER_STORE} employees ({} shifts): appended in {:.1} s, \
         last push {:.1} s after the first publication; PublishRoster reply -> the employee's push \
         p50 {:.1} s, p99 {:.1} s, max {:.1} s",
        stores * PER_STORE * 5,
        appended.as_secs_f64(),
        (last - start).as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64(),
        percentile(&latencies, 0.99).as_secs_f64(),
        latencies.last().unwrap().as_secs_f64(),
    );
    println!("  {}", Cpu::now(database).since(&cpu, stores * PER_STORE));
}
