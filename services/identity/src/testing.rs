//! Test fixtures for every service that needs identity beside it (feature `testing`): the
//! real identity service in a test's namespace, and the steps tests and benchmarks start
//! from — a chain with an HQ admin, stores, people invited, activated and logged in, a
//! service account with its API key.
//!
//! Every write's consistency token is remembered (`Identity::token`), so a test can hand
//! it to another service (`with_token`) and be answered as if that service had already
//! seen the write, without polling.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use breakroom_events::consistency::MIN_SEQUENCE_KEY;
use breakroom_proto::identity::v1::{
    self as pb, auth_service_client::AuthServiceClient,
    identity_service_client::IdentityServiceClient, login_request,
};
use breakroom_testing::{Running, TestEnv};
use tonic::{Request, transport::Channel};

use crate::{
    config::{IdentityConfig, SigningKeySource},
    secrets::Argon2Settings,
    startup,
};

/// The operator token the test identity accepts.
pub const OPERATOR: &str = "operator-secret-for-tests";
/// A password that meets the policy.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running identity service with clients.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The test's environment.
    pub env: TestEnv,
    /// IdentityService client.
    pub identity: IdentityServiceClient<Channel>,
    /// AuthService client.
    pub auth: AuthServiceClient<Channel>,
    /// Highest identity stream sequence any reply carried.
    last: Arc<AtomicU64>,
    /// Keeps the server running as long as a clone lives.
    _running: Arc<Running>,
}

/// A person (or service account) of a chain, logged in.
#[derive(Debug, Clone)]
pub struct Person {
    /// Resource name: `tenants/t/users/u` (or `.../serviceAccounts/s`).
    pub name: String,
    /// The id (last segment of the name).
    pub id: String,
    /// An access token.
    pub token: String,
    /// The e-mail address (empty for service accounts).
    pub email: String,
}

/// A chain with an HQ admin and one store.
#[derive(Debug, Clone)]
pub struct Chain {
    /// Tenant id.
    pub tenant: String,
    /// The HQ admin, logged in.
    pub admin: Person,
    /// The first store's resource name (Europe/Amsterdam, departments `fresh`, `checkout`).
    pub store: String,
}

/// Test configuration: cheap argon2 (benchmarks measure the real settings).
pub fn config(env: &TestEnv) -> IdentityConfig {
    let seed = base64_seed(7);
    let mut config = IdentityConfig::new(env.config("identity"), SigningKeySource::Seed(seed));
    config.operator_token = Some(OPERATOR.into());
    config.argon2 = Argon2Settings {
        memory_kib: 4096,
        iterations: 1,
        parallelism: 1,
    };
    config
}

/// A base64url Ed25519 seed made of one repeated byte.
pub fn base64_seed(byte: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([byte; 32])
}

/// A fresh request id.
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Wraps a message with a bearer token.
pub fn bearer<T>(token: &str, message: T) -> Request<T> {
    breakroom_testing::bearer(token, message)
}

/// The chain-wide HQ admin membership.
pub fn hq_admin() -> pb::Membership {
    pb::Membership {
        role: pb::Role::HqAdmin as i32,
        ..Default::default()
    }
}

/// A role in a whole store.
pub fn role_in(store: &str, role: pb::Role) -> pb::Membership {
    pb::Membership {
        store: store.into(),
        department_id: String::new(),
        role: role as i32,
    }
}

/// A role in one department of a store.
pub fn role_in_department(store: &str, department: &str, role: pb::Role) -> pb::Membership {
    pb::Membership {
        store: store.into(),
        department_id: department.into(),
        role: role as i32,
    }
}

/// A department of that id.
pub fn department(id: &str) -> pb::Department {
    pb::Department {
        department_id: id.into(),
        display_name: id.to_uppercase(),
    }
}

/// The id (last segment) of a resource name.
pub fn id_of(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or_default()
}

impl Identity {
    /// Starts identity in `env` with the test configuration.
    pub async fn spawn(env: &TestEnv) -> Self {
        Self::spawn_with(env, config(env)).await
    }

    /// Starts identity in `env` with `config`.
    pub async fn spawn_with(env: &TestEnv, config: IdentityConfig) -> Self {
        let (server, _app) = startup::build(config, tokio_util::sync::CancellationToken::new())
            .await
            .expect("build identity");
        let running =
            breakroom_testing::spawn(server, "breakroom.identity.v1.IdentityService").await;
        let channel = running.channel().await;
        Self {
            env: env.clone(),
            identity: IdentityServiceClient::new(channel.clone()),
            auth: AuthServiceClient::new(channel),
            last: Arc::default(),
            _running: Arc::new(running),
        }
    }

    /// The consistency token covering every identity write made through this fixture
    /// (`identity:<sequence>`).
    pub fn token(&self) -> String {
        format!("identity:{}", self.last.load(Ordering::SeqCst))
    }

    /// Adds this fixture's consistency token to a request for another service.
    pub fn with_token<T>(&self, mut request: Request<T>) -> Request<T> {
        request
            .metadata_mut()
            .insert(MIN_SEQUENCE_KEY, self.token().parse().expect("ASCII token"));
        request
    }

    /// Remembers the sequence of a reply's consistency token.
    fn note<T>(&self, response: tonic::Response<T>) -> T {
        self.last.fetch_max(
            breakroom_testing::sequence(response.metadata()),
            Ordering::SeqCst,
        );
        response.into_inner()
    }

