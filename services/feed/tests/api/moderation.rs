//! The moderation queue (ListReportedPosts): reported posts for their moderators only,
//! gone once a moderator acts, back with a new report, paged newest report first, closed
//! to other chains, strict about its parent, and the same after a rebuild from the stream.

use std::time::Duration;

use breakroom_events::{event_store::stream_name, projector};
use breakroom_feed::projection::moderation_queue::{MODERATION_QUEUE, ModerationQueue};
use breakroom_proto::feed::v1::{self as pb, ModerationAction};
use breakroom_testing::violated_fields;
use tonic::{Code, Status};

use crate::support::*;

/// A chain with a store manager, two employees of the store and the HQ admin.
struct Scene {
    p: Platform,
    chain: Chain,
    manager: Person,
    ann: Person,
    bob: Person,
    group: String,
}

async fn scene() -> Scene {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let manager = p.manager(&chain, &chain.store, "mia@acme.example").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;
    let group = store_group("acme", &chain.store);
    Scene {
        p,
        chain,
        manager,
        ann,
        bob,
        group,
    }
}

impl Scene {
    async fn post(&self, who: &Person, body: &str) -> String {
        self.p.post(who, &self.group, body).await.unwrap().name
    }

    async fn report(&self, who: &Person, post: &str, reason: &str) {
        let p = &self.p;
        let request = pb::ReportPostRequest {
            name: post.into(),
            reason: reason.into(),
            request_id: uuid(),
        };
        p.note(rpc!(p, report_post, p.req(&who.token, request)).await)
            .unwrap();
    }

    async fn moderate(&self, post: &str, action: ModerationAction) {
        let p = &self.p;
        let request = pb::ModeratePostRequest {
            name: post.into(),
            action: action as i32,
            reason: "looked at it".into(),
            request_id: uuid(),
        };
        p.note(rpc!(p, moderate_post, p.req(&self.manager.token, request)).await)
            .unwrap();
    }

    async fn queue(
        &self,
        who: &Person,
        parent: &str,
        size: i32,
        token: &str,
    ) -> Result<pb::ListReportedPostsResponse, Status> {
        let p = &self.p;
        let request = pb::ListReportedPostsRequest {
            parent: parent.into(),
            page_size: size,
            page_token: token.into(),
        };
        p.note(rpc!(p, list_reported_posts, p.req(&who.token, request)).await)
    }

    /// The names of the posts in `who`'s queue of the store group (one page).
    async fn queued(&self, who: &Person) -> Vec<String> {
        names(&self.queue(who, &self.group, 0, "").await.unwrap())
    }
}

fn names(reply: &pb::ListReportedPostsResponse) -> Vec<String> {
    reply
        .reported_posts
        .iter()
        .map(|r| r.post.as_ref().unwrap().name.clone())
        .collect()
}

fn every_group(tenant: &str) -> String {
    format!("tenants/{tenant}/groups/-")
}

