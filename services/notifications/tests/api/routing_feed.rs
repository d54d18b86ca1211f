//! Routing feed's events (appended to the FEED stream as feed writes them): announcements
//! to their audience, reminders to exactly those named, comments, replies and mentions,
//! one notification per event and person, never the actor; redelivered events and a
//! rebuilt routing projection push nothing twice; acknowledging clears the item.

use breakroom_notifications::projection::routing::Routing;
use breakroom_proto::{feed::v1 as feed, notifications::v1 as pb};

use crate::support::*;

fn announcement(urgent: bool) -> Option<feed::Announcement> {
    Some(feed::Announcement {
        audience: Some(feed::Audience::default()),
        requires_acknowledgement: true,
        due_time: None,
        urgent,
    })
}

fn comment(
    post: &str,
    post_author: &str,
    author: &str,
    parent_author: &str,
    mentions: &[&str],
) -> feed::CommentAdded {
    feed::CommentAdded {
        post_id: post.into(),
        group_id: "store".into(),
        post_author_id: post_author.into(),
        parent_comment_id: if parent_author.is_empty() {
            String::new()
        } else {
            "c-parent".into()
        },
        parent_author_id: parent_author.into(),
        author_id: author.into(),
        body: "hello".into(),
        mention_ids: mentions.iter().map(|m| (*m).into()).collect(),
    }
}

