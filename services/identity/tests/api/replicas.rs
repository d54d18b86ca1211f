//! Three replicas of identity started at the same instant on one NATS namespace and one
//! database (what a Deployment with `replicas: 3` does on its first rollout): start-up is
//! safe (database, migrations, stream), commands succeed on every replica, and each
//! projection is active on exactly one of them.

use std::time::Duration;

use breakroom_events::projector::lease;
use breakroom_proto::identity::v1::{self as pb, identity_service_client::IdentityServiceClient};
use breakroom_testing::{Running, TestEnv, eventually};
use futures::TryStreamExt;

use crate::support::{OPERATOR, config};

const REPLICAS: [&str; 3] = ["identity-0", "identity-1", "identity-2"];

async fn replica(env: &TestEnv, pod: &str) -> Running {
    let mut config = config(env);
    config.kit.lease_holder = Some(pod.into());
    let (server, _app) =
        breakroom_identity::startup::build(config, tokio_util::sync::CancellationToken::new())
            .await
            .expect("build identity");
    breakroom_testing::spawn(server, "breakroom.identity.v1.IdentityService").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_started_at_once_share_one_database_and_stream_and_split_the_projections() {
    let env = TestEnv::new().await;
    let started = std::time::Instant::now();

    let (a, b, c) = tokio::join!(
        replica(&env, REPLICAS[0]),
        replica(&env, REPLICAS[1]),
        replica(&env, REPLICAS[2])
    );

    eprintln!("3 replicas SERVING after {:?}", started.elapsed());

    // Commands on every replica; each write is read back through another replica.
    let replicas = [&a, &b, &c];
    for (i, running) in replicas.iter().enumerate() {
        let mut writer = IdentityServiceClient::new(running.channel().await);
        let id = format!("chain-{i}");
        let reply = writer
            .create_tenant(breakroom_testing::bearer(
                OPERATOR,
                pb::CreateTenantRequest {
                    tenant_id: id.clone(),
                    tenant: Some(pb::Tenant {
                        display_name: format!("Chain {i}"),
                        time_zone: "Europe/Berlin".into(),
                        locale: "de-DE".into(),
                        ..Default::default()
                    }),
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            ))
            .await
            .expect("a command succeeds on every replica");
        let token = breakroom_testing::token(reply.metadata());
        let mut reader = IdentityServiceClient::new(replicas[(i + 1) % 3].channel().await);
        let mut read = breakroom_testing::bearer(
            OPERATOR,
            pb::GetTenantRequest {
                name: format!("tenants/{id}"),
            },
        );
        read.metadata_mut()
            .insert("breakroom-min-sequence", token.parse().unwrap());
        let tenant = reader
            .get_tenant(read)
            .await
            .expect("read your write")
            .into_inner();
        assert_eq!(tenant.display_name, format!("Chain {i}"));
    }

    // Identity's two streams (events and secrets), each once, and every migration
    // recorded exactly once.
    let js = async_nats::jetstream::new(env.nats().await);
    let streams: Vec<String> = js.stream_names().try_collect().await.unwrap();
    let prefix = env.namespace.as_str().to_uppercase();
    let mut ours: Vec<_> = streams.iter().filter(|s| s.starts_with(&prefix)).collect();
    ours.sort();
    assert_eq!(
        ours,
        [
            &format!("{prefix}_IDENTITY"),
            &format!("{prefix}_IDENTITY_SECRETS")
        ]
    );
    let pool = sqlx::PgPool::connect(&env.database_url("identity"))
        .await
        .unwrap();
    let (total, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT version) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(total > 0);
    assert_eq!(total, distinct);

    // Each projection's lease names exactly one replica, and stays with it.
    let leases = lease::bucket(&js, &env.namespace, Duration::from_secs(2), 1)
        .await
        .unwrap();
    // Each look is bounded: a key listing can stall while a lease changes hands.
    let holders = || async {
        let look = async {
            let keys: Vec<String> = leases.keys().await.ok()?.try_collect().await.ok()?;
            let mut holders = Vec::new();
            for key in keys {
                let value = leases.get(&key).await.ok()??;
                holders.push((key, String::from_utf8(value.to_vec()).ok()?));
            }
            holders.sort();
            (!holders.is_empty()).then_some(holders)
        };
        tokio::time::timeout(Duration::from_secs(2), look)
            .await
            .ok()
            .flatten()
    };
    let first = eventually(Duration::from_secs(10), holders).await;
    for (key, holder) in &first {
        assert!(key.starts_with("identity_"), "{key}");
        assert!(
            REPLICAS.contains(&holder.as_str()),
            "{key} held by {holder}"
        );
    }
    // Two lease TTLs later (several renewals), nobody took anything over.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(eventually(Duration::from_secs(10), holders).await, first);

    // The holder stops (SIGTERM): it releases, and another replica takes over at once.
    let leader = &first[0].1;
    let index = REPLICAS.iter().position(|r| r == leader).unwrap();
    let stopping = std::time::Instant::now();
    replicas[index].shutdown.cancel();
    let moved = eventually(Duration::from_secs(10), || async {
        let now = holders().await?;
        now.iter().all(|(_, h)| h != leader).then_some(now)
    })
    .await;
    let takeover = stopping.elapsed();
    eprintln!("leases moved from {leader} after {takeover:?}: {moved:?}");
    // Released, so no TTL to wait for: bounded by the standby's poll (TTL/4), the stop
    // itself and this test's own polling; a dead holder would take up to a TTL more.
    assert!(
        takeover < Duration::from_secs(4),
        "{takeover:?}: slower than two TTLs"
    );
    for running in replicas {
        running.shutdown.cancel();
    }
}
