//! HQ's must-read announcement to every store manager and the checkout staff: some
//! acknowledge, the roll-up shows who has not, and a reminder reaches exactly them.

use std::collections::BTreeSet;

use breakroom_proto::feed::v1::{self as pb, feed_service_client::FeedServiceClient};
use breakroom_testing::token;
use tonic::transport::Channel;

use crate::{
    after,
    chain::{Chain, Person, TENANT},
};

/// What happened, for the notifications checks that follow.
pub struct Outcome {
    /// Its readers.
    pub audience: BTreeSet<String>,
    /// Those who acknowledged before the reminder.
    pub acknowledged: BTreeSet<String>,
    /// feed's consistency token after the reminder.
    pub position: String,
}

/// Who the announcement is for: the managers and everyone of checkout.
pub fn audience(chain: &Chain) -> Vec<&Person> {
    chain
        .stores
        .iter()
        .flat_map(|s| {
            std::iter::once(&s.manager)
                .chain(s.employees.iter().filter(|e| e.department == "checkout"))
        })
        .collect()
}

pub async fn must_read(
    feed: &Channel,
    chain: &Chain,
    positions: &str,
    acknowledging: usize,
) -> Outcome {
    let client = || FeedServiceClient::new(feed.clone());
    let created = client()
        .create_post(after(
            &chain.hq.token,
            positions,
            pb::CreatePostRequest {
                parent: format!("tenants/{TENANT}/groups/news"),
                post: Some(pb::Post {
                    title: "New till procedure".into(),
                    body: "From Monday every till is counted by two people. **Read and confirm.**"
                        .into(),
                    announcement: Some(pb::Announcement {
                        audience: Some(pb::Audience {
                            roles: vec![3, 1],
                            department_ids: vec!["checkout".into()],
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
    let mut position = format!("{positions},{}", token(created.metadata()));
    let post = created.into_inner().name;
    let readers = audience(chain);
    let mut acknowledged = BTreeSet::new();
    for reader in readers.iter().take(acknowledging) {
        let reply = client()
            .acknowledge_post(after(
                &reader.token,
                &position,
                pb::AcknowledgePostRequest {
                    name: post.clone(),
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            ))
            .await
            .unwrap();
        position = format!("{positions},{}", token(reply.metadata()));
        acknowledged.insert(reader.name.clone());
    }

    let report = client()
        .get_acknowledgement_report(after(
            &chain.hq.token,
            &position,
            pb::GetAcknowledgementReportRequest {
                name: post.clone(),
                page_size: 1000,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        report.total as usize,
        readers.len(),
        "one obligation per reader"
    );
    assert_eq!(report.acknowledged as usize, acknowledging);
    // Per store and role: one manager, the store's checkout staff.
    for store in &chain.stores {
        let rollup = |role: i32| {
            report
                .rollups
                .iter()
                .find(|r| r.store == store.name && r.role == role)
                .map_or(0, |r| r.total as usize)
        };
        let checkout = store
            .employees
            .iter()
            .filter(|e| e.department == "checkout")
            .count();
        assert_eq!(
            (rollup(3), rollup(1)),
            (1, checkout),
            "{:?}",
            report.rollups
        );
    }

    let reminded = client()
        .send_acknowledgement_reminder(after(
            &chain.hq.token,
            &position,
            pb::SendAcknowledgementReminderRequest {
                name: post.clone(),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    let position = format!("{positions},{}", token(reminded.metadata()));
    assert_eq!(
        reminded.get_ref().recipient_count as usize,
        readers.len() - acknowledging,
        "the reminder reaches exactly those who have not acknowledged"
    );
    Outcome {
        audience: readers.iter().map(|p| p.name.clone()).collect(),
        acknowledged,
        position,
    }
}