#[tokio::test]
async fn an_announcement_reaches_its_audience_once_even_redelivered_or_rebuilt_and_acknowledging_clears_it()
 {
    let p = Platform::spawn().await;
    let chain = p.chain("news").await;
    let t = chain.tenant.clone();
    let (ann, bob) = (
        p.employee(&chain, "ann@news.example").await,
        p.employee(&chain, "bob@news.example").await,
    );
    let (ann_phone, bob_phone) = (p.device(&t, &ann).await, p.device(&t, &bob).await);
    let admin_phone = p.device(&t, &chain.admin).await;
    let hq = chain.admin.id.clone();
    p.feed
        .post(&t, "p1", &hq, "Recall: milk", &[], announcement(true))
        .await;
    p.feed
        .audience(&t, "p1", &hq, 0, 2, &[ann.id.clone(), hq.clone()])
        .await;
    p.feed
        .audience(&t, "p1", &hq, 1, 2, std::slice::from_ref(&bob.id))
        .await;
    let got = p.push.wait_for(&ann_phone, 1).await;
    assert_eq!(got[0].kind(), "KIND_ANNOUNCEMENT");
    assert_eq!(got[0].field("title"), "Recall: milk");
    assert_eq!(got[0].urgency, "high");
    p.push.wait_for(&bob_phone, 1).await;

    // Feed retries a chunk (a new commit with the same content), then the routing
    // projection is rebuilt from the start: neither pushes again.
    p.feed
        .audience(&t, "p1", &hq, 0, 2, std::slice::from_ref(&ann.id))
        .await;
    let app = &p.instance.as_ref().unwrap().app;
    breakroom_events::projector::rebuild(
        app.pool(),
        &p.config.kit.namespace,
        &Routing::new(app.clone()),
    )
    .await
    .unwrap();
    // A later event to Ann is the barrier: once it arrived, everything before was routed.
    p.feed
        .comment(&t, "c-barrier", comment("p-ann", &ann.id, &bob.id, "", &[]))
        .await;
    let got = p.push.wait_for(&ann_phone, 2).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].kind(), "KIND_COMMENT");
    assert_eq!(p.push.delivered(&bob_phone).len(), 1);
    assert!(
        p.push.received(&admin_phone).is_empty(),
        "the author is not told"
    );
    let announcements = |items: &[pb::Notification]| {
        items
            .iter()
            .filter(|n| n.kind == pb::Kind::Announcement as i32)
            .count()
    };
    assert_eq!(announcements(&p.inbox(&t, &ann).await), 1);

    // Ann acknowledges: her announcement is read.
    p.feed.acknowledge(&t, "p1", &ann.id).await;
    breakroom_testing::eventually(std::time::Duration::from_secs(10), || async {
        let inbox = p.inbox(&t, &ann).await;
        inbox
            .iter()
            .any(|n| n.kind == pb::Kind::Announcement as i32 && n.read_time.is_some())
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_reminder_reaches_exactly_those_named() {
    let p = Platform::spawn().await;
    let chain = p.chain("remind").await;
    let t = chain.tenant.clone();
    let (ann, bob) = (
        p.employee(&chain, "ann@remind.example").await,
        p.employee(&chain, "bob@remind.example").await,
    );
    let (ann_phone, bob_phone) = (p.device(&t, &ann).await, p.device(&t, &bob).await);
    let hq = chain.admin.id.clone();
    p.feed
        .post(&t, "p1", &hq, "Read me", &[], announcement(false))
        .await;
    p.feed
        .reminder(&t, "p1", "r1", &hq, std::slice::from_ref(&bob.id))
        .await;
    let got = p.push.wait_for(&bob_phone, 1).await;
    assert_eq!(got[0].kind(), "KIND_ACKNOWLEDGEMENT_REMINDER");
    assert_eq!(got[0].field("post_id"), "p1");
    // Barrier for Ann: a mention.
    p.feed.post(&t, "p2", &bob.id, "Hi", &[&ann.id], None).await;
    let got = p.push.wait_for(&ann_phone, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind(), "KIND_MENTION");
}

#[tokio::test]
async fn comments_replies_and_mentions_reach_each_person_once_and_never_the_actor() {
    let p = Platform::spawn().await;
    let chain = p.chain("talk").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@talk.example").await;
    let bob = p.employee(&chain, "bob@talk.example").await;
    let cid = p.employee(&chain, "cid@talk.example").await;
    let (ann_phone, bob_phone, cid_phone) = (
        p.device(&t, &ann).await,
        p.device(&t, &bob).await,
        p.device(&t, &cid).await,
    );
    p.feed
        .post(&t, "p1", &ann.id, "Shelf plan", &[&cid.id], None)
        .await;
    assert_eq!(
        p.push.wait_for(&cid_phone, 1).await[0].kind(),
        "KIND_MENTION"
    );
    // An edit mentioning Cid again and Bob newly: only Bob is told.
    p.feed.edit(&t, "p1", &ann.id, &[&cid.id, &bob.id]).await;
    assert_eq!(
        p.push.wait_for(&bob_phone, 1).await[0].kind(),
        "KIND_MENTION"
    );
    // Bob comments on Ann's post mentioning Ann: one notification for Ann (a mention).
    p.feed
        .comment(
            &t,
            "c1",
            comment("p1", &ann.id, &bob.id, "", &[&ann.id, &bob.id]),
        )
        .await;
    let got = p.push.wait_for(&ann_phone, 1).await;
    assert_eq!(got[0].kind(), "KIND_MENTION");
    assert_eq!(got[0].field("comment_id"), "c1");
    // Cid replies to Bob's comment: Bob gets a reply, Ann a comment on her post.
    p.feed
        .comment(&t, "c2", comment("p1", &ann.id, &cid.id, &bob.id, &[]))
        .await;
    let got = p.push.wait_for(&bob_phone, 2).await;
    assert_eq!(got[1].kind(), "KIND_REPLY");
    let got = p.push.wait_for(&ann_phone, 2).await;
    assert_eq!(got[1].kind(), "KIND_COMMENT");
    // Ann comments on her own post: nobody else is on it but Ann, who is the actor.
    p.feed
        .comment(&t, "c3", comment("p1", &ann.id, &ann.id, "", &[]))
        .await;
    // Barrier for everyone: a mention of all three by Bob... Bob is the actor, so Ann and
    // Cid get it and Bob does not.
    p.feed
        .post(&t, "p9", &bob.id, "All", &[&ann.id, &bob.id, &cid.id], None)
        .await;
    p.push.wait_for(&ann_phone, 3).await;
    p.push.wait_for(&cid_phone, 2).await;
    assert_eq!(p.push.delivered(&ann_phone).len(), 3);
    assert_eq!(p.push.delivered(&bob_phone).len(), 2);
    assert_eq!(p.push.delivered(&cid_phone).len(), 2);
    assert_eq!(p.inbox(&t, &ann).await.len(), 3);
}

#[tokio::test]
async fn many_comments_on_one_post_within_the_window_become_one_push() {
    let p = Platform::spawn().await;
    let chain = p.chain("collapse").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@collapse.example").await;
    let bob = p.employee(&chain, "bob@collapse.example").await;
    let ann_phone = p.device(&t, &ann).await;
    p.feed.post(&t, "p1", &ann.id, "Party", &[], None).await;
    for i in 0..4 {
        p.feed
            .comment(
                &t,
                &format!("c{i}"),
                comment("p1", &ann.id, &bob.id, "", &[]),
            )
            .await;
    }
    let got = p.push.wait_for(&ann_phone, 1).await;
    assert_eq!(got[0].kind(), "KIND_COMMENT");
    assert_eq!(got[0].payload["count"], 4, "{:?}", got[0].payload);
    assert_eq!(
        p.inbox(&t, &ann).await.len(),
        4,
        "each comment is still an inbox item"
    );
    // Barrier: a mention after the window.
    p.feed.post(&t, "p2", &bob.id, "x", &[&ann.id], None).await;
    let got = p.push.wait_for(&ann_phone, 2).await;
    assert_eq!(got.len(), 2);
}
