//! Spawns the real identity service on a fresh namespace and database, and offers the
//! steps most tests start from: a tenant, a store, an activated user with tokens.

use breakroom_identity::{config::IdentityConfig, startup};
use breakroom_proto::identity::v1::{
    self as pb, auth_service_client::AuthServiceClient,
    identity_service_client::IdentityServiceClient, login_request,
};
use breakroom_testing::{Running, TestEnv};
use tonic::{Request, Status, transport::Channel};

pub use breakroom_identity::testing::{
    OPERATOR, PASSWORD, bearer, config, department, hq_admin, id_of, role_in, uuid,
};
pub use breakroom_testing::violated_fields;

/// A running identity service.
pub struct Identity {
    pub env: TestEnv,
    /// Keeps the server running for the test's lifetime.
    pub _running: Running,
    pub identity: IdentityServiceClient<Channel>,
    pub auth: AuthServiceClient<Channel>,
}

/// An activated user with a session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub access: String,
    pub refresh: String,
    pub session: String,
    /// The activation's consistency token (`breakroom-sequence`), for reads after it.
    pub activated: String,
}

impl Identity {
    /// Starts identity in a new environment.
    pub async fn spawn() -> Self {
        let env = TestEnv::new().await;
        Self::spawn_with(env.clone(), config(&env)).await
    }

    /// Starts identity with `config` in `env`.
    pub async fn spawn_with(env: TestEnv, config: IdentityConfig) -> Self {
        let (server, _app) =
            startup::build(config.clone(), tokio_util::sync::CancellationToken::new())
                .await
                .expect("build identity");
        let running =
            breakroom_testing::spawn(server, "breakroom.identity.v1.IdentityService").await;
        let channel = running.channel().await;
        Self {
            identity: IdentityServiceClient::new(channel.clone()),
            auth: AuthServiceClient::new(channel),
            env,
            _running: running,
        }
    }

