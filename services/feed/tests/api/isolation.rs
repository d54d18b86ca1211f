//! Tenant isolation: another chain finds nothing of this one through any rpc.

use breakroom_proto::feed::v1 as pb;
use tonic::{Code, Status};

use crate::support::*;

fn not_found<T: std::fmt::Debug>(rpc: &str, result: Result<tonic::Response<T>, Status>) {
    match result {
        Err(status) => assert_eq!(status.code(), Code::NotFound, "{rpc}: {status:?}"),
        Ok(reply) => panic!("{rpc} answered another chain: {reply:?}"),
    }
}

#[tokio::test]
async fn another_chain_finds_nothing_through_any_rpc() {
    let p = Platform::spawn().await;
    let acme = p.chain("acme").await;
    let beta = p.chain("beta").await;
    let ann = p.employee(&acme, &acme.store, "ann@acme.example").await;
    let group = store_group("acme", &acme.store);
    let post = p.post(&ann, &group, "acme only").await.unwrap();
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
                            body: "mine".into(),
                            ..Default::default()
                        }),
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap();
    let t = beta.admin.token.clone();
    let rid = uuid;
    not_found(
        "CreateGroup",
        rpc!(
            p,
            create_group,
            p.req(
                &t,
                pb::CreateGroupRequest {
                    parent: "tenants/acme".into(),
                    group: Some(pb::Group {
                        display_name: "x".into(),
                        ..Default::default()
                    }),
                    members: vec![],
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "GetGroup",
        rpc!(
            p,
            get_group,
            p.req(
                &t,
                pb::GetGroupRequest {
                    name: group.clone()
                }
            )
        )
        .await,
    );
    not_found(
        "ListMyGroups",
        rpc!(
            p,
            list_my_groups,
            p.req(
                &t,
                pb::ListMyGroupsRequest {
                    parent: "tenants/acme".into(),
                    ..Default::default()
                }
            )
        )
        .await,
    );
    not_found(
        "UpdateGroup",
        rpc!(
            p,
            update_group,
            p.req(
                &t,
                pb::UpdateGroupRequest {
                    group: Some(pb::Group {
                        name: group.clone(),
                        display_name: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["display_name".into()]
                    }),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "AddGroupMembers",
        rpc!(
            p,
            add_group_members,
            p.req(
                &t,
                pb::AddGroupMembersRequest {
                    group: group.clone(),
                    members: vec![beta.admin.name.clone()],
                    admins: false,
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "RemoveGroupMembers",
        rpc!(
            p,
            remove_group_members,
            p.req(
                &t,
                pb::RemoveGroupMembersRequest {
                    group: group.clone(),
                    members: vec![ann.name.clone()],
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "CreatePost",
        rpc!(
            p,
            create_post,
            p.req(
                &t,
                pb::CreatePostRequest {
                    parent: group.clone(),
                    post: Some(pb::Post {
                        body: "x".into(),
                        ..Default::default()
                    }),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "GetPost",
        rpc!(
            p,
            get_post,
            p.req(
                &t,
                pb::GetPostRequest {
                    name: post.name.clone()
                }
            )
        )
        .await,
    );
    not_found(
        "UpdatePost",
        rpc!(
            p,
            update_post,
            p.req(
                &t,
                pb::UpdatePostRequest {
                    post: Some(pb::Post {
                        name: post.name.clone(),
                        body: "x".into(),
                        ..Default::default()
                    }),
                    material_change: false,
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "DeletePost",
        rpc!(
            p,
            delete_post,
            p.req(
                &t,
                pb::DeletePostRequest {
                    name: post.name.clone(),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "PinPost",
        rpc!(
            p,
            pin_post,
            p.req(
                &t,
                pb::PinPostRequest {
                    name: post.name.clone(),
                    pinned: true,
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "ListGroupPosts",
        rpc!(
            p,
            list_group_posts,
            p.req(
                &t,
                pb::ListGroupPostsRequest {
                    parent: group.clone(),
                    ..Default::default()
                }
            )
        )
        .await,
    );
    not_found(
        "ListTimeline",
        rpc!(
            p,
            list_timeline,
            p.req(
                &t,
                pb::ListTimelineRequest {
                    parent: "tenants/acme".into(),
                    ..Default::default()
                }
            )
        )
        .await,
    );
    not_found(
        "MarkTimelineRead",
        rpc!(
            p,
            mark_timeline_read,
            p.req(
                &t,
                pb::MarkTimelineReadRequest {
                    parent: "tenants/acme".into(),
                    request_id: rid(),
                    ..Default::default()
                }
            )
        )
        .await,
    );
    not_found(
        "AddComment",
        rpc!(
            p,
            add_comment,
            p.req(
                &t,
                pb::AddCommentRequest {
                    parent: post.name.clone(),
                    comment: Some(pb::Comment {
                        body: "x".into(),
                        ..Default::default()
                    }),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "ListComments",
        rpc!(
            p,
            list_comments,
            p.req(
                &t,
                pb::ListCommentsRequest {
                    parent: post.name.clone(),
                    ..Default::default()
                }
            )
        )
        .await,
    );
    not_found(
        "DeleteComment",
        rpc!(
            p,
            delete_comment,
            p.req(
                &t,
                pb::DeleteCommentRequest {
                    name: comment.name.clone(),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "SetReaction",
        rpc!(
            p,
            set_reaction,
            p.req(
                &t,
                pb::SetReactionRequest {
                    name: post.name.clone(),
                    kind: pb::ReactionKind::Like as i32,
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "ClearReaction",
        rpc!(
            p,
            clear_reaction,
            p.req(
                &t,
                pb::ClearReactionRequest {
                    name: post.name.clone(),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "AcknowledgePost",
        rpc!(
            p,
            acknowledge_post,
            p.req(
                &t,
                pb::AcknowledgePostRequest {
                    name: post.name.clone(),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "GetAcknowledgementReport",
        rpc!(
            p,
            get_acknowledgement_report,
            p.req(
                &t,
                pb::GetAcknowledgementReportRequest {
                    name: post.name.clone(),
                    ..Default::default()
                }
            )
        )
        .await,
    );
    not_found(
        "SendAcknowledgementReminder",
        rpc!(
            p,
            send_acknowledgement_reminder,
            p.req(
                &t,
                pb::SendAcknowledgementReminderRequest {
                    name: post.name.clone(),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "ReportPost",
        rpc!(
            p,
            report_post,
            p.req(
                &t,
                pb::ReportPostRequest {
                    name: post.name.clone(),
                    reason: "x".into(),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    not_found(
        "ModeratePost",
        rpc!(
            p,
            moderate_post,
            p.req(
                &t,
                pb::ModeratePostRequest {
                    name: post.name.clone(),
                    action: pb::ModerationAction::Hide as i32,
                    reason: String::new(),
                    request_id: rid()
                }
            )
        )
        .await,
    );
    for parent in [group.clone(), "tenants/acme/groups/-".to_owned()] {
        not_found(
            "ListReportedPosts",
            rpc!(
                p,
                list_reported_posts,
                p.req(
                    &t,
                    pb::ListReportedPostsRequest {
                        parent,
                        ..Default::default()
                    }
                )
            )
            .await,
        );
    }
    // And acme's own post is untouched.
    let still = rpc!(
        p,
        get_post,
        p.req(&ann.token, pb::GetPostRequest { name: post.name })
    )
    .await
    .unwrap();
    assert_eq!(still.into_inner().body, "acme only");
}
