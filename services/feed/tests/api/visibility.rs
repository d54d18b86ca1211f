//! One visibility rule on every path that returns a post or anything of it: an
//! announcement naming an audience is for its readers and author only (not for other
//! members of its group, managers included), and a hidden post's comments are for its
//! moderators only.

use breakroom_proto::{
    feed::v1::{self as pb, ModerationAction, ReactionKind, timeline_item::Item},
    identity::v1::Role,
};
use tonic::{Code, Response, Status};

use crate::support::*;

fn code<T>(reply: Result<Response<T>, Status>) -> Code {
    match reply {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

fn names_in(items: &[pb::TimelineItem]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| match &i.item {
            Some(Item::Post(p)) => Some(p.name.clone()),
            _ => None,
        })
        .collect()
}

/// Every RPC on `post` (and on `comment`, a comment of it) as `who`: the code of each.
async fn every_rpc(
    p: &Platform,
    who: &Person,
    post: &str,
    comment: &str,
) -> Vec<(&'static str, Code)> {
    let name = || post.to_owned();
    vec![
        (
            "GetPost",
            code(
                rpc!(
                    p,
                    get_post,
                    p.req(&who.token, pb::GetPostRequest { name: name() })
                )
                .await,
            ),
        ),
        (
            "ListComments",
            code(
                rpc!(
                    p,
                    list_comments,
                    p.req(
                        &who.token,
                        pb::ListCommentsRequest {
                            parent: name(),
                            ..Default::default()
                        }
                    )
                )
                .await,
            ),
        ),
        (
            "AddComment",
            code(
                rpc!(
                    p,
                    add_comment,
                    p.req(
                        &who.token,
                        pb::AddCommentRequest {
                            parent: name(),
                            comment: Some(pb::Comment {
                                body: "me too".into(),
                                ..Default::default()
                            }),
                            request_id: uuid(),
                        }
                    )
                )
                .await,
            ),
        ),
        (
            "DeleteComment",
            code(
                rpc!(
                    p,
                    delete_comment,
                    p.req(
                        &who.token,
                        pb::DeleteCommentRequest {
                            name: comment.into(),
                            request_id: uuid()
                        }
                    )
                )
                .await,
            ),
        ),
        (
            "SetReaction",
            code(
                rpc!(
                    p,
                    set_reaction,
                    p.req(
                        &who.token,
                        pb::SetReactionRequest {
                            name: name(),
                            kind: ReactionKind::Like as i32,
                            request_id: uuid()
                        }
                    )
                )
                .await,
            ),
        ),
        (
            "ClearReaction",
            code(
                rpc!(
                    p,
                    clear_reaction,
                    p.req(
                        &who.token,
                        pb::ClearReactionRequest {
                            name: name(),
                            request_id: uuid()
                        }
                    )
                )
                .await,
            ),
        ),
        (
            "AcknowledgePost",
            code(
                rpc!(
                    p,
                    acknowledge_post,
                    p.req(
                        &who.token,
                        pb::AcknowledgePostRequest {
                            name: name(),
                            request_id: uuid()
                        }
                    )
                )
                .await,
            ),
        ),
        (
            "ReportPost",
            code(
                rpc!(
                    p,
                    report_post,
                    p.req(
                        &who.token,
                        pb::ReportPostRequest {
                            name: name(),
                            reason: "why".into(),
                            request_id: uuid()
                        }
                    )
                )
                .await,
            ),
        ),
        (
            "PinPost",
            code(
                rpc!(
                    p,
                    pin_post,
                    p.req(
                        &who.token,
                        pb::PinPostRequest {
                            name: name(),
                            pinned: true,
                            request_id: uuid()
                        }
                    )
                )
                .await,
            ),
        ),
    ]
}

#[tokio::test]
async fn a_targeted_announcement_is_not_found_by_members_outside_its_audience_on_every_rpc() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let lead = p
        .person(
            &chain,
            "lead@acme.example",
            vec![role_in(&chain.store, Role::TeamLead)],
        )
        .await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let manager = p.manager(&chain, &chain.store, "boss@acme.example").await;
    let post = p
        .note(
            rpc!(
                p,
                create_post,
                p.req(
                    &chain.admin.token,
                    pb::CreatePostRequest {
                        parent: news("acme"),
                        post: Some(pb::Post {
                            title: "Leads only".into(),
                            body: "The stocktake keys are in the safe.".into(),
                            announcement: Some(pb::Announcement {
                                audience: Some(pb::Audience {
                                    roles: vec![Role::TeamLead as i32],
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
            .await,
        )
        .unwrap();
    let comment = p
        .note(
            rpc!(
                p,
                add_comment,
                p.req(
                    &lead.token,
                    pb::AddCommentRequest {
                        parent: post.name.clone(),
                        comment: Some(pb::Comment {
                            body: "Got it".into(),
                            ..Default::default()
                        }),
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap();

    for outsider in [&ann, &manager] {
        for (rpc, code) in every_rpc(&p, outsider, &post.name, &comment.name).await {
            assert_eq!(code, Code::NotFound, "{rpc} as {}", outsider.email);
        }
        let group = p
            .note(
                rpc!(
                    p,
                    list_group_posts,
                    p.req(
                        &outsider.token,
                        pb::ListGroupPostsRequest {
                            parent: news("acme"),
                            ..Default::default()
                        }
                    )
                )
                .await,
            )
            .unwrap();
        assert!(
            !names_in(&group.items).contains(&post.name),
            "ListGroupPosts"
        );
        let timeline = p.timeline(outsider, "acme", 100, "").await;
        assert!(
            !names_in(&timeline.items).contains(&post.name),
            "ListTimeline"
        );
        let news_group = p
            .note(
                rpc!(
                    p,
                    get_group,
                    p.req(&outsider.token, pb::GetGroupRequest { name: news("acme") })
                )
                .await,
            )
            .unwrap();
        assert_eq!(news_group.unread_count, 0, "GetGroup counts no unread post");
        let mine = p
            .note(
                rpc!(
                    p,
                    list_my_groups,
                    p.req(
                        &outsider.token,
                        pb::ListMyGroupsRequest {
                            parent: "tenants/acme".into(),
                            ..Default::default()
                        }
                    )
                )
                .await,
            )
            .unwrap();
        let listed = mine.groups.iter().find(|g| g.name == news("acme")).unwrap();
        assert_eq!(listed.unread_count, 0, "ListMyGroups counts no unread post");
    }
    // Nothing of theirs was recorded on it.
    let comments = p
        .note(
            rpc!(
                p,
                list_comments,
                p.req(
                    &lead.token,
                    pb::ListCommentsRequest {
                        parent: post.name.clone(),
                        ..Default::default()
                    }
                )
            )
            .await,
        )
        .unwrap();
    assert_eq!(comments.comments.len(), 1);

    // Its reader and its author see it everywhere.
    for insider in [&lead, &chain.admin] {
        let got = p
            .note(
                rpc!(
                    p,
                    get_post,
                    p.req(
                        &insider.token,
                        pb::GetPostRequest {
                            name: post.name.clone()
                        }
                    )
                )
                .await,
            )
            .unwrap();
        assert_eq!(got.title, "Leads only");
        let timeline = p.timeline(insider, "acme", 100, "").await;
        assert!(
            names_in(&timeline.items).contains(&post.name),
            "{}",
            insider.email
        );
        let group = p
            .note(
                rpc!(
                    p,
                    list_group_posts,
                    p.req(
                        &insider.token,
                        pb::ListGroupPostsRequest {
                            parent: news("acme"),
                            ..Default::default()
                        }
                    )
                )
                .await,
            )
            .unwrap();
        assert!(
            names_in(&group.items).contains(&post.name),
            "{}",
            insider.email
        );
    }
    let news_group = p
        .note(
            rpc!(
                p,
                get_group,
                p.req(&lead.token, pb::GetGroupRequest { name: news("acme") })
            )
            .await,
        )
        .unwrap();
    assert_eq!(news_group.unread_count, 1);
    p.note(
        rpc!(
            p,
            acknowledge_post,
            p.req(
                &lead.token,
                pb::AcknowledgePostRequest {
                    name: post.name.clone(),
                    request_id: uuid()
                }
            )
        )
        .await,
    )
    .unwrap();

    // The report keeps its own rule: the store's manager reads who acknowledged.
    let report = p
        .note(
            rpc!(
                p,
                get_acknowledgement_report,
                p.req(
                    &manager.token,
                    pb::GetAcknowledgementReportRequest {
                        name: post.name.clone(),
                        ..Default::default()
                    }
                )
            )
            .await,
        )
        .unwrap();
    assert_eq!((report.total, report.acknowledged), (1, 1));
}

#[tokio::test]
async fn a_hidden_posts_comments_are_for_its_moderators_only() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let manager = p.manager(&chain, &chain.store, "boss@acme.example").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;
    let post = p
        .post(&bob, &store_group("acme", &chain.store), "something rude")
        .await
        .unwrap();
    let comment = p
        .note(
            rpc!(
                p,
                add_comment,
                p.req(
                    &ann.token,
                    pb::AddCommentRequest {
                        parent: post.name.clone(),
                        comment: Some(pb::Comment {
                            body: "agreed".into(),
                            ..Default::default()
                        }),
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap();
    p.note(
        rpc!(
            p,
            moderate_post,
            p.req(
                &manager.token,
                pb::ModeratePostRequest {
                    name: post.name.clone(),
                    action: ModerationAction::Hide as i32,
                    reason: "house rules".into(),
                    request_id: uuid(),
                },
            )
        )
        .await,
    )
    .unwrap();
    for (rpc, code) in every_rpc(&p, &ann, &post.name, &comment.name).await {
        assert_eq!(code, Code::NotFound, "{rpc}");
    }
    let list = |who: &Person| {
        rpc!(
            p,
            list_comments,
            p.req(
                &who.token,
                pb::ListCommentsRequest {
                    parent: post.name.clone(),
                    ..Default::default()
                }
            )
        )
    };
    assert_eq!(p.note(list(&manager).await).unwrap().comments.len(), 1);
}
