//! A chain's week with every service a separate OS process, through the public gRPC APIs
//! only, against real NATS and PostgreSQL — and the faults a platform team meets: a
//! process killed without warning, NATS restarted, PostgreSQL gone for ten seconds.
//!
//! Needs the service binaries built (`cargo dev test` builds them first).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod announce;
mod chain;
mod cluster;
mod faults;
mod killed;
// The notifications suite's local push service (decrypts every push with the device's
// key), shared rather than copied.
#[allow(dead_code)]
#[path = "../../../services/notifications/tests/api/push.rs"]
mod push;
mod pushes;
mod rollout;
mod roster;
mod scenario;

use breakroom_e2e::platform::{OPERATOR_TOKEN, Platform, Service, Wiring};

/// A request with `token` that waits until the service has seen `positions`
/// (`breakroom-min-sequence`).
fn after<T>(token: &str, positions: &str, message: T) -> tonic::Request<T> {
    let mut request = breakroom_kit::testing::bearer(token, message);
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", positions.parse().unwrap());
    request
}

/// Variables each service needs in a test platform beyond the shared wiring.
fn service_env(service: Service) -> Vec<(&'static str, &'static str)> {
    match service {
        Service::Identity => vec![
            ("BREAKROOM_OPERATOR_TOKEN", OPERATOR_TOKEN),
            (
                "BREAKROOM_SIGNING_KEY",
                "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
            ),
            ("BREAKROOM_ARGON2_MEMORY_KIB", "4096"),
            ("BREAKROOM_ARGON2_ITERATIONS", "1"),
        ],
        Service::Scheduling => vec![("BREAKROOM_CALENDAR_LISTEN_ADDR", "127.0.0.1:0")],
        Service::Feed => vec![],
        Service::Notifications => vec![
            // The test's push service listens on plain HTTP on loopback.
            ("BREAKROOM_PUSH_ALLOW_HTTP", "true"),
            ("BREAKROOM_PUSH_BACKOFF_MS", "100"),
            // A killed replica's pushes in flight go out again after 3 s, not a minute.
            ("BREAKROOM_PUSH_TIMEOUT_SECS", "2"),
            ("BREAKROOM_PUSH_LEASE_SECS", "3"),
            (
                "BREAKROOM_VAPID_PRIVATE_KEY",
                "Zcg4mM9RYz3VdHxbyYxtR9M1H8dOb1Ym0e9lA4lRCyk",
            ),
        ],
    }
}

/// Wiring to the machine's shared servers, in a test's own namespace and databases.
fn shared_wiring(env: &breakroom_kit::testing::TestEnv) -> Wiring {
    Wiring::in_namespace(env.namespace.as_str(), &env.nats_url, |s| {
        env.database_url(s)
    })
}

/// Starts `services` on `wiring`.
async fn start(wiring: Wiring, services: &[Service]) -> Platform {
    let mut platform = Platform::new(wiring);
    for service in services {
        platform
            .start(*service, &service_env(*service))
            .await
            .unwrap();
    }
    platform
}
