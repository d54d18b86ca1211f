//! The Kubernetes lease backend against a mocked API server (`tower-test`): each test
//! plays the API server, answering the requests the backend makes, in order, and checks
//! what it wrote (holder, resourceVersion preconditions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{sync::Arc, time::Duration};

use breakroom_base::namespace::Namespace;
use breakroom_events::projector::lease::{KubernetesLeases, LeaseBackend, LeaseGuard};
use http::{Method, Request, Response};
use kube::client::Body;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower_test::mock::{Handle, SendResponse};

const PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/breakroom/leases";
const NAME: &str = "dev-scheduling-rosters";
const KEY: &str = "scheduling_rosters";
const TTL: Duration = Duration::from_secs(1);

/// The mocked API server: the other end of the client's service.
struct ApiServer(Handle<Request<Body>, Response<Body>>);

/// One request as the API server received it.
struct Received {
    method: Method,
    path: String,
    body: Value,
    reply: SendResponse<Response<Body>>,
}

impl Received {
    fn answer(self, code: u16, body: Value) {
        let response = Response::builder()
            .status(code)
            .body(Body::from(serde_json::to_vec(&body).unwrap()))
            .unwrap();
        self.reply.send_response(response);
    }

    fn holder(&self) -> Option<&str> {
        self.body["spec"]["holderIdentity"].as_str()
    }

    fn resource_version(&self) -> Option<&str> {
        self.body["metadata"]["resourceVersion"].as_str()
    }
}

impl ApiServer {
    async fn next(&mut self) -> Received {
        let (request, reply) = tokio::time::timeout(Duration::from_secs(5), self.0.next_request())
            .await
            .expect("the backend made no request")
            .expect("client gone");
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let bytes = request.into_body().collect_bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Received {
            method,
            path,
            body,
            reply,
        }
    }

    /// Expects `method` on the lease and returns the request.
    async fn expect(&mut self, method: Method) -> Received {
        let received = self.next().await;
        let path = if method == Method::POST {
            PATH.to_owned()
        } else {
            format!("{PATH}/{NAME}")
        };
        assert_eq!(
            (&received.method, received.path.as_str()),
            (&method, path.as_str())
        );
        received
    }

    /// Plays an absent lease, then a successful creation at resourceVersion 1.
    async fn grant_by_creation(&mut self) {
        self.expect(Method::GET)
            .await
            .answer(404, status(404, "NotFound"));
        let create = self.expect(Method::POST).await;
        let holder = create.holder().unwrap().to_owned();
        create.answer(201, lease(Some(&holder), "1", 0));
    }
}

fn status(code: u16, reason: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
           "message": reason, "reason": reason, "code": code})
}

fn lease(holder: Option<&str>, resource_version: &str, transitions: i32) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": NAME, "namespace": "breakroom", "resourceVersion": resource_version},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": TTL.as_secs(),
            "leaseTransitions": transitions,
            "renewTime": "2026-12-01T22:00:00.000000Z",
        }
    })
}

fn backend() -> (Arc<KubernetesLeases>, ApiServer) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = kube::Client::new(service, "default");
    let leases = KubernetesLeases::new(client, "breakroom", Namespace::parse("dev").unwrap(), TTL);
    (Arc::new(leases), ApiServer(handle))
}

/// Starts `holder`'s acquisition in the background.
fn acquire(
    leases: &Arc<KubernetesLeases>,
    holder: &'static str,
    cancel: &CancellationToken,
) -> tokio::task::JoinHandle<Option<Box<dyn LeaseGuard>>> {
    let leases = leases.clone();
    let cancel = cancel.clone();
    tokio::spawn(async move { leases.acquire(KEY, holder, &cancel).await })
}

#[tokio::test]
async fn an_absent_lease_is_acquired_by_creating_it_with_the_holder_and_ttl() {
    let (leases, mut api) = backend();
    let acquiring = acquire(&leases, "pod-a", &CancellationToken::new());

    api.expect(Method::GET)
        .await
        .answer(404, status(404, "NotFound"));
    let create = api.expect(Method::POST).await;
    assert_eq!(create.body["metadata"]["name"], NAME);
    assert_eq!(create.holder(), Some("pod-a"));
    assert_eq!(create.body["spec"]["leaseDurationSeconds"], 1);
    create.answer(201, lease(Some("pod-a"), "1", 0));

    let guard = acquiring.await.unwrap().expect("acquired");
    assert_eq!(guard.renew_every(), TTL / 3);
}

