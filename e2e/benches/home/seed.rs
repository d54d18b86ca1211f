//! The chain the bench measures, seeded as production would fill it wherever that fits in
//! minutes: the people through identity's API (so every service's directory replica is
//! built by its own projector), the week's shifts through scheduling's ImportRoster (so
//! feed and notifications receive the publications), and only the posts in bulk SQL into
//! feed's read model, because a million CreatePost calls would take hours.

use std::time::Duration;

use breakroom_e2e::platform::OPERATOR_TOKEN;
use breakroom_proto::{
    identity::v1::{
        self as id, auth_service_client::AuthServiceClient,
        identity_service_client::IdentityServiceClient, login_request,
    },
    scheduling::v1::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use futures::StreamExt;
use jiff::{ToSpan, civil};
use tonic::{Request, transport::Channel};

/// The tenant id of the chain.
pub const TENANT: &str = "bench";
/// Every signed-in person's password.
pub const PASSWORD: &str = "bench password 2026";
/// The chain's (and every store's) zone.
const ZONE: &str = "Europe/Amsterdam";
const SHIFTS_PER_PERSON: usize = 5;
/// ImportRoster: store-weeks per call and calls in flight (as scheduling's import bench).
const STORE_WEEKS_PER_CALL: usize = 20;
const CALLS_IN_FLIGHT: usize = 3;

/// The sizes, from the environment (the chain by default).
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// `BENCH_STORES` (1,000).
    pub stores: usize,
    /// `BENCH_PEOPLE_PER_STORE` (60).
    pub people_per_store: usize,
    /// `BENCH_POSTS` (1,000,000).
    pub posts: i64,
    /// `BENCH_SESSIONS` (200): people activated with a password, one session each.
    pub sessions: usize,
}

/// A store and its people (resource names), as identity created them.
pub struct Store {
    /// `tenants/{t}/stores/{s}`.
    pub name: String,
    /// `tenants/{t}/users/{u}`, in invitation order.
    pub people: Vec<String>,
}

/// The seeded chain.
pub struct Chain {
    /// The stores.
    pub stores: Vec<Store>,
    /// E-mail addresses of the people who can sign in (activated).
    pub signers: Vec<String>,
    /// The HQ admin's user id (the posts' author).
    pub hq_id: String,
    /// The HQ admin's access token.
    pub hq_token: String,
}

