//! The reconciler against a mocked Kubernetes API server (`tower-test`, answering like a
//! small in-memory API server and recording what it was asked) and a real identity
//! service on the test's own NATS namespace and database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use breakroom_operator::{
    crd::{DeletionPolicy, HqAdmin, StoreSpec, Tenant, TenantSpec},
    reconcile::{self, Context, FINALIZER},
};
use breakroom_proto::identity::v1::{self as pb, identity_service_client::IdentityServiceClient};
use breakroom_testing::{TestEnv, recorded};
use http::{Method, Request, Response};
use kube::client::Body;
use serde_json::{Value, json};
use tonic::transport::Channel;

/// One request the API server received.
#[derive(Debug, Clone)]
struct Call {
    method: Method,
    path: String,
    body: Value,
}

/// A mocked API server: answers POSTs with the object sent and PATCHes with the patch
/// applied to the last known object, and records every request.
fn api_server(tenant: &Tenant) -> (kube::Client, Arc<Mutex<Vec<Call>>>) {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let recorded = calls.clone();
    let mut current = serde_json::to_value(tenant).unwrap();
    tokio::spawn(async move {
        while let Some((request, reply)) = handle.next_request().await {
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            let bytes = request.into_body().collect_bytes().await.unwrap();
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            recorded.lock().unwrap().push(Call {
                method: method.clone(),
                path: path.clone(),
                body: body.clone(),
            });
            let (code, answer) = match method {
                Method::POST => (201, body),
                Method::PATCH if path.contains("/tenants/") => {
                    merge(&mut current, &body);
                    (200, current.clone())
                }
                Method::PATCH => (200, body),
                _ => (
                    404,
                    json!({"kind": "Status", "code": 404, "reason": "NotFound"}),
                ),
            };
            let response = Response::builder()
                .status(code)
                .body(Body::from(serde_json::to_vec(&answer).unwrap()))
                .unwrap();
            reply.send_response(response);
        }
    });
    (kube::Client::new(service, "default"), calls)
}

/// RFC 7386 JSON merge patch.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

fn acme(policy: DeletionPolicy) -> Tenant {
    let mut tenant = Tenant::new(
        "acme",
        TenantSpec {
            display_name: "ACME Markets".into(),
            time_zone: "Europe/Berlin".into(),
            locale: "de-DE".into(),
            stores: vec![
                StoreSpec {
                    code: "B001".into(),
                    name: "Berlin Alexanderplatz".into(),
                    region: "east".into(),
                    time_zone: None,
                },
                StoreSpec {
                    code: "L001".into(),
                    name: "Lisbon Baixa".into(),
                    region: "south".into(),
                    time_zone: Some("Europe/Lisbon".into()),
                },
            ],
            hq_admins: vec![HqAdmin {
                display_name: "Hanna".into(),
                email: "hanna@acme.example".into(),
            }],
            deletion_policy: policy,
        },
    );
    tenant.metadata.namespace = Some("default".into());
    tenant.metadata.uid = Some("6f1c8d3e-0000-4000-8000-000000000001".into());
    tenant.metadata.generation = Some(1);
    tenant.metadata.resource_version = Some("10".into());
    tenant
}

/// Identity on a random port; its channel and an operator client.
async fn identity(env: &TestEnv) -> (Channel, breakroom_testing::Running) {
    let config = breakroom_identity::testing::config(env);
    let (server, _app) =
        breakroom_identity::startup::build(config, tokio_util::sync::CancellationToken::new())
            .await
            .expect("build identity");
    let running = breakroom_testing::spawn(server, "breakroom.identity.v1.IdentityService").await;
    (running.channel().await, running)
}

fn context(client: kube::Client, identity: Channel) -> Arc<Context> {
    Arc::new(Context {
        client,
        identity,
        token: breakroom_identity::testing::OPERATOR.into(),
        failures: Default::default(),
    })
}