    /// Creates tenant `id` as the operator.
    pub async fn tenant(&self, id: &str) -> pb::Tenant {
        let reply = self
            .identity
            .clone()
            .create_tenant(bearer(
                OPERATOR,
                pb::CreateTenantRequest {
                    tenant_id: id.into(),
                    tenant: Some(pb::Tenant {
                        display_name: format!("Chain {id}"),
                        time_zone: "Europe/Amsterdam".into(),
                        locale: "nl-NL".into(),
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await
            .expect("create tenant");
        self.note(reply)
    }

    /// Creates a store in `time_zone` with departments `fresh` and `checkout`, as `token`;
    /// returns its resource name.
    pub async fn store_in(&self, tenant: &str, code: &str, time_zone: &str, token: &str) -> String {
        let reply = self
            .identity
            .clone()
            .create_store(bearer(
                token,
                pb::CreateStoreRequest {
                    parent: format!("tenants/{tenant}"),
                    store: Some(pb::Store {
                        display_name: format!("Store {code}"),
                        store_code: code.into(),
                        region: "west".into(),
                        time_zone: time_zone.into(),
                        departments: vec![department("fresh"), department("checkout")],
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await
            .expect("create store");
        self.note(reply).name
    }

    /// Offboards `person` as `token` (DeactivateUser); `token()` then covers it.
    pub async fn offboard(&self, person: &Person, token: &str) -> pb::User {
        let reply = self
            .identity
            .clone()
            .deactivate_user(bearer(
                token,
                pb::DeactivateUserRequest {
                    name: person.name.clone(),
                    request_id: uuid(),
                },
            ))
            .await
            .expect("deactivate user");
        self.note(reply)
    }

    /// A store in Europe/Amsterdam.
    pub async fn store(&self, tenant: &str, code: &str, token: &str) -> String {
        self.store_in(tenant, code, "Europe/Amsterdam", token).await
    }

    /// Invites `email` with `memberships` as `inviter`; returns the reply.
    pub async fn invite(
        &self,
        tenant: &str,
        email: &str,
        memberships: Vec<pb::Membership>,
        inviter: &str,
    ) -> pb::InviteUserResponse {
        let reply = self
            .identity
            .clone()
            .invite_user(bearer(
                inviter,
                pb::InviteUserRequest {
                    parent: format!("tenants/{tenant}"),
                    user: Some(pb::User {
                        display_name: email.split('@').next().unwrap_or("someone").into(),
                        email: email.into(),
                        memberships,
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await
            .expect("invite");
        self.note(reply)
    }

    /// Activates with `code` and the test password.
    pub async fn activate(&self, tenant: &str, code: &str) -> pb::User {
        let reply = self
            .identity
            .clone()
            .activate_user(pb::ActivateUserRequest {
                tenant: format!("tenants/{tenant}"),
                invite_code: code.into(),
                password: PASSWORD.into(),
                request_id: uuid(),
            })
            .await
            .expect("activate");
        self.note(reply)
    }

    /// Logs in by e-mail from `device`; returns the access token.
    pub async fn login_from(&self, tenant: &str, email: &str, device: pb::DeviceClass) -> String {
        let reply = self
            .auth
            .clone()
            .login(pb::LoginRequest {
                tenant: format!("tenants/{tenant}"),
                credential: Some(login_request::Credential::Password(
                    login_request::Password {
                        login: Some(login_request::password::Login::Email(email.into())),
                        password: PASSWORD.into(),
                    },
                )),
                device_class: device as i32,
                client_version: "test/1".into(),
                request_id: uuid(),
            })
            .await
            .expect("login");
        self.note(reply).access_token
    }

    /// Invites, activates and logs in (from the mobile app) a person with `memberships`.
    pub async fn person(
        &self,
        tenant: &str,
        email: &str,
        memberships: Vec<pb::Membership>,
        inviter: &str,
    ) -> Person {
        let invited = self.invite(tenant, email, memberships, inviter).await;
        self.activate(tenant, &invited.invite_code).await;
        let name = invited.user.expect("invited user").name;
        Person {
            id: id_of(&name).to_owned(),
            name,
            token: self
                .login_from(tenant, email, pb::DeviceClass::MobileApp)
                .await,
            email: email.into(),
        }
    }

    /// A chain with an HQ admin (invited by the operator) and one store `S-1`.
    pub async fn chain(&self, tenant: &str) -> Chain {
        self.tenant(tenant).await;
        let admin = self
            .person(
                tenant,
                &format!("hq@{tenant}.example"),
                vec![hq_admin()],
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

    /// A person holding `role` in the whole of `store`.
    pub async fn member(&self, chain: &Chain, store: &str, email: &str, role: pb::Role) -> Person {
        self.person(
            &chain.tenant,
            email,
            vec![role_in(store, role)],
            &chain.admin.token,
        )
        .await
    }

    /// An employee of `store`.
    pub async fn employee(&self, chain: &Chain, store: &str, email: &str) -> Person {
        self.member(chain, store, email, pb::Role::Employee).await
    }

    /// A service account (ROLE_INTEGRATION) of the chain, logged in with its API key.
    pub async fn service_account(&self, chain: &Chain, display_name: &str) -> Person {
        let reply = self
            .identity
            .clone()
            .create_service_account(bearer(
                &chain.admin.token,
                pb::CreateServiceAccountRequest {
                    parent: format!("tenants/{}", chain.tenant),
                    service_account: Some(pb::ServiceAccount {
                        display_name: display_name.into(),
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await
            .expect("create service account");
        let created = self.note(reply);
        let login = self
            .auth
            .clone()
            .login(pb::LoginRequest {
                tenant: format!("tenants/{}", chain.tenant),
                credential: Some(login_request::Credential::ApiKey(created.api_key)),
                device_class: pb::DeviceClass::Api as i32,
                client_version: "wfm/1".into(),
                request_id: uuid(),
            })
            .await
            .expect("API-key login");
        let name = created.service_account.expect("account").name;
        Person {
            id: id_of(&name).to_owned(),
            name,
            token: self.note(login).access_token,
            email: String::new(),
        }
    }
}
