//! Broken dependencies and rebuilds: login keeps working without the database, and a
//! rebuilt read model equals the one built live.

use std::time::Duration;

use breakroom_events::projector;
use breakroom_identity::projection::IdentityProjection;
use breakroom_proto::identity::v1 as pb;
use breakroom_testing::eventually;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn logins_and_refreshes_work_while_the_database_is_unreachable() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("vomar").await;

    // A second replica whose database is gone (nothing listens on that port).
    let mut broken = config(&id.env);
    broken.kit.database_url = "postgres://postgres@127.0.0.1:1/breakroom_identity".into();
    let (server, _app) =
        breakroom_identity::startup::build(broken, tokio_util::sync::CancellationToken::new())
            .await
            .unwrap();
    let addr = server.local_addr();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(server.run(shutdown.clone()));
    let channel = breakroom_testing::channel(addr).await;
    let mut auth = pb::auth_service_client::AuthServiceClient::new(channel.clone());
    let mut identity = pb::identity_service_client::IdentityServiceClient::new(channel);

    let login = auth
        .login(pb::LoginRequest {
            tenant: "tenants/vomar".into(),
            credential: Some(pb::login_request::Credential::Password(
                pb::login_request::Password {
                    login: Some(pb::login_request::password::Login::Email(
                        "hq@vomar.example".into(),
                    )),
                    password: PASSWORD.into(),
                },
            )),
            device_class: pb::DeviceClass::DesktopWeb as i32,
            client_version: "web/1".into(),
            request_id: uuid(),
        })
        .await
        .expect("login needs only the event log")
        .into_inner();
    auth.refresh_token(pb::RefreshTokenRequest {
        refresh_token: login.refresh_token,
        request_id: uuid(),
    })
    .await
    .expect("refresh needs only the event log");
    let read = identity
        .list_users(bearer(
            &admin.access,
            pb::ListUsersRequest {
                parent: "tenants/vomar".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(read.code(), Code::Unavailable, "{read:?}");
    shutdown.cancel();
    let _ = task.await;
}

async fn snapshot(pool: &sqlx::PgPool) -> Vec<String> {
    let mut rows = Vec::new();
    for table in [
        "tenants",
        "stores",
        "users",
        "memberships",
        "sessions",
        "service_accounts",
        "signing_keys",
    ] {
        let sql = format!("SELECT to_jsonb(t)::text FROM {table} t ORDER BY 1");
        let part: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .unwrap();
        rows.extend(part.into_iter().map(|r| format!("{table}: {r}")));
    }
    rows
}

#[tokio::test]
async fn a_rebuilt_read_model_equals_the_live_one() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("deka").await;
    let store = id.store("deka", "DK-1", &admin.access).await;
    let ben = id
        .employee("deka", &store.name, "ben@deka.example", &admin.access)
        .await;
    id.employee("deka", &store.name, "cor@deka.example", &admin.access)
        .await;
    id.identity
        .clone()
        .deactivate_user(bearer(
            &admin.access,
            pb::DeactivateUserRequest {
                name: ben.user,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    id.identity
        .clone()
        .update_store(bearer(
            &admin.access,
            pb::UpdateStoreRequest {
                store: Some(pb::Store {
                    name: store.name.clone(),
                    state: pb::store::State::Closed as i32,
                    departments: vec![
                        department("fresh"),
                        department("checkout"),
                        department("bakery"),
                    ],
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["state".into(), "departments".into()],
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();

    let pool = sqlx::PgPool::connect(&id.env.database_url("identity"))
        .await
        .unwrap();
    let live = eventually(Duration::from_secs(10), || async {
        let rows = snapshot(&pool).await;
        let closed = rows
            .iter()
            .any(|r| r.contains("\"closed\": true") && r.contains("bakery"));
        let key = rows.iter().any(|r| r.starts_with("signing_keys"));
        (closed && key).then_some(rows)
    })
    .await;
    projector::rebuild(&pool, &id.env.namespace, &IdentityProjection)
        .await
        .unwrap();
    let rebuilt = eventually(Duration::from_secs(15), || async {
        let rows = snapshot(&pool).await;
        (rows == live).then_some(rows)
    })
    .await;
    assert_eq!(rebuilt.len(), live.len());
    assert!(live.len() > 10, "{live:#?}");
}