#[tokio::test]
async fn reported_posts_appear_for_the_store_manager_and_not_for_an_employee() {
    let s = scene().await;
    let post = s.post(&s.bob, "Whoever took my lunch: I know.").await;
    s.report(&s.ann, &post, "threatening").await;
    s.report(&s.manager, &post, "not the tone here").await;

    let queue = s.queue(&s.manager, &s.group, 0, "").await.unwrap();
    assert_eq!(queue.reported_posts.len(), 1, "{queue:?}");
    assert!(queue.next_page_token.is_empty());
    let entry = &queue.reported_posts[0];
    let shown = entry.post.as_ref().unwrap();
    assert_eq!(shown.name, post);
    assert_eq!(shown.body, "Whoever took my lunch: I know.");
    assert_eq!(shown.author, s.bob.name);
    assert_eq!(entry.report_count, 2);
    assert!(entry.last_report_time.is_some());
    assert!(!entry.group_display_name.is_empty());
    let reasons: Vec<(&str, &str)> = entry
        .reports
        .iter()
        .map(|r| (r.reporter.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (s.manager.name.as_str(), "not the tone here"),
            (s.ann.name.as_str(), "threatening"),
        ],
        "newest first, with who reported"
    );
    assert!(!entry.reports[1].reporter_display_name.is_empty());

    // Every group the manager moderates, and everything for HQ.
    assert_eq!(
        names(
            &s.queue(&s.manager, &every_group("acme"), 0, "")
                .await
                .unwrap()
        ),
        vec![post.clone()]
    );
    assert_eq!(
        names(
            &s.queue(&s.chain.admin, &every_group("acme"), 0, "")
                .await
                .unwrap()
        ),
        vec![post.clone()]
    );

    // An employee moderates nothing: refused for the group, nothing for `-`.
    let refused = s.queue(&s.ann, &s.group, 0, "").await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(reason(&refused), "NOT_A_MODERATOR");
    let mine = s.queue(&s.ann, &every_group("acme"), 0, "").await.unwrap();
    assert!(mine.reported_posts.is_empty(), "{mine:?}");

    // A manager of another store sees their store's reports and nothing of this one.
    let other_store = s.p.people.store("acme", "S-2", &s.chain.admin.token).await;
    let other =
        s.p.manager(&s.chain, &other_store, "olaf@acme.example")
            .await;
    let refused = s.queue(&other, &s.group, 0, "").await.unwrap_err();
    assert_eq!(reason(&refused), "NOT_A_MODERATOR");
    let theirs =
        s.p.post(&other, &store_group("acme", &other_store), "S-2 news")
            .await
            .unwrap()
            .name;
    s.report(&other, &theirs, "typo").await;
    let every = every_group("acme");
    assert_eq!(
        names(&s.queue(&other, &every, 0, "").await.unwrap()),
        vec![theirs.clone()]
    );
    assert_eq!(
        names(&s.queue(&s.manager, &every, 0, "").await.unwrap()),
        vec![post.clone()]
    );
    assert_eq!(
        names(&s.queue(&s.chain.admin, &every, 0, "").await.unwrap()),
        vec![theirs, post]
    );
}

#[tokio::test]
async fn a_manager_whose_own_post_was_reported_sees_why_but_not_who() {
    let s = scene().await;
    let post = s.post(&s.manager, "Overtime is mandatory this week.").await;
    s.report(&s.ann, &post, "that is not what the contract says")
        .await;

    let own = s.queue(&s.manager, &s.group, 0, "").await.unwrap();
    let report = &own.reported_posts[0].reports[0];
    assert_eq!(report.reason, "that is not what the contract says");
    assert_eq!(
        (
            report.reporter.as_str(),
            report.reporter_display_name.as_str()
        ),
        ("", "")
    );
    let hq = s.queue(&s.chain.admin, &s.group, 0, "").await.unwrap();
    assert_eq!(hq.reported_posts[0].reports[0].reporter, s.ann.name);
}

#[tokio::test]
async fn moderating_a_post_takes_it_off_the_queue_and_a_new_report_brings_it_back() {
    let s = scene().await;
    let hidden = s.post(&s.bob, "first").await;
    let deleted = s.post(&s.bob, "second").await;
    let kept = s.post(&s.bob, "third").await;
    for post in [&hidden, &deleted, &kept] {
        s.report(&s.ann, post, "spam").await;
    }
    assert_eq!(s.queued(&s.manager).await.len(), 3);

    s.moderate(&hidden, ModerationAction::Hide).await;
    s.moderate(&deleted, ModerationAction::Delete).await;
    assert_eq!(s.queued(&s.manager).await, vec![kept.clone()]);
    // Restoring a post that is not hidden keeps it and settles its reports.
    s.moderate(&kept, ModerationAction::Restore).await;
    assert!(s.queued(&s.manager).await.is_empty());

    // Restored, then reported again: back, with only the new report.
    s.moderate(&hidden, ModerationAction::Restore).await;
    assert!(
        s.queued(&s.manager).await.is_empty(),
        "restoring reports nothing"
    );
    s.report(&s.bob, &hidden, "still spam").await;
    let queue = s.queue(&s.manager, &s.group, 0, "").await.unwrap();
    assert_eq!(names(&queue), vec![hidden.clone()]);
    let entry = &queue.reported_posts[0];
    assert_eq!(entry.report_count, 1);
    assert_eq!(entry.reports.len(), 1);
    assert_eq!(entry.reports[0].reason, "still spam");
    assert!(!entry.post.as_ref().unwrap().hidden);
}

