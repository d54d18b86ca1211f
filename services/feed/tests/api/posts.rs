//! Posts and the timeline: read-your-writes, pagination stable under concurrent posting,
//! pinned first, edits with history, leavers see nothing.

use std::collections::BTreeSet;

use breakroom_proto::{
    feed::v1::{self as pb, timeline_item::Item},
    identity::v1::Role,
};

use crate::support::*;

fn post_names(page: &pb::ListTimelineResponse) -> Vec<String> {
    page.items
        .iter()
        .filter_map(|i| match &i.item {
            Some(Item::Post(p)) => Some(p.name.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_post_is_readable_at_once_with_the_replys_token() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let group = store_group("acme", &chain.store);
    for i in 0..5 {
        let post = p.post(&ann, &group, &format!("post {i}")).await.unwrap();
        let got = p
            .note(
                rpc!(
                    p,
                    get_post,
                    p.req(
                        &ann.token,
                        pb::GetPostRequest {
                            name: post.name.clone()
                        }
                    )
                )
                .await,
            )
            .unwrap();
        assert_eq!(got.body, format!("post {i}"));
        let first = p.timeline(&ann, "acme", 1, "").await;
        assert_eq!(post_names(&first), vec![post.name.clone()], "newest first");
    }
}

#[tokio::test]
async fn timeline_pages_have_no_duplicates_or_gaps_while_people_post() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;
    let store = store_group("acme", &chain.store);
    let fresh = department_group("acme", &chain.store, "fresh");
    let mut before = BTreeSet::new();
    for i in 0..24 {
        let group = if i % 2 == 0 { &store } else { &fresh };
        before.insert(p.post(&bob, group, &format!("old {i}")).await.unwrap().name);
    }
    // Bob keeps posting while Ann pages through.
    let writer = {
        let (feed, token, store) = (p.feed.clone(), bob.token.clone(), store.clone());
        tokio::spawn(async move {
            for i in 0..15 {
                let mut feed = feed.clone();
                feed.create_post(breakroom_testing::bearer(
                    &token,
                    pb::CreatePostRequest {
                        parent: store.clone(),
                        post: Some(pb::Post {
                            body: format!("new {i}"),
                            ..Default::default()
                        }),
                        request_id: uuid(),
                    },
                ))
                .await
                .unwrap();
            }
        })
    };
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = p.timeline(&ann, "acme", 5, &token).await;
        seen.extend(post_names(&page));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    writer.await.unwrap();
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates");
    assert!(
        before.is_subset(&unique),
        "no gaps: every older post seen once"
    );
}

#[tokio::test]
async fn pinned_posts_come_first_and_edits_keep_their_history() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let manager = p.manager(&chain, &chain.store, "boss@acme.example").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let group = store_group("acme", &chain.store);
    let rules = p.post(&manager, &group, "House rules").await.unwrap();
    p.post(&ann, &group, "Coffee machine fixed").await.unwrap();
    let pin = |who: &Person| {
        rpc!(
            p,
            pin_post,
            p.req(
                &who.token,
                pb::PinPostRequest {
                    name: rules.name.clone(),
                    pinned: true,
                    request_id: uuid(),
                },
            )
        )
    };
    assert_eq!(reason(&pin(&ann).await.unwrap_err()), "NOT_A_GROUP_ADMIN");
    assert!(p.note(pin(&manager).await).unwrap().pinned);
    let list = p
        .note(
            rpc!(
                p,
                list_group_posts,
                p.req(
                    &ann.token,
                    pb::ListGroupPostsRequest {
                        parent: group.clone(),
                        ..Default::default()
                    },
                )
            )
            .await,
        )
        .unwrap();
    let bodies: Vec<String> = list
        .items
        .iter()
        .filter_map(|i| match &i.item {
            Some(Item::Post(p)) => Some(p.body.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, vec!["House rules", "Coffee machine fixed"]);

    let edit = |who: &Person, body: &str| {
        rpc!(
            p,
            update_post,
            p.req(
                &who.token,
                pb::UpdatePostRequest {
                    post: Some(pb::Post {
                        name: rules.name.clone(),
                        body: body.into(),
                        ..Default::default()
                    }),
                    material_change: false,
                    request_id: uuid(),
                },
            )
        )
    };
    assert_eq!(
        reason(&edit(&ann, "mine now").await.unwrap_err()),
        "NOT_THE_AUTHOR"
    );
    let edited = p.note(edit(&manager, "House rules (v2)").await).unwrap();
    assert_eq!(
        (edited.revision, edited.body.as_str()),
        (2, "House rules (v2)")
    );
    assert!(edited.update_time.is_some());
}

#[tokio::test]
async fn a_leaver_sees_nothing_old_or_new_of_the_groups_they_left() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;
    let group = store_group("acme", &chain.store);
    let old = p.post(&bob, &group, "before you left").await.unwrap();
    assert!(
        p.timeline_bodies(&ann, "acme")
            .await
            .contains(&"before you left".to_owned())
    );
    p.membership(&chain, &ann, role_in(&chain.store, Role::Employee), false)
        .await;
    p.post(&bob, &group, "after you left").await.unwrap();
    let bodies = p.timeline_bodies(&ann, "acme").await;
    assert!(!bodies.iter().any(|b| b.contains("left")), "{bodies:?}");
    let refused = p
        .feed
        .clone()
        .get_post(p.req(&ann.token, pb::GetPostRequest { name: old.name }))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "NOT_A_MEMBER");
}

/// ListTimeline checks the caller's state inside its page statement: an offboarded
/// person whose access token is still valid is refused at once, and a colleague is not.
#[tokio::test]
async fn an_offboarded_person_is_refused_the_timeline_at_once() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;
    p.post(&bob, &store_group("acme", &chain.store), "rota is up")
        .await
        .unwrap();
    assert!(!p.timeline(&ann, "acme", 20, "").await.items.is_empty());
    p.people.offboard(&ann, &chain.admin.token).await;
    let refused = p
        .feed
        .clone()
        .list_timeline(p.req(
            &ann.token,
            pb::ListTimelineRequest {
                parent: "tenants/acme".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    let bodies = p.timeline_bodies(&bob, "acme").await;
    assert!(bodies.contains(&"rota is up".to_owned()), "{bodies:?}");
}

#[tokio::test]
async fn marking_the_timeline_read_clears_the_unread_count() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;
    let group = store_group("acme", &chain.store);
    for i in 0..3 {
        p.post(&bob, &group, &format!("news {i}")).await.unwrap();
    }
    // Three posts and the welcome card.
    assert_eq!(p.timeline(&ann, "acme", 10, "").await.unread_count, 4);
    let mark = |group: &str| {
        rpc!(
            p,
            mark_timeline_read,
            p.req(
                &ann.token,
                pb::MarkTimelineReadRequest {
                    parent: "tenants/acme".into(),
                    group: group.into(),
                    request_id: uuid(),
                    ..Default::default()
                },
            )
        )
    };
    p.note(mark(&group).await).unwrap();
    let unread = |who: &Person| {
        rpc!(
            p,
            get_group,
            p.req(
                &who.token,
                pb::GetGroupRequest {
                    name: group.clone()
                }
            )
        )
    };
    assert_eq!(p.note(unread(&ann).await).unwrap().unread_count, 0);
    assert_eq!(p.note(unread(&bob).await).unwrap().unread_count, 3);
    p.note(mark("").await).unwrap();
    assert_eq!(p.timeline(&ann, "acme", 10, "").await.unread_count, 0);
    p.post(&bob, &group, "one more").await.unwrap();
    assert_eq!(p.timeline(&ann, "acme", 10, "").await.unread_count, 1);
}

#[tokio::test]
async fn a_retried_create_post_returns_the_same_post_and_posts_once() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let request_id = uuid();
    let create = || {
        rpc!(
            p,
            create_post,
            p.req(
                &ann.token,
                pb::CreatePostRequest {
                    parent: store_group("acme", &chain.store),
                    post: Some(pb::Post {
                        body: "only once".into(),
                        ..Default::default()
                    }),
                    request_id: request_id.clone(),
                },
            )
        )
    };
    let first = p.note(create().await).unwrap();
    let again = p.note(create().await).unwrap();
    assert_eq!(first.name, again.name);
    let bodies = p.timeline_bodies(&ann, "acme").await;
    assert_eq!(bodies.iter().filter(|b| *b == "only once").count(), 1);
}
