//! The demo chain's feed: HQ's must-read announcement to every store, a post from each
//! store manager with a few colleagues' comments, as people would write them.

use anyhow::Context;
use breakroom_proto::feed::v1::{self as pb, feed_service_client::FeedServiceClient};

use super::{HQ_ADMIN, STORES, TENANT, bearer, channel, login_on, people::email, request_id};

/// Posts the announcement, the store posts and their comments.
pub async fn post(
    identity: &tonic::transport::Channel,
    feed_addr: &str,
    position: &str,
) -> anyhow::Result<()> {
    let mut feed = FeedServiceClient::new(channel(feed_addr).await?);
    let hq = login_on(identity, HQ_ADMIN).await?;
    let mut announcement = bearer(
        &hq,
        pb::CreatePostRequest {
            parent: format!("tenants/{TENANT}/groups/news"),
            post: Some(pb::Post {
                title: "New till procedure from Monday".into(),
                body: "Every till is counted by two people at closing. Please read the \
                       procedure and confirm you understood it."
                    .into(),
                announcement: Some(pb::Announcement {
                    // Everyone holding a store role: employees, team leads, managers.
                    audience: Some(pb::Audience {
                        roles: vec![1, 2, 3],
                        ..Default::default()
                    }),
                    requires_acknowledgement: true,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            request_id: request_id("announcement"),
        },
    );
    // Read-your-writes across services: feed answers once it has seen the people.
    if let Ok(value) = position.parse() {
        announcement
            .metadata_mut()
            .insert("breakroom-min-sequence", value);
    }
    feed.create_post(announcement)
        .await
        .context("CreatePost (announcement)")?;
    for store in &STORES {
        let manager = login_on(identity, &email("manager", store.code, 0)).await?;
        let groups = feed
            .list_my_groups(bearer(
                &manager,
                pb::ListMyGroupsRequest {
                    parent: format!("tenants/{TENANT}"),
                    ..Default::default()
                },
            ))
            .await
            .context("ListMyGroups")?
            .into_inner()
            .groups;
        let Some(group) = groups
            .iter()
            .find(|g| g.kind == pb::GroupKind::Store as i32)
        else {
            continue;
        };
        let post = feed
            .create_post(bearer(
                &manager,
                pb::CreatePostRequest {
                    parent: group.name.clone(),
                    post: Some(pb::Post {
                        body: format!(
                            "Welcome to Breakroom, {}! Next week's roster is out; swaps and open \
                             shifts are in the app.",
                            store.name
                        ),
                        ..Default::default()
                    }),
                    request_id: request_id(&format!("post/{}", store.code)),
                },
            ))
            .await
            .context("CreatePost")?
            .into_inner();
        for (n, body) in ["Thanks!", "Can someone take my Saturday?"]
            .into_iter()
            .enumerate()
        {
            let colleague = login_on(identity, &email("employee", store.code, n + 1)).await?;
            feed.add_comment(bearer(
                &colleague,
                pb::AddCommentRequest {
                    parent: post.name.clone(),
                    comment: Some(pb::Comment {
                        body: body.into(),
                        ..Default::default()
                    }),
                    request_id: request_id(&format!("comment/{}/{n}", store.code)),
                },
            ))
            .await
            .context("AddComment")?;
        }
    }
    Ok(())
}
