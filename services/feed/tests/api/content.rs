//! What a post or comment may hold, through the API: bodies that CommonMark turns into
//! script links, and attachment locations that are not an object key or an https URL,
//! are refused with a field violation before anything is recorded.

use breakroom_proto::feed::v1 as pb;
use breakroom_testing::recorded;

use crate::{hostile::violations, support::*};

/// Bodies the former hand-written scanner let through: CommonMark resolves each into a
/// `javascript:` or `data:` link.
const SCRIPT_LINKS: [&str; 5] = [
    "[x][r]\n\n> [r]: javascript:alert(1)",
    "[x][r]\n\n- [r]:\n  javascript:alert(1)",
    "[x][r]\r\r[r]:\rjavascript:alert(1)",
    "[x](jav&#x61;script:alert(1))",
    "[x][r]\n\n1. [r]: DATA:text/html,<script>alert(1)</script>",
];

fn comment_request(post: &str, body: &str) -> pb::AddCommentRequest {
    pb::AddCommentRequest {
        parent: post.into(),
        comment: Some(pb::Comment {
            body: body.into(),
            ..Default::default()
        }),
        request_id: uuid(),
    }
}

#[tokio::test]
async fn create_post_and_add_comment_refuse_bodies_that_commonmark_makes_script_links() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let group = store_group("acme", &chain.store);
    let post = p.post(&ann, &group, "Who has the keys?").await.unwrap();

    for body in SCRIPT_LINKS {
        let status = p.post(&ann, &group, body).await.unwrap_err();
        let refused = violations(&status);
        assert_eq!(refused.len(), 1, "{body:?}: {refused:?}");
        assert_eq!(refused[0].0, "post.body");
        assert!(
            refused[0].1.contains("link target `javascript:alert(1)`")
                || refused[0].1.contains("link target `DATA:text/html,"),
            "{body:?}: {refused:?}"
        );

        let status = rpc!(
            p,
            add_comment,
            p.req(&ann.token, comment_request(&post.name, body))
        )
        .await
        .unwrap_err();
        let refused = violations(&status);
        assert_eq!(refused.len(), 1, "{body:?}: {refused:?}");
        assert_eq!(refused[0].0, "comment.body");
    }

    // Nothing was recorded: one post, no comment.
    assert_eq!(recorded(&p.env, "feed", "post.acme.*").await.len(), 1);
    assert!(recorded(&p.env, "feed", "comment.acme.*").await.is_empty());
    // Markdown as people write it still passes.
    let fine =
        "# Stocktake\n\n> bring gloves\n\n- [the plan][plan]\n\n[plan]: https://acme.example/plan";
    assert_eq!(p.post(&ann, &group, fine).await.unwrap().body, fine);
}

#[tokio::test]
async fn update_post_refuses_a_script_link_in_the_new_body() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let post = p
        .post(&ann, &store_group("acme", &chain.store), "fine")
        .await
        .unwrap();
    let status = rpc!(
        p,
        update_post,
        p.req(
            &ann.token,
            pb::UpdatePostRequest {
                post: Some(pb::Post {
                    name: post.name.clone(),
                    body: SCRIPT_LINKS[0].into(),
                    ..Default::default()
                }),
                material_change: false,
                request_id: uuid(),
            },
        )
    )
    .await
    .unwrap_err();
    assert_eq!(violations(&status)[0].0, "post.body");
}

fn with_attachment(uri: &str) -> pb::Post {
    pb::Post {
        body: "see attached".into(),
        attachments: vec![pb::Attachment {
            uri: uri.into(),
            media_type: "image/jpeg".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn attachments_are_object_keys_or_https_urls_and_nothing_else() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let group = store_group("acme", &chain.store);
    let create = |post: pb::Post| {
        rpc!(
            p,
            create_post,
            p.req(
                &ann.token,
                pb::CreatePostRequest {
                    parent: group.clone(),
                    post: Some(post),
                    request_id: uuid(),
                },
            )
        )
    };
    for (uri, named) in [
        ("javascript:alert(1)", "`javascript:`"),
        ("JavaScript:alert(1)", "`JavaScript:`"),
        ("data:image/svg+xml,<svg onload=alert(1)>", "`data:`"),
        ("vbscript:msgbox(1)", "`vbscript:`"),
        ("file:///etc/passwd", "`file:`"),
        ("//evil.example/a.jpg", "protocol-relative"),
        ("https://user@evil.example/a.jpg", "with a host"),
        ("../../etc/passwd", "object key"),
        ("/uploads/a.jpg", "object key"),
    ] {
        let status = create(with_attachment(uri)).await.unwrap_err();
        let refused = violations(&status);
        assert_eq!(refused.len(), 1, "{uri}: {refused:?}");
        assert_eq!(refused[0].0, "post.attachments[0].uri", "{uri}");
        assert!(refused[0].1.contains(named), "{uri}: {refused:?}");
    }
    for uri in [
        "uploads/2026/12/rota.jpg",
        "https://media.acme.example/rota.jpg?v=2",
    ] {
        let post = p.note(create(with_attachment(uri)).await).unwrap();
        assert_eq!(post.attachments[0].uri, uri);
    }
}

/// A NUL made CreatePost, AddComment and CreateGroup answer OK while every read model
/// skipped the commit as poison, and made an audience answer INTERNAL: now each is refused
/// with the field's path before anything is recorded, and no projection records poison.
#[tokio::test]
async fn text_with_a_nul_is_refused_naming_the_field_and_nothing_is_recorded() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let boss = p.manager(&chain, &chain.store, "boss@acme.example").await;
    let group = store_group("acme", &chain.store);
    let post = p.post(&ann, &group, "Who has the keys?").await.unwrap();

    let status = p.post(&ann, &group, "keys\0 are lost").await.unwrap_err();
    assert_eq!(violations(&status)[0].0, "post.body");
    let status = rpc!(
        p,
        add_comment,
        p.req(&ann.token, comment_request(&post.name, "me\0"))
    )
    .await
    .unwrap_err();
    assert_eq!(violations(&status)[0].0, "comment.body");
    let status = rpc!(
        p,
        create_group,
        p.req(
            &boss.token,
            pb::CreateGroupRequest {
                parent: "tenants/acme".into(),
                group: Some(pb::Group {
                    display_name: "Night\0 shift".into(),
                    ..Default::default()
                }),
                members: vec![],
                request_id: uuid(),
            },
        )
    )
    .await
    .unwrap_err();
    assert_eq!(violations(&status)[0].0, "group.display_name");
    let status = rpc!(
        p,
        create_post,
        p.req(
            &boss.token,
            pb::CreatePostRequest {
                parent: group.clone(),
                post: Some(pb::Post {
                    body: "Read this".into(),
                    announcement: Some(pb::Announcement {
                        audience: Some(pb::Audience {
                            department_ids: vec!["fresh\0".into()],
                            ..Default::default()
                        }),
                        requires_acknowledgement: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        )
    )
    .await
    .unwrap_err();
    assert_eq!(
        violations(&status)[0].0,
        "post.announcement.audience.department_ids[0]"
    );

    assert_eq!(recorded(&p.env, "feed", "post.acme.*").await.len(), 1);
    assert!(recorded(&p.env, "feed", "comment.acme.*").await.is_empty());
    let night_shift = recorded(&p.env, "feed", "group.acme.*")
        .await
        .into_iter()
        .flat_map(|c| c.commit.events)
        .any(|e| e.payload.windows(5).any(|w| w == b"Night"));
    assert!(!night_shift, "the refused group was recorded");
}