fn operator<T>(message: T) -> tonic::Request<T> {
    breakroom_testing::bearer(breakroom_identity::testing::OPERATOR, message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_is_onboarded_with_its_stores_and_admins_and_a_second_pass_changes_nothing() {
    let env = TestEnv::new().await;
    let (channel, _identity) = identity(&env).await;
    let tenant = acme(DeletionPolicy::Retain);
    let (client, calls) = api_server(&tenant);
    let ctx = context(client, channel.clone());

    reconcile::reconcile(Arc::new(tenant.clone()), ctx.clone())
        .await
        .unwrap();

    let mut client = IdentityServiceClient::new(channel);
    let stores = client
        .list_stores(operator(pb::ListStoresRequest {
            parent: "tenants/acme".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .stores;
    let found: Vec<_> = stores
        .iter()
        .map(|s| {
            (
                s.store_code.as_str(),
                s.display_name.as_str(),
                s.time_zone.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("B001", "Berlin Alexanderplatz", "Europe/Berlin"),
            ("L001", "Lisbon Baixa", "Europe/Lisbon")
        ]
    );
    let calls_after_first = calls.lock().unwrap().clone();
    let secret = calls_after_first
        .iter()
        .find(|c| c.path.ends_with("/secrets"))
        .expect("invite codes written to a Secret");
    assert_eq!(secret.body["metadata"]["name"], "acme-hq-invites");
    assert!(secret.body["stringData"]["hanna_at_acme.example"].is_string());
    let status = calls_after_first
        .iter()
        .find(|c| c.path.ends_with("/tenants/acme/status"))
        .expect("status patched");
    assert_eq!(status.method, Method::PATCH);
    let written = &status.body["status"];
    assert_eq!(written["storesCreated"], 2);
    assert_eq!(written["observedGeneration"], 1);
    assert_eq!(written["conditions"][0]["type"], "Ready");
    assert_eq!(written["conditions"][0]["status"], "True");
    assert_eq!(written["conditions"][0]["reason"], "Reconciled");
    assert_eq!(written["inviteSecret"], "acme-hq-invites");
    assert!(
        !status.body.to_string().contains(
            secret.body["stringData"]["hanna_at_acme.example"]
                .as_str()
                .unwrap()
        ),
        "an invite code leaked into the status"
    );
    assert!(
        !calls_after_first
            .iter()
            .any(|c| c.path.ends_with("/tenants/acme")),
        "a finalizer was added although the policy is Retain"
    );

    // The watcher hands the reconciler the object with the status it wrote.
    let mut seen = tenant;
    seen.status = Some(serde_json::from_value(written.clone()).unwrap());
    let commits_before = recorded(&env, "identity", ">").await.len();
    reconcile::reconcile(Arc::new(seen), ctx).await.unwrap();

    assert_eq!(recorded(&env, "identity", ">").await.len(), commits_before);
    assert_eq!(
        calls.lock().unwrap().len(),
        calls_after_first.len(),
        "the second pass wrote to Kubernetes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_store_is_updated_and_request_ids_follow_the_generation() {
    let env = TestEnv::new().await;
    let (channel, _identity) = identity(&env).await;
    let tenant = acme(DeletionPolicy::Retain);
    let (client, _calls) = api_server(&tenant);
    let ctx = context(client, channel.clone());
    reconcile::reconcile(Arc::new(tenant.clone()), ctx.clone())
        .await
        .unwrap();

    let mut renamed = tenant.clone();
    renamed.metadata.generation = Some(2);
    renamed.spec.stores[0].name = "Berlin Mitte".into();
    reconcile::reconcile(Arc::new(renamed.clone()), ctx)
        .await
        .unwrap();

    let store = IdentityServiceClient::new(channel)
        .list_stores(operator(pb::ListStoresRequest {
            parent: "tenants/acme".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .stores
        .into_iter()
        .find(|s| s.store_code == "B001")
        .unwrap();
    assert_eq!(store.display_name, "Berlin Mitte");
    assert_ne!(
        reconcile::request_id(&tenant, "store/B001"),
        reconcile::request_id(&renamed, "store/B001")
    );
    assert_eq!(
        reconcile::request_id(&tenant, "store/B001"),
        reconcile::request_id(&tenant.clone(), "store/B001")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_identity_is_reported_in_the_ready_condition_with_a_reason() {
    let tenant = acme(DeletionPolicy::Retain);
    let (client, calls) = api_server(&tenant);
    let nowhere = tonic::transport::Endpoint::from_static("http://127.0.0.1:1").connect_lazy();

    let result = reconcile::reconcile(Arc::new(tenant), context(client, nowhere)).await;

    assert!(result.is_err());
    let calls = calls.lock().unwrap();
    let status = calls
        .iter()
        .find(|c| c.path.ends_with("/status"))
        .expect("status patched");
    let ready = &status.body["status"]["conditions"][0];
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "IdentityUnavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_delete_policy_adds_a_finalizer_and_deletion_then_closes_the_declared_stores() {
    let env = TestEnv::new().await;
    let (channel, _identity) = identity(&env).await;
    let tenant = acme(DeletionPolicy::Delete);
    let (client, calls) = api_server(&tenant);
    let ctx = context(client, channel.clone());

    reconcile::reconcile(Arc::new(tenant.clone()), ctx.clone())
        .await
        .unwrap();
    let finalizer = calls
        .lock()
        .unwrap()
        .iter()
        .find(|c| c.method == Method::PATCH && c.path.ends_with("/tenants/acme"))
        .cloned()
        .expect("finalizer added");
    assert_eq!(finalizer.body["metadata"]["finalizers"], json!([FINALIZER]));

    let mut deleted = tenant;
    deleted.metadata.finalizers = Some(vec![FINALIZER.into()]);
    deleted.metadata.deletion_timestamp = Some(
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::now()),
    );
    reconcile::reconcile(Arc::new(deleted), ctx).await.unwrap();

    let stores = IdentityServiceClient::new(channel)
        .list_stores(operator(pb::ListStoresRequest {
            parent: "tenants/acme".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .stores;
    assert!(
        stores
            .iter()
            .all(|s| s.state == pb::store::State::Closed as i32),
        "{stores:?}"
    );
    let last = calls.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.body["metadata"]["finalizers"], json!([]));
}
