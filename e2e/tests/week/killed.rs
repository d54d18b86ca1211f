//! identity, feed and notifications each killed without warning (SIGKILL) at a random
//! point of a chain's day and restarted: nothing lost, nothing doubled, and a clean
//! rebuild of each on an empty database answers exactly what the survivor answered.
//! (scheduling's turn is in `faults.rs`, mid-import.)
//!
//! The random points come from a seed printed at the start; `E2E_KILL_SEED=<n>` replays
//! one run.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use breakroom_e2e::platform::{Platform, Service};
use breakroom_proto::{
    feed::v1::{self as fd, feed_service_client::FeedServiceClient},
    identity::v1::{
        self as id, auth_service_client::AuthServiceClient,
        identity_service_client::IdentityServiceClient, login_request,
    },
    notifications::v1::{self as nt, notification_service_client::NotificationServiceClient},
};
use breakroom_testing::{TestEnv, bearer, eventually, token};
use rand::{Rng, SeedableRng, rngs::StdRng};
use tonic::transport::Channel;

use crate::{
    after,
    chain::{self, Chain, PASSWORD, TENANT},
    pushes::{self, Phones},
    shared_wiring, start,
};

const ALL: [Service; 4] = [
    Service::Identity,
    Service::Scheduling,
    Service::Feed,
    Service::Notifications,
];

/// Newcomers invited in one batch while identity dies.
const NEWCOMERS: usize = 16;