#[tokio::test]
async fn renewals_are_conditional_on_the_resource_version_last_seen() {
    let (leases, mut api) = backend();
    let acquiring = acquire(&leases, "pod-a", &CancellationToken::new());
    api.grant_by_creation().await;
    let mut guard = acquiring.await.unwrap().unwrap();

    for (seen, next) in [("1", "2"), ("2", "3")] {
        let (renewed, ()) = tokio::join!(guard.renew(), async {
            let put = api.expect(Method::PUT).await;
            assert_eq!(put.resource_version(), Some(seen));
            assert_eq!(put.holder(), Some("pod-a"));
            put.answer(200, lease(Some("pod-a"), next, 0));
        });
        renewed.unwrap();
    }
}

#[tokio::test]
async fn a_conflict_on_renewal_means_the_lease_is_lost() {
    let (leases, mut api) = backend();
    let acquiring = acquire(&leases, "pod-a", &CancellationToken::new());
    api.grant_by_creation().await;
    let mut guard = acquiring.await.unwrap().unwrap();

    let (renewed, ()) = tokio::join!(guard.renew(), async {
        // Another replica took the lease over: the version we hold is stale.
        api.expect(Method::PUT)
            .await
            .answer(409, status(409, "Conflict"));
    });

    assert!(renewed.is_err(), "a stale holder believed it renewed");
}

#[tokio::test]
async fn a_lease_held_elsewhere_is_taken_over_only_after_standing_unrenewed_for_its_ttl() {
    let (leases, mut api) = backend();
    let acquiring = acquire(&leases, "pod-a", &CancellationToken::new());

    // Another replica creates it first: the creation loses with AlreadyExists.
    api.expect(Method::GET)
        .await
        .answer(404, status(404, "NotFound"));
    api.expect(Method::POST)
        .await
        .answer(409, status(409, "AlreadyExists"));
    // It renews once (a new resourceVersion restarts the clock), then dies.
    api.expect(Method::GET)
        .await
        .answer(200, lease(Some("pod-b"), "7", 0));
    api.expect(Method::GET)
        .await
        .answer(200, lease(Some("pod-b"), "8", 0));
    let dead_since = Instant::now();
    let takeover = loop {
        let received = api.next().await;
        if received.method == Method::PUT {
            break received;
        }
        assert_eq!(received.method, Method::GET);
        received.answer(200, lease(Some("pod-b"), "8", 0));
    };

    assert!(
        dead_since.elapsed() >= TTL - Duration::from_millis(300),
        "taken over after {:?}, before the TTL",
        dead_since.elapsed()
    );
    assert_eq!(takeover.resource_version(), Some("8"));
    assert_eq!(takeover.holder(), Some("pod-a"));
    assert_eq!(takeover.body["spec"]["leaseTransitions"], 1);
    takeover.answer(200, lease(Some("pod-a"), "9", 1));
    assert!(acquiring.await.unwrap().is_some());
}

#[tokio::test]
async fn losing_the_takeover_race_keeps_the_replica_standing_by() {
    let (leases, mut api) = backend();
    let cancel = CancellationToken::new();
    let acquiring = acquire(&leases, "pod-a", &cancel);

    api.expect(Method::GET)
        .await
        .answer(200, lease(None, "4", 2));
    // Released, so free at once; but another replica's replace landed first.
    let put = api.expect(Method::PUT).await;
    assert_eq!(put.resource_version(), Some("4"));
    put.answer(409, status(409, "Conflict"));
    api.expect(Method::GET)
        .await
        .answer(200, lease(Some("pod-c"), "5", 3));
    cancel.cancel();

    assert!(acquiring.await.unwrap().is_none());
}

#[tokio::test]
async fn release_on_shutdown_clears_the_holder_at_the_last_version_and_frees_the_lease_at_once() {
    let (leases, mut api) = backend();
    let acquiring = acquire(&leases, "pod-a", &CancellationToken::new());
    api.grant_by_creation().await;
    let guard = acquiring.await.unwrap().unwrap();

    let ((), released) = tokio::join!(guard.release(), async {
        let put = api.expect(Method::PUT).await;
        assert_eq!(put.resource_version(), Some("1"));
        assert_eq!(put.holder(), None);
        let body = lease(None, "2", 0);
        put.answer(200, body.clone());
        body
    });

    // A standby that sees the released lease takes it without waiting for the TTL.
    let started = Instant::now();
    let acquiring = acquire(&leases, "pod-b", &CancellationToken::new());
    api.expect(Method::GET).await.answer(200, released);
    let put = api.expect(Method::PUT).await;
    assert_eq!(put.resource_version(), Some("2"));
    assert_eq!(put.holder(), Some("pod-b"));
    put.answer(200, lease(Some("pod-b"), "3", 1));
    assert!(acquiring.await.unwrap().is_some());
    assert!(started.elapsed() < TTL / 2, "{:?}", started.elapsed());
}
