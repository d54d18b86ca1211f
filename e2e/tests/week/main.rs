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

use breakroom_e2e::platform::{Platform, Service, Wiring};

/// A request with `token` that waits until the service has seen `positions`
/// (`breakroom-min-sequence`).
fn after<T>(token: &str, positions: &str, message: T) -> tonic::Request<T> {
    let mut request = breakroom_testing::bearer(token, message);
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", positions.parse().unwrap());
    request
}

/// Variables each service needs in a test platform beyond the shared wiring: the test
/// platform's, and for notifications quick retries and short leases (a killed replica's
/// pushes in flight go out again after 3 s, not a minute).
fn service_env(service: Service) -> Vec<(&'static str, &'static str)> {
    let mut vars = service.test_env();
    if service == Service::Notifications {
        vars.extend([
            ("BREAKROOM_PUSH_BACKOFF_MS", "100"),
            ("BREAKROOM_PUSH_TIMEOUT_SECS", "2"),
            ("BREAKROOM_PUSH_LEASE_SECS", "3"),
        ]);
    }
    vars
}

/// Wiring to the machine's shared servers, in a test's own namespace and databases.
fn shared_wiring(env: &breakroom_testing::TestEnv) -> Wiring {
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
