//! A small chain onboarded through identity's API, as chain.rs in the week suite does, but
//! with its employee left invited: the web app activates them with the invite code. A
//! second chain has a post of its own, for the other-tenant test.

use breakroom_e2e::platform::OPERATOR_TOKEN;
use breakroom_proto::{
    feed::v1::{self as feed, feed_service_client::FeedServiceClient},
    identity::v1::{
        self as pb, auth_service_client::AuthServiceClient,
        identity_service_client::IdentityServiceClient, login_request,
    },
    scheduling::v1::{self as scheduling, scheduling_service_client::SchedulingServiceClient},
};
use breakroom_testing::{bearer, token};
use tonic::transport::Channel;

pub const PASSWORD: &str = "correct horse battery staple";

/// The chain as the tests use it.
#[derive(Debug, Clone)]
pub struct Chain {
    /// Tenant id.
    pub tenant: String,
    /// The HQ admin's access token.
    pub hq: String,
    /// The store, `tenants/{t}/stores/{s}`.
    pub store: String,
    /// The invited employee.
    pub employee: pb::User,
    /// Their invite code.
    pub invite_code: String,
    /// A colleague in the same store, activated (works with them on Monday).
    pub colleague: pb::User,
    /// identity's consistency token after the last write.
    pub position: String,
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Logs a user in by e-mail.
pub async fn login(identity: &Channel, tenant: &str, email: &str) -> String {
    AuthServiceClient::new(identity.clone())
        .login(pb::LoginRequest {
            tenant: format!("tenants/{tenant}"),
            credential: Some(login_request::Credential::Password(
                login_request::Password {
                    login: Some(login_request::password::Login::Email(email.into())),
                    password: PASSWORD.into(),
                },
            )),
            device_class: pb::DeviceClass::DesktopWeb as i32,
            client_version: "e2e/1".into(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .access_token
}

/// A tenant (locale nl-NL, Amsterdam) with an active HQ admin; returns the HQ token.
async fn tenant_with_hq(identity: &Channel, tenant: &str) -> String {
    let mut directory = IdentityServiceClient::new(identity.clone());
    directory
        .create_tenant(bearer(
            OPERATOR_TOKEN,
            pb::CreateTenantRequest {
                tenant_id: tenant.into(),
                tenant: Some(pb::Tenant {
                    display_name: format!("{tenant} Markets"),
                    time_zone: "Europe/Amsterdam".into(),
                    locale: "nl-NL".into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap();
    let email = format!("hq@{tenant}.example");
    let invite = directory
        .invite_user(bearer(
            OPERATOR_TOKEN,
            pb::InviteUserRequest {
                parent: format!("tenants/{tenant}"),
                user: Some(pb::User {
                    display_name: "HQ".into(),
                    email: email.clone(),
                    memberships: vec![pb::Membership {
                        role: pb::Role::HqAdmin as i32,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    directory
        .activate_user(pb::ActivateUserRequest {
            tenant: format!("tenants/{tenant}"),
            invite_code: invite.invite_code,
            password: PASSWORD.into(),
            request_id: request_id(),
        })
        .await
        .unwrap();
    login(identity, tenant, &email).await
}

/// Onboards `tenant`: HQ, one store, one invited employee.
pub async fn onboard(identity: &Channel, tenant: &str) -> Chain {
    let hq = tenant_with_hq(identity, tenant).await;
    let mut directory = IdentityServiceClient::new(identity.clone());
    let store = directory
        .create_store(bearer(
            &hq,
            pb::CreateStoreRequest {
                parent: format!("tenants/{tenant}"),
                store: Some(pb::Store {
                    display_name: "Utrecht Centrum".into(),
                    store_code: "UT1".into(),
                    region: "randstad".into(),
                    time_zone: "Europe/Amsterdam".into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let invited = directory
        .invite_user(bearer(
            &hq,
            pb::InviteUserRequest {
                parent: format!("tenants/{tenant}"),
                user: Some(pb::User {
                    display_name: "Sanne de Vries".into(),
                    email: format!("sanne@{tenant}.example"),
                    memberships: vec![pb::Membership {
                        store: store.name.clone(),
                        role: pb::Role::Employee as i32,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap();
    let colleague = directory
        .invite_user(bearer(
            &hq,
            pb::InviteUserRequest {
                parent: format!("tenants/{tenant}"),
                user: Some(pb::User {
                    display_name: "Daan Jansen".into(),
                    email: format!("daan@{tenant}.example"),
                    memberships: vec![pb::Membership {
                        store: store.name.clone(),
                        role: pb::Role::Employee as i32,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    directory
        .activate_user(pb::ActivateUserRequest {
            tenant: format!("tenants/{tenant}"),
            invite_code: colleague.invite_code,
            password: PASSWORD.into(),
            request_id: request_id(),
        })
        .await
        .unwrap();
    let position = token(invited.metadata());
    let invited = invited.into_inner();
    Chain {
        tenant: tenant.into(),
        hq,
        store: store.name,
        employee: invited.user.unwrap(),
        invite_code: invited.invite_code,
        colleague: colleague.user.unwrap(),
        position,
    }
}

/// A second chain whose HQ posts in its news group; returns that post's name.
pub async fn foreign_post(identity: &Channel, feed: &Channel, tenant: &str) -> String {
    let hq = tenant_with_hq(identity, tenant).await;
    let client = FeedServiceClient::new(feed.clone());
    // Feed learns the new chain from identity's events: retry until it has.
    breakroom_testing::eventually(std::time::Duration::from_secs(20), || {
        let mut client = client.clone();
        let hq = hq.clone();
        async move {
            client
                .create_post(bearer(
                    &hq,
                    feed::CreatePostRequest {
                        parent: format!("tenants/{tenant}/groups/news"),
                        post: Some(feed::Post {
                            body: "Only for this chain".into(),
                            ..Default::default()
                        }),
                        request_id: request_id(),
                    },
                ))
                .await
                .ok()
                .map(|p| p.into_inner().name)
        }
    })
    .await
}

/// The ISO week after this one in the store's zone (`2026-W50`) and its Monday: as the
/// app counts weeks, so that late on a Sunday in UTC (already Monday in Amsterdam) the
/// tests' next week is the app's next week too.
pub fn next_week() -> (String, jiff::civil::Date) {
    let next = jiff::Timestamp::now()
        .in_tz("Europe/Amsterdam")
        .unwrap()
        .date()
        .checked_add(jiff::Span::new().days(7))
        .unwrap();
    let week = next.iso_week_date();
    let monday =
        jiff::civil::ISOWeekDate::new(week.year(), week.week(), jiff::civil::Weekday::Monday)
            .unwrap()
            .date();
    (format!("{:04}-W{:02}", week.year(), week.week()), monday)
}

/// Imports and publishes next week for the employee: Monday 09:00–13:30 with a 30-minute
/// break, Wednesday 14:00–18:00; the colleague Monday 10:00–14:00; an open shift on
/// Saturday 10:00–14:00. Returns scheduling's consistency token.
pub async fn publish_next_week(scheduling: &Channel, chain: &Chain) -> String {
    let (label, monday) = next_week();
    let day = |n: i64| monday.checked_add(jiff::Span::new().days(n)).unwrap();
    let mut shifts = vec![
        scheduling::Shift {
            employee: chain.employee.name.clone(),
            start_local: format!("{}T09:00", day(0)),
            end_local: format!("{}T13:30", day(0)),
            unpaid_break_minutes: 30,
            position: "Kassa".into(),
            external_id: "mon".into(),
            ..Default::default()
        },
        scheduling::Shift {
            employee: chain.colleague.name.clone(),
            start_local: format!("{}T10:00", day(0)),
            end_local: format!("{}T14:00", day(0)),
            position: "Vers".into(),
            external_id: "colleague-mon".into(),
            ..Default::default()
        },
        scheduling::Shift {
            employee: chain.employee.name.clone(),
            start_local: format!("{}T14:00", day(2)),
            end_local: format!("{}T18:00", day(2)),
            position: "Kassa".into(),
            external_id: "wed".into(),
            ..Default::default()
        },
    ];
    shifts.push(scheduling::Shift {
        start_local: format!("{}T10:00", day(5)),
        end_local: format!("{}T14:00", day(5)),
        position: "Kassa".into(),
        external_id: "open-sat".into(),
        ..Default::default()
    });
    let mut request = bearer(
        &chain.hq,
        scheduling::ImportRosterRequest {
            parent: format!("tenants/{}", chain.tenant),
            rosters: vec![scheduling::RosterImport {
                roster: format!("{}/rosters/{label}", chain.store),
                shifts,
                full_week: true,
            }],
            csv: String::new(),
            publish: true,
            request_id: request_id(),
        },
    );
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", chain.position.parse().unwrap());
    let reply = SchedulingServiceClient::new(scheduling.clone())
        .import_roster(request)
        .await
        .unwrap();
    token(reply.metadata())
}

/// HQ's must-read announcement to every employee.
pub async fn must_read(feed: &Channel, chain: &Chain, title: &str) -> String {
    let mut request = bearer(
        &chain.hq,
        feed::CreatePostRequest {
            parent: format!("tenants/{}/groups/news", chain.tenant),
            post: Some(feed::Post {
                title: title.into(),
                body: "From Monday every till is counted by **two people**.".into(),
                announcement: Some(feed::Announcement {
                    audience: Some(feed::Audience {
                        roles: vec![pb::Role::Employee as i32],
                        ..Default::default()
                    }),
                    requires_acknowledgement: true,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            request_id: request_id(),
        },
    );
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", chain.position.parse().unwrap());
    FeedServiceClient::new(feed.clone())
        .create_post(request)
        .await
        .unwrap()
        .into_inner()
        .name
}

/// A second store of the chain whose group has a post by HQ; returns the post's name.
pub async fn other_store_post(identity: &Channel, feed: &Channel, chain: &Chain) -> String {
    let store = IdentityServiceClient::new(identity.clone())
        .create_store(bearer(
            &chain.hq,
            pb::CreateStoreRequest {
                parent: format!("tenants/{}", chain.tenant),
                store: Some(pb::Store {
                    display_name: "Amersfoort".into(),
                    store_code: "AM1".into(),
                    region: "randstad".into(),
                    time_zone: "Europe/Amsterdam".into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let group = format!(
        "tenants/{}/groups/store-{}",
        chain.tenant,
        store.name.rsplit('/').next().unwrap()
    );
    let client = FeedServiceClient::new(feed.clone());
    breakroom_testing::eventually(std::time::Duration::from_secs(20), || {
        let mut client = client.clone();
        let (hq, group) = (chain.hq.clone(), group.clone());
        async move {
            client
                .create_post(bearer(
                    &hq,
                    feed::CreatePostRequest {
                        parent: group,
                        post: Some(feed::Post {
                            body: "Only for Amersfoort".into(),
                            ..Default::default()
                        }),
                        request_id: request_id(),
                    },
                ))
                .await
                .ok()
                .map(|p| p.into_inner().name)
        }
    })
    .await
}

/// An active store manager of the chain's store; returns their e-mail.
pub async fn store_manager(identity: &Channel, chain: &Chain) -> String {
    let email = format!("manager@{}.example", chain.tenant);
    let mut directory = IdentityServiceClient::new(identity.clone());
    let invited = directory
        .invite_user(bearer(
            &chain.hq,
            pb::InviteUserRequest {
                parent: format!("tenants/{}", chain.tenant),
                user: Some(pb::User {
                    display_name: "Fatima el Amrani".into(),
                    email: email.clone(),
                    memberships: vec![pb::Membership {
                        store: chain.store.clone(),
                        role: pb::Role::StoreManager as i32,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    directory
        .activate_user(pb::ActivateUserRequest {
            tenant: format!("tenants/{}", chain.tenant),
            invite_code: invited.invite_code,
            password: PASSWORD.into(),
            request_id: request_id(),
        })
        .await
        .unwrap();
    email
}
