//! Runs the real identity and scheduling services in one test namespace (scheduling learns
//! stores, people and signing keys from identity's events) and sets up a chain: an HQ
//! admin, a store in Europe/Amsterdam, a manager and employees, all logged in.

use std::{net::SocketAddr, time::Duration};

use breakroom_identity::testing::Identity;
pub use breakroom_identity::testing::{Chain, Person, bearer, role_in, uuid};
use breakroom_proto::{
    identity::v1 as id,
    scheduling::v1::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use breakroom_scheduling::config::SchedulingConfig;
pub use breakroom_testing::violated_fields;
use breakroom_testing::{Running, TestEnv, eventually};
use tonic::{Status, transport::Channel};

/// Both services of one test.
pub struct Platform {
    pub env: TestEnv,
    /// Identity with the fixtures that set up chains and people.
    pub people: Identity,
    pub scheduling: SchedulingServiceClient<Channel>,
    pub calendar: SocketAddr,
    /// Where scheduling's gRPC listens.
    pub scheduling_addr: SocketAddr,
    _scheduling: Running,
}

impl Platform {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Both services, scheduling's configuration adjusted by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut SchedulingConfig)) -> Self {
        let env = TestEnv::new().await;
        let people = Identity::spawn(&env).await;
        let mut scheduling_config = SchedulingConfig::new(env.config("scheduling"));
        adjust(&mut scheduling_config);
        let built = breakroom_scheduling::startup::build(
            scheduling_config,
            tokio_util::sync::CancellationToken::new(),
        )
        .await
        .unwrap();
        let calendar = built.calendar_addr;
        let scheduling_running =
            breakroom_testing::spawn(built.server, "breakroom.scheduling.v1.SchedulingService")
                .await;
        Self {
            scheduling_addr: scheduling_running.addr,
            scheduling: SchedulingServiceClient::new(scheduling_running.channel().await),
            calendar,
            env,
            people,
            _scheduling: scheduling_running,
        }
    }

    /// Invites, activates and logs in a person with `memberships`.
    pub async fn person(
        &self,
        tenant: &str,
        email: &str,
        memberships: Vec<id::Membership>,
        inviter: &str,
    ) -> Person {
        self.people
            .person(tenant, email, memberships, inviter)
            .await
    }

    /// A store of `tenant` in Europe/Amsterdam with departments `fresh` and `checkout`.
    pub async fn store(&self, tenant: &str, code: &str, token: &str) -> String {
        self.people.store(tenant, code, token).await
    }

    /// A chain with an HQ admin and one store.
    pub async fn chain(&self, tenant: &str) -> Chain {
        self.people.chain(tenant).await
    }

    /// An employee of `store`.
    pub async fn employee(&self, chain: &Chain, store: &str, email: &str) -> Person {
        self.people.employee(chain, store, email).await
    }

    /// Retries `call` while scheduling has not yet learnt what identity knows (keys, stores,
    /// people): UNAUTHENTICATED, NOT_FOUND, PERMISSION_DENIED, or INVALID_ARGUMENT about an
    /// employee or store it does not know yet.
    pub async fn once_known<T, F, Fut>(&self, mut call: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Status>>,
    {
        eventually(Duration::from_secs(15), || {
            let attempt = call();
            async move {
                match attempt.await {
                    Ok(value) => Some(value),
                    Err(status)
                        if matches!(
                            status.code(),
                            tonic::Code::Unauthenticated
                                | tonic::Code::NotFound
                                | tonic::Code::PermissionDenied
                        ) || status.message().contains("not an active member")
                            || status.message().contains("does not exist") =>
                    {
                        None
                    }
                    Err(status) => panic!("{status:?}"),
                }
            }
        })
        .await
    }

    /// Upserts a shift, waiting until scheduling knows the store and the people.
    pub async fn shift(&self, token: &str, store: &str, shift: pb::Shift) -> pb::Shift {
        self.once_known(|| {
            let mut client = self.scheduling.clone();
            let request = bearer(
                token,
                pb::UpsertShiftRequest {
                    shift: Some(shift.clone()),
                    parent: store.into(),
                    request_id: uuid(),
                },
            );
            async move { client.upsert_shift(request).await.map(|r| r.into_inner()) }
        })
        .await
    }

    /// GET of a calendar URL: status code and body.
    pub async fn http_get(&self, url: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let path = url
            .split_once(&self.calendar.to_string())
            .map(|(_, p)| p)
            .unwrap_or(url);
        let mut stream = tokio::net::TcpStream::connect(self.calendar).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.calendar
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

/// A shift draft.
pub fn shift(employee: &str, start: &str, end: &str) -> pb::Shift {
    pb::Shift {
        employee: employee.into(),
        start_local: start.into(),
        end_local: end.into(),
        position: "Cashier".into(),
        department_id: "checkout".into(),
        ..Default::default()
    }
}

/// A timestamp for an RFC 3339 instant.
pub fn at(instant: &str) -> prost_types::Timestamp {
    let t: jiff::Timestamp = instant.parse().unwrap();
    prost_types::Timestamp {
        seconds: t.as_second(),
        nanos: 0,
    }
}
