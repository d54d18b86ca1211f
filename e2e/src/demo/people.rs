//! The demo chain's organisation: tenant, stores, an HQ admin, 40 people per store
//! (bulk-invited and activated) and the WFM service account.

use anyhow::Context;
use breakroom_proto::identity::v1::{
    self as pb, auth_service_client::AuthServiceClient,
    identity_service_client::IdentityServiceClient, login_request,
};
use futures::{StreamExt, TryStreamExt};
use tonic::transport::Channel;

use super::{HQ_ADMIN, PASSWORD, PEOPLE_PER_STORE, STORES, TENANT, bearer, request_id};

/// A person of a store, as the roster import needs them.
pub struct Person {
    /// `tenants/demo/users/<id>`.
    pub name: String,
    /// Department id (`checkout` or `fresh`).
    pub department: &'static str,
}

/// A store with its people.
pub struct Store {
    /// `tenants/demo/stores/<id>`.
    pub name: String,
    /// The demo store it is.
    pub code: &'static str,
    /// IANA zone.
    pub zone: &'static str,
    /// Everyone planned in it (team leads and employees).
    pub people: Vec<Person>,
}

/// What the roster import needs of the onboarded chain.
pub struct Chain {
    /// The stores.
    pub stores: Vec<Store>,
    /// The WFM integration's access token.
    pub wfm_token: String,
    /// Identity's consistency token after the last write (`identity:1234`).
    pub identity_position: String,
}

/// The e-mail address of a demo person: `manager.ams@...`, `lead01.ams@...`,
/// `employee07.ams@...`.
pub fn email(kind: &str, store: &str, number: usize) -> String {
    if kind == "manager" {
        format!("manager.{store}@demo.example")
    } else {
        format!("{kind}{number:02}.{store}@demo.example")
    }
}

/// Creates the tenant, its stores and people, and the WFM service account.
pub async fn onboard(identity: &Channel, operator: &str) -> anyhow::Result<Chain> {
    let mut directory = IdentityServiceClient::new(identity.clone());
    directory
        .create_tenant(bearer(
            operator,
            pb::CreateTenantRequest {
                tenant_id: TENANT.into(),
                tenant: Some(pb::Tenant {
                    display_name: "Demo Markets".into(),
                    time_zone: "Europe/Amsterdam".into(),
                    locale: "nl-NL".into(),
                    ..Default::default()
                }),
                request_id: request_id("tenant"),
            },
        ))
        .await
        .context("CreateTenant")?;
    let parent = format!("tenants/{TENANT}");
    let mut store_names = Vec::new();
    for store in &STORES {
        let created = directory
            .create_store(bearer(
                operator,
                pb::CreateStoreRequest {
                    parent: parent.clone(),
                    store: Some(pb::Store {
                        display_name: store.name.into(),
                        store_code: store.code.to_uppercase(),
                        region: store.region.into(),
                        time_zone: store.zone.into(),
                        departments: ["checkout", "fresh"]
                            .into_iter()
                            .map(|d| pb::Department {
                                department_id: d.into(),
                                display_name: d.into(),
                            })
                            .collect(),
                        ..Default::default()
                    }),
                    request_id: request_id(&format!("store/{}", store.code)),
                },
            ))
            .await
            .with_context(|| format!("CreateStore {}", store.code))?;
        store_names.push(created.into_inner().name);
    }
    let admin = invite(
        &mut directory,
        operator,
        &parent,
        "hq",
        HQ_ADMIN,
        "Hanna (HQ)",
        vec![pb::Membership {
            role: pb::Role::HqAdmin as i32,
            ..Default::default()
        }],
    )
    .await?;
    activate(&mut directory, &admin.1).await?;
    let hq = super::login_on(identity, HQ_ADMIN).await?;

    let mut stores = Vec::new();
    let mut position = String::new();
    for (store, store_name) in STORES.iter().zip(store_names) {
        let (people, codes, token) =
            invite_store(&mut directory, &hq, store.code, &store_name).await?;
        position = token;
        futures::stream::iter(codes)
            .map(|code| {
                let mut directory = directory.clone();
                async move { activate(&mut directory, &code).await }
            })
            .buffer_unordered(4)
            .try_collect::<Vec<()>>()
            .await?;
        stores.push(Store {
            name: store_name,
            code: store.code,
            zone: store.zone,
            people,
        });
    }
    let account = directory
        .create_service_account(bearer(
            &hq,
            pb::CreateServiceAccountRequest {
                parent: parent.clone(),
                service_account: Some(pb::ServiceAccount {
                    display_name: "WFM roster import".into(),
                    ..Default::default()
                }),
                request_id: request_id("wfm"),
            },
        ))
        .await
        .context("CreateServiceAccount")?;
    let api_key = account.into_inner().api_key;
    let wfm_token = AuthServiceClient::new(identity.clone())
        .login(pb::LoginRequest {
            tenant: parent,
            credential: Some(login_request::Credential::ApiKey(api_key)),
            device_class: pb::DeviceClass::Api as i32,
            client_version: "demo-wfm/1.0".into(),
            request_id: String::new(),
        })
        .await
        .context("WFM login")?
        .into_inner()
        .access_token;
    Ok(Chain {
        stores,
        wfm_token,
        identity_position: position,
    })
}