#[tokio::test]
async fn the_queue_pages_newest_report_first_each_post_once() {
    let s = scene().await;
    let mut posts = Vec::new();
    for i in 0..5 {
        let post = s.post(&s.bob, &format!("post {i}")).await;
        s.report(&s.ann, &post, &format!("reason {i}")).await;
        posts.push(post);
    }
    // Reported again: the oldest post is now the most recently reported.
    s.report(&s.manager, &posts[0], "again").await;
    let expected = vec![
        posts[0].clone(),
        posts[4].clone(),
        posts[3].clone(),
        posts[2].clone(),
        posts[1].clone(),
    ];

    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = s
            .queue(&s.manager, &every_group("acme"), 2, &token)
            .await
            .unwrap();
        assert!(page.reported_posts.len() <= 2);
        seen.extend(names(&page));
        pages += 1;
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected);

    // A token is bound to its parent.
    let first = s.queue(&s.manager, &s.group, 2, "").await.unwrap();
    let error = s
        .queue(&s.manager, &every_group("acme"), 2, &first.next_page_token)
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&error), vec!["page_token"]);
}

#[tokio::test]
async fn another_chains_groups_are_not_found() {
    let s = scene().await;
    let post = s.post(&s.bob, "acme only").await;
    s.report(&s.ann, &post, "spam").await;
    let other = s.p.chain("globex").await;

    for parent in [s.group.clone(), every_group("acme")] {
        let error = s.queue(&other.admin, &parent, 0, "").await.unwrap_err();
        assert_eq!(error.code(), Code::NotFound, "{parent}: {error:?}");
    }
    // Their own queue holds nothing of acme's.
    let theirs = s
        .queue(&other.admin, &every_group("globex"), 0, "")
        .await
        .unwrap();
    assert!(theirs.reported_posts.is_empty());
}

#[tokio::test]
async fn a_bad_parent_or_page_is_refused_naming_the_field() {
    let s = scene().await;
    for parent in [
        "",
        "tenants/acme",
        "tenants/acme/groups",
        "tenants/acme/stores/x",
        "tenants/-/groups/-",
        "tenants/acme/groups/a.b",
        "tenants/acme/groups/news/posts/p",
    ] {
        let error = s.queue(&s.manager, parent, 0, "").await.unwrap_err();
        assert_eq!(violated_fields(&error), vec!["parent"], "{parent}");
    }
    let error = s.queue(&s.manager, &s.group, -1, "").await.unwrap_err();
    assert_eq!(violated_fields(&error), vec!["page_size"]);
    let error = s
        .queue(&s.manager, &s.group, 0, "garbage")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&error), vec!["page_token"]);
    let unknown = s
        .queue(&s.manager, "tenants/acme/groups/no-such-group", 0, "")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn a_rebuilt_queue_is_the_queue_it_was() {
    let s = scene().await;
    let hidden = s.post(&s.bob, "hidden").await;
    let back = s.post(&s.bob, "back").await;
    let twice = s.post(&s.bob, "twice").await;
    let deleted = s.post(&s.bob, "deleted").await;
    for post in [&hidden, &back, &twice, &deleted] {
        s.report(&s.ann, post, "first").await;
    }
    s.report(&s.manager, &twice, "second").await;
    s.moderate(&hidden, ModerationAction::Hide).await;
    s.moderate(&back, ModerationAction::Hide).await;
    s.moderate(&back, ModerationAction::Restore).await;
    s.report(&s.bob, &back, "after the restore").await;
    let delete = pb::DeletePostRequest {
        name: deleted.clone(),
        request_id: uuid(),
    };
    s.p.note(rpc!(s.p, delete_post, s.p.req(&s.bob.token, delete)).await)
        .unwrap();
    let before = s
        .queue(&s.chain.admin, &every_group("acme"), 0, "")
        .await
        .unwrap();
    assert_eq!(names(&before), vec![back.clone(), twice.clone()]);

    let pool = sqlx::PgPool::connect(&s.p.env.database_url("feed"))
        .await
        .unwrap();
    projector::rebuild(&pool, &s.p.env.namespace, &ModerationQueue)
        .await
        .unwrap();
    let stream = stream_name(&s.p.env.namespace, "feed");
    projector::wait_for(
        &pool,
        MODERATION_QUEUE,
        &stream,
        s.p.feed_seen(),
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    let after = s
        .queue(&s.chain.admin, &every_group("acme"), 0, "")
        .await
        .unwrap();
    assert_eq!(after, before);
}
