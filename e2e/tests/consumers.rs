//! Every service as its own process, called with the tools API consumers bring: k6 (which
//! resolves every service a server lists over reflection v1alpha before its first call)
//! and Python's grpcio-reflection client. Each port must resolve every service it lists,
//! answer a health check, and refuse text with a NUL as INVALID_ARGUMENT naming the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use breakroom_e2e::{
    platform::{Platform, Service, Wiring},
    tools::consumer_tools,
};
use breakroom_testing::TestEnv;

/// k6's check: reflection, health, and a NUL in `field` of `method` refused with code 3.
const K6_SCRIPT: &str = r#"
import grpc from 'k6/net/grpc';
import { check } from 'k6';
export const options = { thresholds: { checks: ['rate==1'] } };
const client = new grpc.Client();
export default () => {
  client.connect(__ENV.ADDR, { plaintext: true, reflect: true });
  const health = client.invoke('grpc.health.v1.Health/Check', {});
  check(health, { 'health answers': (r) => r && r.status === grpc.StatusOK });
  const request = {};
  request[__ENV.FIELD] = 'tenants/a\u0000b';
  const refused = client.invoke(__ENV.METHOD, request);
  check(refused, {
    'a NUL is INVALID_ARGUMENT': (r) => r && r.status === grpc.StatusInvalidArgument,
    'naming the field': (r) => r && JSON.stringify(r.error).includes('"field":"' + __ENV.FIELD + '"'),
  });
  client.close();
};
"#;

/// Python's check: every listed service resolves to the file defining it.
const PYTHON_SCRIPT: &str = r#"
import sys, grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
database = ProtoReflectionDescriptorDatabase(grpc.insecure_channel(sys.argv[1]))
services = database.get_services()
for service in services:
    database.FindFileContainingSymbol(service)
print(len(services))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k6_and_pythons_reflection_client_use_every_service_without_a_proto_file() {
    let tools = tokio::task::spawn_blocking(consumer_tools)
        .await
        .unwrap()
        .expect("k6 and grpcio-reflection from PyPI");
    let env = TestEnv::new().await;
    let mut platform = Platform::new(Wiring::in_namespace(
        env.namespace.as_str(),
        &env.nats_url,
        |s| env.database_url(s),
    ));
    let calls = [
        (
            Service::Identity,
            "breakroom.identity.v1.AuthService/Login",
            "tenant",
        ),
        (
            Service::Scheduling,
            "breakroom.scheduling.v1.SchedulingService/GetRoster",
            "name",
        ),
        (
            Service::Feed,
            "breakroom.feed.v1.FeedService/ListTimeline",
            "parent",
        ),
        (
            Service::Notifications,
            "breakroom.notifications.v1.NotificationService/ListNotifications",
            "parent",
        ),
    ];
    let dir = std::env::temp_dir().join(format!("breakroom-consumers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let k6_script = dir.join("check.js");
    std::fs::write(&k6_script, K6_SCRIPT).unwrap();
    let python_script = dir.join("reflect.py");
    std::fs::write(&python_script, PYTHON_SCRIPT).unwrap();
    for (service, method, field) in calls {
        let settings: &[(&str, &str)] = match service {
            Service::Identity => &[(
                "BREAKROOM_SIGNING_KEY",
                "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
            )],
            Service::Notifications => &[(
                "BREAKROOM_VAPID_PRIVATE_KEY",
                "Zcg4mM9RYz3VdHxbyYxtR9M1H8dOb1Ym0e9lA4lRCyk",
            )],
            _ => &[],
        };
        platform.start(service, settings).await.unwrap();
        let addr = platform.addr(service).to_string();

        let k6 = Command::new(&tools.k6)
            .args(["run", "--quiet", "--no-usage-report"])
            .arg(&k6_script)
            .env("ADDR", &addr)
            .env("METHOD", method)
            .env("FIELD", field)
            .output()
            .unwrap();
        assert!(
            k6.status.success(),
            "k6 against {}: {}{}",
            service.name(),
            String::from_utf8_lossy(&k6.stdout),
            String::from_utf8_lossy(&k6.stderr)
        );

        let python = Command::new(&tools.python)
            .arg(&python_script)
            .arg(&addr)
            .output()
            .unwrap();
        assert!(
            python.status.success(),
            "grpcio-reflection against {}: {}",
            service.name(),
            String::from_utf8_lossy(&python.stderr)
        );
        let listed: usize = String::from_utf8_lossy(&python.stdout)
            .trim()
            .parse()
            .unwrap();
        assert!(listed >= 4, "{} lists {listed} services", service.name());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