fn bearer<T>(token: &str, message: T) -> Request<T> {
    breakroom_e2e::demo::bearer(token, message)
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn login(identity: &Channel, credential: login_request::Credential) -> String {
    AuthServiceClient::new(identity.clone())
        .login(id::LoginRequest {
            tenant: format!("tenants/{TENANT}"),
            credential: Some(credential),
            device_class: id::DeviceClass::Api as i32,
            client_version: "bench/1".into(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .access_token
}

fn password(email: &str) -> login_request::Credential {
    login_request::Credential::Password(login_request::Password {
        login: Some(login_request::password::Login::Email(email.into())),
        password: PASSWORD.into(),
    })
}

async fn activate(identity: &Channel, invite_code: String) {
    IdentityServiceClient::new(identity.clone())
        .activate_user(id::ActivateUserRequest {
            tenant: format!("tenants/{TENANT}"),
            invite_code,
            password: PASSWORD.into(),
            request_id: request_id(),
        })
        .await
        .unwrap();
}

/// The tenant, its HQ admin, the stores and their people through identity's API; the
/// people of `sizes.sessions` stores spread over the chain (the first of each) activated.
pub async fn chain(identity: &Channel, sizes: Sizes) -> Chain {
    let mut directory = IdentityServiceClient::new(identity.clone());
    directory
        .create_tenant(bearer(
            OPERATOR_TOKEN,
            id::CreateTenantRequest {
                tenant_id: TENANT.into(),
                tenant: Some(id::Tenant {
                    display_name: "Bench Markets".into(),
                    time_zone: ZONE.into(),
                    locale: "en-GB".into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap();
    let hq_email = format!("hq@{TENANT}.example");
    let hq = directory
        .invite_user(bearer(
            OPERATOR_TOKEN,
            id::InviteUserRequest {
                parent: format!("tenants/{TENANT}"),
                user: Some(id::User {
                    display_name: "HQ".into(),
                    email: hq_email.clone(),
                    memberships: vec![id::Membership {
                        role: id::Role::HqAdmin as i32,
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
    activate(identity, hq.invite_code).await;
    let hq_token = login(identity, password(&hq_email)).await;
    let hq_id = hq.user.unwrap().name.rsplit('/').next().unwrap().to_owned();

    let stores: Vec<(Store, Vec<String>)> = futures::stream::iter(0..sizes.stores)
        .map(|s| store(identity, &hq_token, s, sizes.people_per_store))
        .buffered(8)
        .collect()
        .await;
    let chosen: Vec<(String, String)> = (0..sizes.sessions)
        .map(|k| {
            let (s, e) = signer(k, sizes);
            (email(s, e), stores[s].1[e].clone())
        })
        .collect();
    futures::stream::iter(chosen.iter().cloned())
        .map(|(_, code)| activate(identity, code))
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
    Chain {
        stores: stores.into_iter().map(|(store, _)| store).collect(),
        signers: chosen.into_iter().map(|(email, _)| email).collect(),
        hq_id,
        hq_token,
    }
}

/// (store, person) of the `k`-th person who signs in: the first person of stores spread
/// evenly over the chain, or in a chain smaller than the sessions, more of each store.
fn signer(k: usize, sizes: Sizes) -> (usize, usize) {
    if sizes.sessions <= sizes.stores {
        (k * sizes.stores / sizes.sessions, 0)
    } else {
        (k % sizes.stores, k / sizes.stores)
    }
}

fn email(store: usize, person: usize) -> String {
    format!("p{store}-{person}@{TENANT}.example")
}

/// One store and its invited people; returns it with their invite codes.
async fn store(identity: &Channel, hq: &str, s: usize, people: usize) -> (Store, Vec<String>) {
    let mut directory = IdentityServiceClient::new(identity.clone());
    let name = directory
        .create_store(bearer(
            hq,
            id::CreateStoreRequest {
                parent: format!("tenants/{TENANT}"),
                store: Some(id::Store {
                    display_name: format!("Store {s}"),
                    store_code: format!("S{s:04}"),
                    region: format!("region {}", s % 10),
                    time_zone: ZONE.into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .name;
    let invitations = directory
        .batch_invite_users(bearer(
            hq,
            id::BatchInviteUsersRequest {
                parent: format!("tenants/{TENANT}"),
                requests: (0..people)
                    .map(|e| id::InviteUserRequest {
                        user: Some(id::User {
                            display_name: format!("Person {s}-{e}"),
                            email: email(s, e),
                            memberships: vec![id::Membership {
                                store: name.clone(),
                                role: id::Role::Employee as i32,
                                ..Default::default()
                            }],
                            ..Default::default()
                        }),
                        ..Default::default()
                    })
                    .collect(),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .invitations;
    let (people, codes) = invitations
        .into_iter()
        .map(|i| (i.user.unwrap_or_default().name, i.invite_code))
        .unzip();
    (Store { name, people }, codes)
}

/// The Monday of the week the bench plans: the ISO week four days from now, so that at
/// least two of its five shift days (Monday to Friday) lie ahead and Home has a next shift.
pub fn planned_monday() -> civil::Date {
    let zone = jiff::tz::TimeZone::get(ZONE).unwrap();
    let ahead = jiff::Timestamp::now()
        .to_zoned(zone)
        .date()
        .saturating_add(4.days());
    let iso = ahead.iso_week_date();
    civil::ISOWeekDate::new(iso.year(), iso.week(), civil::Weekday::Monday)
        .unwrap()
        .date()
}

/// `2026-W50` of a Monday.
pub fn week_label(monday: civil::Date) -> String {
    let iso = monday.iso_week_date();
    format!("{:04}-W{:02}", iso.year(), iso.week())
}

fn week_of(store: &Store, monday: civil::Date) -> pb::RosterImport {
    let mut shifts = Vec::with_capacity(store.people.len() * SHIFTS_PER_PERSON);
    for (e, person) in store.people.iter().enumerate() {
        // Starts from 06:00 to 15:00, six hours each: everyone overlaps with colleagues.
        let start = 6 + (e % 10);
        for day in 0..SHIFTS_PER_PERSON {
            let date = monday.saturating_add((day as i64).days());
            shifts.push(pb::Shift {
                employee: person.clone(),
                start_local: format!("{date}T{start:02}:00"),
                end_local: format!("{date}T{:02}:00", start + 6),
                position: "Store associate".into(),
                unpaid_break_minutes: 30,
                external_id: format!("{e}-{day}"),
                ..Default::default()
            });
        }
    }
    pb::RosterImport {
        roster: format!("{}/rosters/{}", store.name, week_label(monday)),
        shifts,
        full_week: true,
    }
}

/// Imports and publishes every store's week through ImportRoster as the chain's WFM
/// integration (a service account); returns the shifts imported.
pub async fn roster(
    identity: &Channel,
    scheduling: &Channel,
    chain: &Chain,
    monday: civil::Date,
) -> usize {
    let api_key = IdentityServiceClient::new(identity.clone())
        .create_service_account(bearer(
            &chain.hq_token,
            id::CreateServiceAccountRequest {
                parent: format!("tenants/{TENANT}"),
                service_account: Some(id::ServiceAccount {
                    display_name: "WFM".into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .api_key;
    let wfm = login(identity, login_request::Credential::ApiKey(api_key)).await;
    let client = SchedulingServiceClient::new(scheduling.clone())
        .max_encoding_message_size(64 * 1024 * 1024);
    // Scheduling learns the people from identity's events: until its replica has the last
    // store's, an import of it is refused. Try (as a draft) until it is accepted.
    let last = chain.stores.last().unwrap();
    let mut tries = 0;
    loop {
        let request = bearer(
            &wfm,
            pb::ImportRosterRequest {
                parent: format!("tenants/{TENANT}"),
                rosters: vec![week_of(last, monday)],
                publish: false,
                request_id: request_id(),
                ..Default::default()
            },
        );
        match client.clone().import_roster(request).await {
            Ok(_) => break,
            Err(status) if tries < 1200 => {
                tries += 1;
                if tries % 50 == 0 {
                    eprintln!(
                        "  scheduling does not know the chain yet: {}",
                        status.message()
                    );
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(status) => panic!("scheduling never learnt the chain: {status:?}"),
        }
    }
    let calls: Vec<pb::ImportRosterRequest> = chain
        .stores
        .chunks(STORE_WEEKS_PER_CALL)
        .map(|chunk| pb::ImportRosterRequest {
            parent: format!("tenants/{TENANT}"),
            rosters: chunk.iter().map(|s| week_of(s, monday)).collect(),
            publish: true,
            request_id: request_id(),
            ..Default::default()
        })
        .collect();
    futures::stream::iter(calls)
        .map(|body| {
            let (mut client, wfm) = (client.clone(), wfm.clone());
            async move {
                // UNAVAILABLE (a dependency busy or catching up) is retried, as clients do.
                loop {
                    match client.import_roster(bearer(&wfm, body.clone())).await {
                        Ok(_) => return,
                        Err(status) if status.code() == tonic::Code::Unavailable => {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        Err(status) => panic!("{status:?}"),
                    }
                }
            }
        })
        .buffer_unordered(CALLS_IN_FLIGHT)
        .collect::<Vec<()>>()
        .await;
    chain.stores.iter().map(|s| s.people.len()).sum::<usize>() * SHIFTS_PER_PERSON
}

/// `posts` rows straight into feed's read model once feed has every store's group: one in
/// ten in the chain-wide news channel, the rest spread over the store groups, one a
/// minute back from now (a million reach back about two years).
pub async fn posts(pool: &sqlx::PgPool, chain: &Chain, posts: i64) {
    let stores = chain.stores.len() as i64;
    let mut groups: Vec<String> = Vec::new();
    for _ in 0..1200 {
        groups = sqlx::query_scalar(
            "SELECT id FROM groups WHERE tenant = $1 AND kind = 'store' ORDER BY id",
        )
        .bind(TENANT)
        .fetch_all(pool)
        .await
        .unwrap();
        if groups.len() as i64 >= stores {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        groups.len() as i64,
        stores,
        "feed never had every store group"
    );
    let chunk = 100_000;
    let mut from = 1;
    while from <= posts {
        let to = (from + chunk - 1).min(posts);
        sqlx::query(
            "INSERT INTO posts (tenant, id, group_id, kind, author_id, title, body, create_time) \
             SELECT $1, 'seed' || i, \
               CASE WHEN i % 10 = 0 THEN 'news' \
               ELSE ($2::text[])[1 + i % cardinality($2::text[])] END, \
               'post', $3, CASE WHEN i % 10 = 0 THEN 'News ' || i ELSE '' END, \
               'Seeded post ' || i || E'. Opening hours change **next week**; \
see the list in the break room.', \
               now() - make_interval(mins => i::int) \
             FROM generate_series($4::bigint, $5::bigint) i",
        )
        .bind(TENANT)
        .bind(&groups)
        .bind(&chain.hq_id)
        .bind(from)
        .bind(to)
        .execute(pool)
        .await
        .unwrap();
        from = to + 1;
    }
    // As autovacuum would have done long ago on a chain's real table.
    sqlx::query("VACUUM (ANALYZE) posts")
        .execute(pool)
        .await
        .unwrap();
}