fn seed() -> u64 {
    let seed = std::env::var("E2E_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("E2E_KILL_SEED={seed}");
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_feed_and_notifications_each_killed_at_a_random_point_lose_and_double_nothing() {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = TestEnv::new().await;
    let mut platform = start(shared_wiring(&env), &ALL).await;
    let chain = chain::onboard(platform.channel(Service::Identity).await.unwrap(), 8).await;

    let identity_position = identity_killed_mid_bulk_invite(&mut platform, &chain, &mut rng).await;
    let positions = format!("{},{identity_position}", chain.position);
    let notifications = platform.channel(Service::Notifications).await.unwrap();
    let phones = Phones::register(&notifications, &chain).await;
    // Every third phone answers its first push with 500: the fan-out has retries
    // waiting when notifications dies.
    for person in pushes::people(&chain).iter().step_by(3) {
        phones
            .push
            .script(&phones.devices[&person.name], &[(500, None)]);
    }

    let post = announce_to_everyone(&platform, &chain, &positions).await;
    let positions = format!("{positions},{}", post.position);
    notifications_killed_mid_fan_out(&mut platform, &phones, &chain, &mut rng).await;
    let acknowledged =
        feed_killed_mid_acknowledgements(&mut platform, &chain, &post.name, &positions, &mut rng)
            .await;
    let positions = reminder_reaches_the_rest(
        &platform,
        &phones,
        &chain,
        &post.name,
        &acknowledged.0,
        &format!("{positions},{}", acknowledged.1),
    )
    .await;

    // What the survivors answer...
    let readers: Vec<&chain::Person> = pushes::people(&chain);
    let survivors = Answers::read(&platform, &chain, &readers, &post.name, &positions)
        .await
        .unwrap();
    // ...is what clean rebuilds answer, each on an empty database, replaying the streams.
    for service in [Service::Identity, Service::Feed, Service::Notifications] {
        platform.kill(service).await.unwrap();
    }
    let mut rebuilt = shared_wiring(&env);
    for service in ["identity", "feed", "notifications"] {
        rebuilt
            .databases
            .insert(service, format!("{}_rebuilt", env.database_url(service)));
    }
    let rebuilt = start(
        rebuilt,
        &[Service::Identity, Service::Feed, Service::Notifications],
    )
    .await;
    // Read until equal; after a minute the last answers are compared, shown in full.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let again = Answers::read(&rebuilt, &chain, &readers, &post.name, &positions).await;
        match again {
            Ok(again) if again == survivors => break,
            Ok(again) if std::time::Instant::now() > deadline => again.assert_same(&survivors),
            Err(status) if std::time::Instant::now() > deadline => {
                panic!("the rebuilds never answered: {status}")
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// identity dies at a random point of a bulk invite; the client retries with the same
/// request id: every newcomer is invited exactly once and every returned code activates.
/// Returns identity's consistency token after the activations.
async fn identity_killed_mid_bulk_invite(
    platform: &mut Platform,
    chain: &Chain,
    rng: &mut StdRng,
) -> String {
    let store = &chain.stores[0];
    let request = id::BatchInviteUsersRequest {
        parent: format!("tenants/{TENANT}"),
        requests: (0..NEWCOMERS)
            .map(|i| id::InviteUserRequest {
                user: Some(id::User {
                    display_name: format!("Newcomer {i}"),
                    email: format!("new-{i}@e2e.example"),
                    memberships: vec![id::Membership {
                        store: store.name.clone(),
                        department_id: "fresh".into(),
                        role: id::Role::Employee as i32,
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect(),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let identity = platform.channel(Service::Identity).await.unwrap();
    let sent = tokio::spawn({
        let request = bearer(&chain.hq.token, request.clone());
        async move {
            IdentityServiceClient::new(identity)
                .batch_invite_users(request)
                .await
        }
    });
    let delay = rng.random_range(0..300);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    platform.kill(Service::Identity).await.unwrap();
    let first = sent.await.unwrap();
    eprintln!(
        "identity killed {delay} ms into a bulk invite (the client {})",
        if first.is_ok() {
            "had its answer"
        } else {
            "got no answer"
        }
    );
    platform.restart(Service::Identity).await.unwrap();

    let identity = platform.channel(Service::Identity).await.unwrap();
    let invited = eventually(Duration::from_secs(30), || {
        let (identity, request) = (identity.clone(), bearer(&chain.hq.token, request.clone()));
        async move {
            IdentityServiceClient::new(identity)
                .batch_invite_users(request)
                .await
                .ok()
        }
    })
    .await
    .into_inner()
    .invitations;
    assert_eq!(invited.len(), NEWCOMERS);
    let mut position = String::new();
    for invitation in invited {
        let activated = IdentityServiceClient::new(identity.clone())
            .activate_user(id::ActivateUserRequest {
                tenant: format!("tenants/{TENANT}"),
                invite_code: invitation.invite_code,
                password: PASSWORD.into(),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("the code the retried invite returned activates");
        position = token(activated.metadata());
    }
    let users = list_users(&identity, chain, &position).await.unwrap();
    for i in 0..NEWCOMERS {
        let email = format!("new-{i}@e2e.example");
        let found: Vec<_> = users.iter().filter(|u| u.email == email).collect();
        assert_eq!(found.len(), 1, "{email} invited exactly once");
        assert_eq!(found[0].state, id::user::State::Active as i32);
    }
    assert_eq!(users.len(), 1 + 3 * 8 + NEWCOMERS);
    // Logging in works for a newcomer (the credential survived too).
    AuthServiceClient::new(identity)
        .login(id::LoginRequest {
            tenant: format!("tenants/{TENANT}"),
            credential: Some(login_request::Credential::Password(
                login_request::Password {
                    login: Some(login_request::password::Login::Email(
                        "new-0@e2e.example".into(),
                    )),
                    password: PASSWORD.into(),
                },
            )),
            device_class: id::DeviceClass::MobileApp as i32,
            client_version: "e2e/1".into(),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap();
    position
}

async fn list_users(
    identity: &Channel,
    chain: &Chain,
    positions: &str,
) -> Result<Vec<id::User>, tonic::Status> {
    Ok(IdentityServiceClient::new(identity.clone())
        .list_users(after(
            &chain.hq.token,
            positions,
            id::ListUsersRequest {
                parent: format!("tenants/{TENANT}"),
                page_size: 1000,
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .users)
}

/// A published post and feed's token after it.
struct Published {
    name: String,
    position: String,
}

/// HQ's must-read announcement to every manager and employee of the chain.
async fn announce_to_everyone(platform: &Platform, chain: &Chain, positions: &str) -> Published {
    let created = FeedServiceClient::new(platform.channel(Service::Feed).await.unwrap())
        .create_post(after(
            &chain.hq.token,
            positions,
            fd::CreatePostRequest {
                parent: format!("tenants/{TENANT}/groups/news"),
                post: Some(fd::Post {
                    title: "Inventory on Sunday".into(),
                    body: "Every store counts its stock on Sunday. **Read and confirm.**".into(),
                    announcement: Some(fd::Announcement {
                        audience: Some(fd::Audience {
                            roles: vec![id::Role::Employee as i32, id::Role::StoreManager as i32],
                            ..Default::default()
                        }),
                        requires_acknowledgement: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    Published {
        position: token(created.metadata()),
        name: created.into_inner().name,
    }
}

/// notifications dies at a random point once the announcement's pushes have started;
/// restarted, it finishes the fan-out: every reader's phone gets the announcement under
/// one key. A push whose request was in flight when the process died may be sent again,
/// under the same key (the app drops it by key, a push service replaces it by Topic).
async fn notifications_killed_mid_fan_out(
    platform: &mut Platform,
    phones: &Phones,
    chain: &Chain,
    rng: &mut StdRng,
) {
    let kind = "KIND_ANNOUNCEMENT";
    let readers: BTreeSet<String> = chain
        .stores
        .iter()
        .flat_map(|s| std::iter::once(&s.manager).chain(&s.employees))
        .map(|p| p.name.clone())
        .collect();
    let (waiting, watched) = (&readers, phones);
    let started = eventually(Duration::from_secs(30), move || async move {
        let delivered = waiting
            .iter()
            .filter(|r| !watched.of_kind(r, kind).is_empty())
            .count();
        (delivered > 0).then_some(delivered)
    })
    .await;
    let delay = rng.random_range(0..150);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    platform.kill(Service::Notifications).await.unwrap();
    let before = readers
        .iter()
        .filter(|r| !phones.of_kind(r, kind).is_empty())
        .count();
    eprintln!(
        "notifications killed {delay} ms after its first announcement push: \
         {before} of {} phones had theirs ({started} when the wait began)",
        readers.len()
    );
    platform.restart(Service::Notifications).await.unwrap();

    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let missing: Vec<&String> = readers
            .iter()
            .filter(|r| phones.of_kind(r, kind).is_empty())
            .collect();
        if missing.is_empty() {
            break;
        }
        if std::time::Instant::now() > deadline {
            // What the push service saw of them, and what notifications gave up on.
            let seen: Vec<_> = missing
                .iter()
                .map(|r| phones.push.received(&phones.devices[*r]))
                .collect();
            let failed = NotificationServiceClient::new(
                platform.channel(Service::Notifications).await.unwrap(),
            )
            .list_failed_deliveries(bearer(
                &chain.hq.token,
                nt::ListFailedDeliveriesRequest {
                    parent: format!("tenants/{TENANT}"),
                    page_size: 100,
                    ..Default::default()
                },
            ))
            .await;
            panic!("{missing:?} never got the announcement; received {seen:?}; failed {failed:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut repeats = 0;
    for reader in &readers {
        let received = phones.of_kind(reader, kind);
        let keys: BTreeSet<String> = received.iter().map(|r| r.key()).collect();
        assert_eq!(keys.len(), 1, "{reader}: one announcement notification");
        assert!(
            received.len() <= 2,
            "{reader}: one kill repeats a push at most once"
        );
        repeats += received.len() - 1;
    }
    eprintln!("pushes sent again under their key after the kill: {repeats}");
}

/// feed dies at a random point while half the readers acknowledge at once; each client
/// retries with its request id until answered. Returns who acknowledged and feed's token.
async fn feed_killed_mid_acknowledgements(
    platform: &mut Platform,
    chain: &Chain,
    post: &str,
    positions: &str,
    rng: &mut StdRng,
) -> (BTreeSet<String>, String) {
    let feed = platform.channel(Service::Feed).await.unwrap();
    let acknowledging: Vec<chain::Person> = chain
        .stores
        .iter()
        .flat_map(|s| s.employees.iter().step_by(2))
        .cloned()
        .collect();
    let mut tasks = Vec::new();
    for person in &acknowledging {
        let (feed, person, post, positions) = (
            feed.clone(),
            person.clone(),
            post.to_owned(),
            positions.to_owned(),
        );
        let request_id = uuid::Uuid::new_v4().to_string();
        tasks.push(tokio::spawn(async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            loop {
                let request = after(
                    &person.token,
                    &positions,
                    fd::AcknowledgePostRequest {
                        name: post.clone(),
                        request_id: request_id.clone(),
                    },
                );
                match FeedServiceClient::new(feed.clone())
                    .acknowledge_post(request)
                    .await
                {
                    Ok(reply) => return token(reply.metadata()),
                    Err(status) => {
                        assert!(
                            std::time::Instant::now() < deadline,
                            "{}: never acknowledged: {status}",
                            person.name
                        );
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }
    let delay = rng.random_range(0..200);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    platform.kill(Service::Feed).await.unwrap();
    eprintln!(
        "feed killed {delay} ms into {} acknowledgements",
        tasks.len()
    );
    platform.restart(Service::Feed).await.unwrap();
    let mut position = String::new();
    for task in tasks {
        let token = task.await.unwrap();
        // Tokens of one stream: the highest one covers the rest.
        if sequence_of(&token) > sequence_of(&position) {
            position = token;
        }
    }
    let names: BTreeSet<String> = acknowledging.iter().map(|p| p.name.clone()).collect();
    let feed = platform.channel(Service::Feed).await.unwrap();
    let report = report(&feed, chain, post, &format!("{positions},{position}"))
        .await
        .unwrap();
    assert_eq!(
        report.acknowledged as usize,
        names.len(),
        "each acknowledgement once"
    );
    let entries: BTreeSet<String> = report
        .entries
        .iter()
        .filter(|e| e.acknowledged)
        .map(|e| e.user.clone())
        .collect();
    assert_eq!(entries, names);
    (names, position)
}

fn sequence_of(token: &str) -> u64 {
    token
        .rsplit(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

async fn report(
    feed: &Channel,
    chain: &Chain,
    post: &str,
    positions: &str,
) -> Result<fd::AcknowledgementReport, tonic::Status> {
    Ok(FeedServiceClient::new(feed.clone())
        .get_acknowledgement_report(after(
            &chain.hq.token,
            positions,
            fd::GetAcknowledgementReportRequest {
                name: post.to_owned(),
                page_size: 1000,
                ..Default::default()
            },
        ))
        .await?
        .into_inner())
}

/// The reminder reaches exactly those who have not acknowledged, once each. Returns the
/// positions after it.
async fn reminder_reaches_the_rest(
    platform: &Platform,
    phones: &Phones,
    chain: &Chain,
    post: &str,
    acknowledged: &BTreeSet<String>,
    positions: &str,
) -> String {
    let reminded = FeedServiceClient::new(platform.channel(Service::Feed).await.unwrap())
        .send_acknowledgement_reminder(after(
            &chain.hq.token,
            positions,
            fd::SendAcknowledgementReminderRequest {
                name: post.to_owned(),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    let kind = "KIND_ACKNOWLEDGEMENT_REMINDER";
    let rest: BTreeSet<String> = chain
        .stores
        .iter()
        .flat_map(|s| std::iter::once(&s.manager).chain(&s.employees))
        .map(|p| p.name.clone())
        .filter(|n| !acknowledged.contains(n))
        .collect();
    phones.wait_all(&rest, kind).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for person in pushes::people(chain) {
        let expected = usize::from(rest.contains(&person.name));
        assert_eq!(
            phones.of_kind(&person.name, kind).len(),
            expected,
            "{}",
            person.name
        );
    }
    format!("{positions},{}", token(reminded.metadata()))
}

/// What identity, feed and notifications answer about the day.
#[derive(Debug, PartialEq)]
struct Answers {
    users: Vec<id::User>,
    report: fd::AcknowledgementReport,
    timelines: BTreeMap<String, Vec<fd::TimelineItem>>,
    inboxes: BTreeMap<String, Vec<nt::Notification>>,
}

impl Answers {
    /// Fails on the first part where the rebuilds answer other than the survivors.
    fn assert_same(&self, survivors: &Self) {
        assert_eq!(self.users, survivors.users, "identity's rebuild: users");
        assert_eq!(self.report, survivors.report, "feed's rebuild: the report");
        for (person, timeline) in &survivors.timelines {
            assert_eq!(
                &self.timelines[person], timeline,
                "feed's rebuild: {person}"
            );
        }
        for (person, inbox) in &survivors.inboxes {
            assert_eq!(
                &self.inboxes[person], inbox,
                "notifications' rebuild: {person}"
            );
        }
        assert_eq!(self, survivors);
    }

    async fn read(
        platform: &Platform,
        chain: &Chain,
        readers: &[&chain::Person],
        post: &str,
        positions: &str,
    ) -> Result<Self, tonic::Status> {
        let channel = move |service| async move {
            platform
                .channel(service)
                .await
                .map_err(|e| tonic::Status::unavailable(e.to_string()))
        };
        let identity = channel(Service::Identity).await?;
        let feed = channel(Service::Feed).await?;
        let notifications = channel(Service::Notifications).await?;
        let mut timelines = BTreeMap::new();
        let mut inboxes = BTreeMap::new();
        for reader in readers {
            let timeline = FeedServiceClient::new(feed.clone())
                .list_timeline(after(
                    &reader.token,
                    positions,
                    fd::ListTimelineRequest {
                        parent: format!("tenants/{TENANT}"),
                        page_size: 1000,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner()
                .items;
            timelines.insert(reader.name.clone(), timeline);
            let inbox = NotificationServiceClient::new(notifications.clone())
                .list_notifications(after(
                    &reader.token,
                    positions,
                    nt::ListNotificationsRequest {
                        parent: reader.name.clone(),
                        page_size: 1000,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner()
                .notifications;
            inboxes.insert(reader.name.clone(), inbox);
        }
        Ok(Self {
            users: list_users(&identity, chain, positions).await?,
            report: report(&feed, chain, post, positions).await?,
            timelines,
            inboxes,
        })
    }
}
