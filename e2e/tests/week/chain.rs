//! A chain onboarded through identity's public API, as a platform team would: tenant,
//! stores in two time zones, people bulk-invited per store and activated, an HQ admin, a
//! WFM service account, and logins from phones and desktops.

use breakroom_e2e::platform::OPERATOR_TOKEN;
use breakroom_proto::identity::v1::{
    self as pb, auth_service_client::AuthServiceClient,
    identity_service_client::IdentityServiceClient, login_request,
};
use breakroom_testing::bearer;
use tonic::transport::Channel;

pub const TENANT: &str = "e2e-chain";
pub const PASSWORD: &str = "correct horse battery staple";

/// A person with a session.
#[derive(Debug, Clone)]
pub struct Person {
    /// `tenants/e2e-chain/users/<id>`.
    pub name: String,
    /// Department (`checkout` or `fresh`); empty for managers.
    pub department: String,
    /// An access token.
    pub token: String,
}

/// A store and its people.
#[derive(Debug, Clone)]
pub struct Store {
    /// `tenants/e2e-chain/stores/<id>`.
    pub name: String,
    /// The store manager.
    pub manager: Person,
    /// Employees (the rest).
    pub employees: Vec<Person>,
}

/// The onboarded chain.
#[derive(Debug, Clone)]
pub struct Chain {
    /// HQ admin.
    pub hq: Person,
    /// The WFM integration's access token.
    pub wfm: String,
    /// The stores.
    pub stores: Vec<Store>,
    /// identity's consistency token after the last write.
    pub position: String,
}

pub const ZONES: [&str; 3] = ["Europe/Amsterdam", "Europe/Amsterdam", "Europe/London"];

/// Onboards a chain with `per_store` people in each of three stores.
pub async fn onboard(identity: Channel, per_store: usize) -> Chain {
    let mut directory = IdentityServiceClient::new(identity.clone());
    directory
        .create_tenant(bearer(
            OPERATOR_TOKEN,
            pb::CreateTenantRequest {
                tenant_id: TENANT.into(),
                tenant: Some(pb::Tenant {
                    display_name: "E2E Markets".into(),
                    time_zone: "Europe/Amsterdam".into(),
                    locale: "nl-NL".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    let parent = format!("tenants/{TENANT}");
    let hq_invite = directory
        .invite_user(bearer(
            OPERATOR_TOKEN,
            pb::InviteUserRequest {
                parent: parent.clone(),
                user: Some(pb::User {
                    display_name: "HQ".into(),
                    email: "hq@e2e.example".into(),
                    memberships: vec![pb::Membership {
                        role: pb::Role::HqAdmin as i32,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let hq = activate_and_login(&identity, hq_invite, "", pb::DeviceClass::DesktopWeb).await;
    let mut stores = Vec::new();
    let mut position = String::new();
    for (s, zone) in ZONES.iter().enumerate() {
        let store = directory
            .create_store(bearer(
                &hq.token,
                pb::CreateStoreRequest {
                    parent: parent.clone(),
                    store: Some(pb::Store {
                        display_name: format!("Store {s}"),
                        store_code: format!("S{s}"),
                        region: if s < 2 { "randstad" } else { "uk" }.into(),
                        time_zone: (*zone).into(),
                        departments: ["checkout", "fresh"]
                            .into_iter()
                            .map(|d| pb::Department {
                                department_id: d.into(),
                                display_name: d.into(),
                            })
                            .collect(),
                        ..Default::default()
                    }),
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        let requests = (0..per_store)
            .map(|i| {
                let (role, department) = match i {
                    0 => (pb::Role::StoreManager, ""),
                    _ if i % 2 == 0 => (pb::Role::Employee, "checkout"),
                    _ => (pb::Role::Employee, "fresh"),
                };
                pb::InviteUserRequest {
                    user: Some(pb::User {
                        display_name: format!("Person {s}-{i}"),
                        email: format!("p{s}-{i}@e2e.example"),
                        memberships: vec![pb::Membership {
                            store: store.name.clone(),
                            department_id: department.into(),
                            role: role as i32,
                        }],
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            })
            .collect();
        let reply = directory
            .batch_invite_users(bearer(
                &hq.token,
                pb::BatchInviteUsersRequest {
                    parent: parent.clone(),
                    requests,
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            ))
            .await
            .unwrap();
        position = breakroom_testing::token(reply.metadata());
        let mut people = Vec::new();
        for (i, invitation) in reply.into_inner().invitations.into_iter().enumerate() {
            // Most employees are on their phones; managers at a desk.
            let device = match i {
                0 => pb::DeviceClass::DesktopWeb,
                _ if i % 10 == 0 => pb::DeviceClass::MobileWeb,
                _ => pb::DeviceClass::MobileApp,
            };
            let department = match i {
                0 => "",
                _ if i % 2 == 0 => "checkout",
                _ => "fresh",
            };
            people.push(activate_and_login(&identity, invitation, department, device).await);
        }
        let manager = people.remove(0);
        stores.push(Store {
            name: store.name,
            manager,
            employees: people,
        });
    }
    let api_key = directory
        .create_service_account(bearer(
            &hq.token,
            pb::CreateServiceAccountRequest {
                parent: parent.clone(),
                service_account: Some(pb::ServiceAccount {
                    display_name: "WFM".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .api_key;
    let wfm = AuthServiceClient::new(identity)
        .login(pb::LoginRequest {
            tenant: parent,
            credential: Some(login_request::Credential::ApiKey(api_key)),
            device_class: pb::DeviceClass::Api as i32,
            client_version: "wfm/1".into(),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .access_token;
    Chain {
        hq,
        wfm,
        stores,
        position,
    }
}

async fn activate_and_login(
    identity: &Channel,
    invitation: pb::InviteUserResponse,
    department: &str,
    device: pb::DeviceClass,
) -> Person {
    let user = invitation.user.unwrap();
    IdentityServiceClient::new(identity.clone())
        .activate_user(pb::ActivateUserRequest {
            tenant: format!("tenants/{TENANT}"),
            invite_code: invitation.invite_code,
            password: PASSWORD.into(),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap();
    let token = AuthServiceClient::new(identity.clone())
        .login(pb::LoginRequest {
            tenant: format!("tenants/{TENANT}"),
            credential: Some(login_request::Credential::Password(
                login_request::Password {
                    login: Some(login_request::password::Login::Email(user.email.clone())),
                    password: PASSWORD.into(),
                },
            )),
            device_class: device as i32,
            client_version: "e2e/1".into(),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .access_token;
    Person {
        name: user.name,
        department: department.into(),
        token,
    }
}

/// Every person of the chain identity lists, as the HQ admin sees them.
pub async fn people(platform: &breakroom_e2e::platform::Platform, chain: &Chain) -> Vec<pb::User> {
    let identity = platform
        .channel(breakroom_e2e::platform::Service::Identity)
        .await
        .unwrap();
    IdentityServiceClient::new(identity)
        .list_users(bearer(
            &chain.hq.token,
            pb::ListUsersRequest {
                parent: format!("tenants/{TENANT}"),
                page_size: 1000,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .users
}