/// Invites a store's 40 people in one batch; returns the planned people, the invite
/// codes and identity's consistency token.
async fn invite_store(
    directory: &mut IdentityServiceClient<Channel>,
    hq: &str,
    code: &'static str,
    store: &str,
) -> anyhow::Result<(Vec<Person>, Vec<String>, String)> {
    let mut requests = Vec::new();
    let mut departments = Vec::new();
    for number in 0..PEOPLE_PER_STORE {
        let (kind, role, seq) = match number {
            0 => ("manager", pb::Role::StoreManager, 0),
            1 | 2 => ("lead", pb::Role::TeamLead, number),
            _ => ("employee", pb::Role::Employee, number - 2),
        };
        let department = if number % 2 == 0 { "checkout" } else { "fresh" };
        let department_id = if kind == "manager" { "" } else { department };
        departments.push((kind, department));
        requests.push(pb::InviteUserRequest {
            parent: String::new(),
            user: Some(pb::User {
                display_name: format!("{} {seq} ({})", capitalise(kind), code.to_uppercase()),
                email: email(kind, code, seq),
                memberships: vec![pb::Membership {
                    store: store.to_owned(),
                    department_id: department_id.into(),
                    role: role as i32,
                }],
                ..Default::default()
            }),
            request_id: String::new(),
        });
    }
    let reply = directory
        .batch_invite_users(bearer(
            hq,
            pb::BatchInviteUsersRequest {
                parent: format!("tenants/{TENANT}"),
                requests,
                request_id: request_id(&format!("people/{code}")),
            },
        ))
        .await
        .with_context(|| format!("BatchInviteUsers {code}"))?;
    let token = sequence_token(reply.metadata());
    let mut people = Vec::new();
    let mut codes = Vec::new();
    for (invitation, (kind, department)) in
        reply.into_inner().invitations.into_iter().zip(departments)
    {
        codes.push(invitation.invite_code);
        if kind != "manager"
            && let Some(user) = invitation.user
        {
            people.push(Person {
                name: user.name,
                department,
            });
        }
    }
    Ok((people, codes, token))
}

async fn invite(
    directory: &mut IdentityServiceClient<Channel>,
    token: &str,
    parent: &str,
    step: &str,
    email: &str,
    display_name: &str,
    memberships: Vec<pb::Membership>,
) -> anyhow::Result<(String, String)> {
    let reply = directory
        .invite_user(bearer(
            token,
            pb::InviteUserRequest {
                parent: parent.to_owned(),
                user: Some(pb::User {
                    display_name: display_name.into(),
                    email: email.into(),
                    memberships,
                    ..Default::default()
                }),
                request_id: request_id(step),
            },
        ))
        .await
        .with_context(|| format!("InviteUser {email}"))?
        .into_inner();
    let name = reply.user.map(|u| u.name).unwrap_or_default();
    Ok((name, reply.invite_code))
}

async fn activate(
    directory: &mut IdentityServiceClient<Channel>,
    code: &str,
) -> anyhow::Result<()> {
    directory
        .activate_user(pb::ActivateUserRequest {
            tenant: format!("tenants/{TENANT}"),
            invite_code: code.to_owned(),
            password: PASSWORD.into(),
            request_id: request_id(&format!("activate/{code}")),
        })
        .await
        .context("ActivateUser")?;
    Ok(())
}

/// The `breakroom-sequence` consistency token of a reply.
pub fn sequence_token(metadata: &tonic::metadata::MetadataMap) -> String {
    metadata
        .get("breakroom-sequence")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
