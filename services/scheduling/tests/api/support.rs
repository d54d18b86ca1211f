//! Runs the real identity and scheduling services in one test namespace (scheduling learns
//! stores, people and signing keys from identity's events) and sets up a chain: an HQ
//! admin, a store in Europe/Amsterdam, a manager and employees, all logged in.

use std::{net::SocketAddr, time::Duration};

use breakroom_identity::{
    config::{IdentityConfig, SigningKeySource},
    secrets::Argon2Settings,
};
use breakroom_kit::testing::{self, Running, TestEnv, eventually};
use breakroom_proto::{
    identity::v1::{
        self as id, auth_service_client::AuthServiceClient,
        identity_service_client::IdentityServiceClient, login_request,
    },
    scheduling::v1::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use breakroom_scheduling::config::SchedulingConfig;
use tonic::{Request, Status, transport::Channel};

const OPERATOR: &str = "operator-for-scheduling-tests";
const PASSWORD: &str = "correct horse battery staple";

/// Both services of one test.
pub struct Platform {
    pub env: TestEnv,
    pub identity: IdentityServiceClient<Channel>,
    pub auth: AuthServiceClient<Channel>,
    pub scheduling: SchedulingServiceClient<Channel>,
    pub calendar: SocketAddr,
    _identity: Running,
    _scheduling: Running,
}

/// A person of the chain, logged in.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub token: String,
}

/// A chain with one store (or more) and its people.
#[derive(Debug, Clone)]
pub struct Chain {
    pub tenant: String,
    pub admin: Person,
    pub store: String,
}

pub fn bearer<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Platform {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Both services, scheduling's configuration adjusted by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut SchedulingConfig)) -> Self {
        let env = TestEnv::new().await;
        let mut identity_config = IdentityConfig::new(
            env.config("identity"),
            SigningKeySource::Seed("CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk".into()),
        );
        identity_config.operator_token = Some(OPERATOR.into());
        identity_config.argon2 = Argon2Settings {
            memory_kib: 4096,
            iterations: 1,
            parallelism: 1,
        };
        let (server, _) = breakroom_identity::startup::build(
            identity_config,
            tokio_util::sync::CancellationToken::new(),
        )
        .await
        .unwrap();
        let identity_running =
            testing::spawn(server, "breakroom.identity.v1.IdentityService").await;
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
            testing::spawn(built.server, "breakroom.scheduling.v1.SchedulingService").await;
        let identity_channel = identity_running.channel().await;
        Self {
            identity: IdentityServiceClient::new(identity_channel.clone()),
            auth: AuthServiceClient::new(identity_channel),
            scheduling: SchedulingServiceClient::new(scheduling_running.channel().await),
            calendar,
            env,
            _identity: identity_running,
            _scheduling: scheduling_running,
        }
    }

    async fn login(&self, tenant: &str, email: &str) -> String {
        self.auth
            .clone()
            .login(id::LoginRequest {
                tenant: format!("tenants/{tenant}"),
                credential: Some(login_request::Credential::Password(
                    login_request::Password {
                        login: Some(login_request::password::Login::Email(email.into())),
                        password: PASSWORD.into(),
                    },
                )),
                device_class: id::DeviceClass::MobileApp as i32,
                client_version: "test/1".into(),
                request_id: uuid(),
            })
            .await
            .unwrap()
            .into_inner()
            .access_token
    }

    /// Invites, activates and logs in a person with `memberships`.
    pub async fn person(
        &self,
        tenant: &str,
        email: &str,
        memberships: Vec<id::Membership>,
        inviter: &str,
    ) -> Person {
        let invited = self
            .identity
            .clone()
            .invite_user(bearer(
                inviter,
                id::InviteUserRequest {
                    parent: format!("tenants/{tenant}"),
                    user: Some(id::User {
                        display_name: email.split('@').next().unwrap().into(),
                        email: email.into(),
                        memberships,
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        self.identity
            .clone()
            .activate_user(id::ActivateUserRequest {
                tenant: format!("tenants/{tenant}"),
                invite_code: invited.invite_code,
                password: PASSWORD.into(),
                request_id: uuid(),
            })
            .await
            .unwrap();
        Person {
            name: invited.user.unwrap().name,
            token: self.login(tenant, email).await,
        }
    }

    /// A store of `tenant` in Europe/Amsterdam with departments `fresh` and `checkout`.
    pub async fn store(&self, tenant: &str, code: &str, token: &str) -> String {
        self.identity
            .clone()
            .create_store(bearer(
                token,
                id::CreateStoreRequest {
                    parent: format!("tenants/{tenant}"),
                    store: Some(id::Store {
                        display_name: format!("Store {code}"),
                        store_code: code.into(),
                        time_zone: "Europe/Amsterdam".into(),
                        departments: vec![
                            id::Department {
                                department_id: "fresh".into(),
                                display_name: "Fresh".into(),
                            },
                            id::Department {
                                department_id: "checkout".into(),
                                display_name: "Checkout".into(),
                            },
                        ],
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .name
    }

    /// A chain with an HQ admin and one store.
    pub async fn chain(&self, tenant: &str) -> Chain {
        self.identity
            .clone()
            .create_tenant(bearer(
                OPERATOR,
                id::CreateTenantRequest {
                    tenant_id: tenant.into(),
                    tenant: Some(id::Tenant {
                        display_name: tenant.into(),
                        time_zone: "Europe/Amsterdam".into(),
                        locale: "nl-NL".into(),
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap();
        let admin = self
            .person(
                tenant,
                &format!("hq@{tenant}.example"),
                vec![id::Membership {
                    role: id::Role::HqAdmin as i32,
                    ..Default::default()
                }],
                OPERATOR,
            )
            .await;
        let store = self.store(tenant, "S-1", &admin.token).await;
        Chain {
            tenant: tenant.into(),
            admin,
            store,
        }
    }

    /// An employee of `store`.
    pub async fn employee(&self, chain: &Chain, store: &str, email: &str) -> Person {
        self.person(
            &chain.tenant,
            email,
            vec![role_in(store, id::Role::Employee)],
            &chain.admin.token,
        )
        .await
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

pub fn role_in(store: &str, role: id::Role) -> id::Membership {
    id::Membership {
        store: store.into(),
        department_id: String::new(),
        role: role as i32,
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

/// The field violations of an INVALID_ARGUMENT.
pub fn violated_fields(status: &Status) -> Vec<String> {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// A timestamp for an RFC 3339 instant.
pub fn at(instant: &str) -> prost_types::Timestamp {
    let t: jiff::Timestamp = instant.parse().unwrap();
    prost_types::Timestamp {
        seconds: t.as_second(),
        nanos: 0,
    }
}
