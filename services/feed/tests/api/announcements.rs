//! Announcements: audiences by role, region and department snapshotted in chunks
//! (author excluded), the acknowledgement roll-up per store and role, reminders naming
//! exactly those who have not acknowledged, material edits.

use std::collections::BTreeSet;

use breakroom_proto::{
    feed::v1::{self as pb, audience_event::Event as Aud, reminder_event::Event as Rem},
    identity::v1::{self as id, Role},
};
use breakroom_testing::recorded;

use crate::support::*;

/// A store in `region` (the fixture's stores are all `west`).
async fn store_in_region(p: &Platform, chain: &Chain, code: &str, region: &str) -> String {
    let reply = p
        .people
        .identity
        .clone()
        .create_store(breakroom_testing::bearer(
            &chain.admin.token,
            id::CreateStoreRequest {
                parent: format!("tenants/{}", chain.tenant),
                store: Some(id::Store {
                    display_name: format!("Store {code}"),
                    store_code: code.into(),
                    region: region.into(),
                    time_zone: "Europe/Amsterdam".into(),
                    departments: vec![
                        breakroom_identity::testing::department("fresh"),
                        breakroom_identity::testing::department("checkout"),
                    ],
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    p.note_identity(reply).name
}

async fn announce(p: &Platform, who: &Person, audience: pb::Audience, title: &str) -> pb::Post {
    p.note(
        rpc!(
            p,
            create_post,
            p.req(
                &who.token,
                pb::CreatePostRequest {
                    parent: news("acme"),
                    post: Some(pb::Post {
                        title: title.into(),
                        body: "Please read.".into(),
                        announcement: Some(pb::Announcement {
                            audience: Some(audience),
                            requires_acknowledgement: true,
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            )
        )
        .await,
    )
    .unwrap()
}

/// The readers of an announcement's recorded audience chunks.
async fn audience_of(p: &Platform, post: &pb::Post) -> BTreeSet<String> {
    let post_id = id_of(&post.name).to_owned();
    let mut readers = BTreeSet::new();
    for commit in recorded(&p.env, "feed", "audience.acme.*").await {
        for event in commit.events::<pb::AudienceEvent>().unwrap() {
            if let Some(Aud::Resolved(e)) = event.event
                && e.post_id == post_id
            {
                assert_eq!(e.chunk_count, 1);
                readers.extend(e.user_ids);
            }
        }
    }
    readers
}

fn ids(people: &[&Person]) -> BTreeSet<String> {
    people.iter().map(|p| p.id.clone()).collect()
}

#[tokio::test]
async fn audiences_resolve_by_role_region_and_department_and_the_roll_up_names_who_is_missing() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let north = store_in_region(&p, &chain, "N-1", "north").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let lead = p
        .person(
            &chain,
            "lead@acme.example",
            vec![role_in(&chain.store, Role::TeamLead)],
        )
        .await;
    let carl = p
        .person(
            &chain,
            "carl@acme.example",
            vec![role_in_department(&north, "fresh", Role::Employee)],
        )
        .await;
    let dana = p
        .person(
            &chain,
            "dana@acme.example",
            vec![role_in_department(&north, "checkout", Role::Employee)],
        )
        .await;

    let fresh_north = announce(
        &p,
        &chain.admin,
        pb::Audience {
            regions: vec!["north".into()],
            department_ids: vec!["fresh".into()],
            ..Default::default()
        },
        "Fresh in the north",
    )
    .await;
    assert_eq!(audience_of(&p, &fresh_north).await, ids(&[&carl]));
    let leads = announce(
        &p,
        &chain.admin,
        pb::Audience {
            roles: vec![Role::TeamLead as i32],
            ..Default::default()
        },
        "Leads",
    )
    .await;
    assert_eq!(audience_of(&p, &leads).await, ids(&[&lead]));
    // Targeted announcements are seen by their audience only.
    let ann_sees = p.timeline_bodies(&ann, "acme").await;
    assert!(ann_sees.iter().all(|b| b != "Please read."), "{ann_sees:?}");

    let all = announce(&p, &chain.admin, pb::Audience::default(), "Everyone").await;
    assert_eq!(
        audience_of(&p, &all).await,
        ids(&[&ann, &lead, &carl, &dana])
    );
    let acknowledge = |who: &Person| {
        rpc!(
            p,
            acknowledge_post,
            p.req(
                &who.token,
                pb::AcknowledgePostRequest {
                    name: all.name.clone(),
                    request_id: uuid(),
                },
            )
        )
    };
    let acked = p.note(acknowledge(&ann).await).unwrap();
    assert_eq!(
        acked.my_acknowledgement,
        pb::AcknowledgementState::Acknowledged as i32
    );
    p.note(acknowledge(&ann).await).unwrap();
    p.note(acknowledge(&carl).await).unwrap();

    let report = |who: &Person, store: &str, csv: bool| {
        rpc!(
            p,
            get_acknowledgement_report,
            p.req(
                &who.token,
                pb::GetAcknowledgementReportRequest {
                    name: all.name.clone(),
                    store: store.into(),
                    csv,
                    ..Default::default()
                },
            )
        )
    };
    let full = p.note(report(&chain.admin, "", true).await).unwrap();
    assert_eq!((full.total, full.acknowledged), (4, 2));
    let row = |store: &str, role: Role| {
        full.rollups
            .iter()
            .find(|r| r.store == store && r.role == role as i32)
            .map(|r| (r.total, r.acknowledged))
    };
    assert_eq!(row(&chain.store, Role::Employee), Some((1, 1)));
    assert_eq!(row(&chain.store, Role::TeamLead), Some((1, 0)));
    assert_eq!(row(&north, Role::Employee), Some((2, 1)));
    let pending: Vec<&str> = full
        .entries
        .iter()
        .filter(|e| !e.acknowledged)
        .map(|e| e.user.as_str())
        .collect();
    assert_eq!(pending.len(), 2);
    assert!(!full.entries[0].acknowledged, "not acknowledged first");
    assert_eq!(full.csv.lines().count(), 5, "header and four readers");
    let drill = p.note(report(&chain.admin, &north, false).await).unwrap();
    assert_eq!((drill.total, drill.acknowledged), (2, 1));

    let manager = p.manager(&chain, &chain.store, "boss@acme.example").await;
    let scoped = p.note(report(&manager, "", false).await).unwrap();
    assert!(
        scoped.rollups.iter().all(|r| r.store == chain.store),
        "{scoped:?}"
    );
    assert_eq!(
        reason(&report(&ann, "", false).await.unwrap_err()),
        "NOT_A_MANAGER"
    );

    let reminder = p
        .note(
            rpc!(
                p,
                send_acknowledgement_reminder,
                p.req(
                    &chain.admin.token,
                    pb::SendAcknowledgementReminderRequest {
                        name: all.name.clone(),
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap();
    assert_eq!(reminder.recipient_count, 2);
    let mut reminded = BTreeSet::new();
    for commit in recorded(&p.env, "feed", "reminder.acme.*").await {
        for event in commit.events::<pb::ReminderEvent>().unwrap() {
            if let Some(Rem::Sent(e)) = event.event {
                assert_eq!(e.reminder_id, reminder.reminder_id);
                reminded.extend(e.user_ids);
            }
        }
    }
    assert_eq!(reminded, ids(&[&lead, &dana]));

    // Who joined later holds no obligation.
    let late = p.employee(&chain, &chain.store, "late@acme.example").await;
    assert_eq!(
        reason(&acknowledge(&late).await.unwrap_err()),
        "NO_OBLIGATION"
    );

    // A material edit asks everyone again.
    let edited = p
        .note(
            rpc!(
                p,
                update_post,
                p.req(
                    &chain.admin.token,
                    pb::UpdatePostRequest {
                        post: Some(pb::Post {
                            name: all.name.clone(),
                            title: "Everyone".into(),
                            body: "Please read: the rules changed.".into(),
                            ..Default::default()
                        }),
                        material_change: true,
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap();
    assert_eq!(edited.acknowledgement_revision, 2);
    let again = p.note(report(&chain.admin, "", false).await).unwrap();
    assert_eq!((again.total, again.acknowledged), (4, 0));
}