    /// Creates tenant `id` as the operator.
    pub async fn tenant(&self, id: &str) -> pb::Tenant {
        self.identity
            .clone()
            .create_tenant(as_operator(pb::CreateTenantRequest {
                tenant_id: id.into(),
                tenant: Some(pb::Tenant {
                    display_name: format!("Chain {id}"),
                    time_zone: "Europe/Amsterdam".into(),
                    locale: "nl-NL".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            }))
            .await
            .expect("create tenant")
            .into_inner()
    }

    /// Creates a store with departments `fresh` and `checkout`, as `token`.
    pub async fn store(&self, tenant: &str, code: &str, token: &str) -> pb::Store {
        self.identity
            .clone()
            .create_store(bearer(
                token,
                pb::CreateStoreRequest {
                    parent: format!("tenants/{tenant}"),
                    store: Some(pb::Store {
                        display_name: format!("Store {code}"),
                        store_code: code.into(),
                        region: "west".into(),
                        departments: vec![department("fresh"), department("checkout")],
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await
            .expect("create store")
            .into_inner()
    }

    /// Invites `email` with `memberships` as `token` and returns the response.
    pub async fn invite(
        &self,
        tenant: &str,
        email: &str,
        memberships: Vec<pb::Membership>,
        token: &str,
    ) -> Result<pb::InviteUserResponse, Status> {
        self.identity
            .clone()
            .invite_user(bearer(
                token,
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
            .map(|r| r.into_inner())
    }

    /// Activates with `code` and logs in by e-mail.
    pub async fn activate_and_login(&self, tenant: &str, email: &str, code: &str) -> Session {
        let (user, sequence) = self
            .activate_with_token(tenant, code, PASSWORD)
            .await
            .expect("activate");
        let login = self.login(tenant, email, PASSWORD).await.expect("login");
        Session {
            user: user.name,
            access: login.access_token,
            refresh: login.refresh_token,
            session: login.session,
            activated: sequence,
        }
    }

    /// ActivateUser.
    pub async fn auth_activate(
        &self,
        tenant: &str,
        code: &str,
        password: &str,
    ) -> Result<pb::User, Status> {
        Ok(self.activate_with_token(tenant, code, password).await?.0)
    }

    /// ActivateUser, with the reply's consistency token (`breakroom-sequence`).
    pub async fn activate_with_token(
        &self,
        tenant: &str,
        code: &str,
        password: &str,
    ) -> Result<(pb::User, String), Status> {
        let activated = self
            .identity
            .clone()
            .activate_user(pb::ActivateUserRequest {
                tenant: format!("tenants/{tenant}"),
                invite_code: code.into(),
                password: password.into(),
                request_id: uuid(),
            })
            .await?;
        let sequence = activated
            .metadata()
            .get("breakroom-sequence")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok((activated.into_inner(), sequence))
    }

    /// Login by e-mail and password from the mobile app.
    pub async fn login(
        &self,
        tenant: &str,
        email: &str,
        password: &str,
    ) -> Result<pb::LoginResponse, Status> {
        self.auth
            .clone()
            .login(pb::LoginRequest {
                tenant: format!("tenants/{tenant}"),
                credential: Some(login_request::Credential::Password(
                    login_request::Password {
                        login: Some(login_request::password::Login::Email(email.into())),
                        password: password.into(),
                    },
                )),
                device_class: pb::DeviceClass::MobileApp as i32,
                client_version: "ios/3.4.1".into(),
                request_id: uuid(),
            })
            .await
            .map(|r| r.into_inner())
    }

    /// A tenant with an HQ admin, logged in.
    pub async fn chain_with_admin(&self, tenant: &str) -> Session {
        self.tenant(tenant).await;
        let email = format!("hq@{tenant}.example");
        let invited = self
            .invite(tenant, &email, vec![hq_admin()], OPERATOR)
            .await
            .expect("invite admin");
        self.activate_and_login(tenant, &email, &invited.invite_code)
            .await
    }

    /// Invites and activates an employee of `store`, logged in.
    pub async fn employee(&self, tenant: &str, store: &str, email: &str, admin: &str) -> Session {
        let invited = self
            .invite(
                tenant,
                email,
                vec![role_in(store, pb::Role::Employee)],
                admin,
            )
            .await
            .expect("invite employee");
        self.activate_and_login(tenant, email, &invited.invite_code)
            .await
    }
}

impl Identity {
    /// Every commit recorded under `<ns>.identity.<filter>` (e.g. `user.acme.*`).
    pub async fn recorded(&self, filter: &str) -> Vec<breakroom_events::envelope::RecordedCommit> {
        breakroom_testing::recorded(&self.env, "identity", filter).await
    }
}

/// The event type names of commits, in order (the envelope names no types: each event's
/// message follows from the subject's aggregate type, its kind from the oneof case).
pub fn event_types(commits: &[breakroom_events::envelope::RecordedCommit]) -> Vec<String> {
    use breakroom_events::aggregate::Aggregate;
    use breakroom_identity::domain::{
        audit::LoginAudit, service_account::ServiceAccount, user::User,
    };
    fn names<A: Aggregate>(commit: &breakroom_events::envelope::RecordedCommit) -> Vec<String> {
        let events: Vec<A::Event> = commit.events().expect("events");
        events.iter().map(A::event_type).collect()
    }
    commits
        .iter()
        .flat_map(|c| match c.aggregate_type() {
            "user" => names::<User>(c),
            "service_account" => names::<ServiceAccount>(c),
            "login_audit" => names::<LoginAudit>(c),
            other => panic!("no event names for {other} in these tests"),
        })
        .collect()
}

/// Wraps a message with the operator token.
pub fn as_operator<T>(message: T) -> Request<T> {
    bearer(OPERATOR, message)
}

/// The `ErrorInfo.reason` of a status.
pub fn reason_of(status: &Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// The reasons the protos document for `rpc` (backquoted words in the comment above it).
pub fn documented_reasons(rpc: &str) -> Vec<String> {
    let protos = [
        include_str!("../../../../proto/breakroom/identity/v1/identity_service.proto"),
        include_str!("../../../../proto/breakroom/identity/v1/auth_service.proto"),
    ];
    let declaration = format!("rpc {rpc}(");
    for proto in protos {
        let lines: Vec<&str> = proto.lines().collect();
        if let Some(at) = lines
            .iter()
            .position(|l| l.trim().starts_with(&declaration))
        {
            let comment: String = lines[..at]
                .iter()
                .rev()
                .take_while(|l| l.trim().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect();
            return comment
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
                .map(str::to_owned)
                .collect();
        }
    }
    panic!("no rpc {rpc} in the protos")
}
