//! Who asks is checked before what they ask: a caller who may not do something is told
//! PERMISSION_DENIED (or NOT_FOUND for what they do not see), however malformed the rest
//! of the request, and learns nothing from field violations.

use breakroom_proto::{
    feed::v1::{self as pb, ModerationAction},
    identity::v1::Role,
};
use tonic::{Code, Response, Status};

use crate::support::*;

/// A request id that is not a UUID: INVALID_ARGUMENT for a caller allowed to act.
const BAD_ID: &str = "not-a-uuid";

fn refusal<T>(reply: Result<Response<T>, Status>) -> (Code, String) {
    match reply {
        Ok(_) => (Code::Ok, String::new()),
        Err(status) => (status.code(), reason(&status)),
    }
}

fn denied(reason: &str) -> (Code, String) {
    (Code::PermissionDenied, reason.to_owned())
}

struct Scene {
    chain: Chain,
    ann: Person,
    bob: Person,
    /// Bob's post in the store group.
    post: String,
    /// Bob's comment on it.
    comment: String,
    /// The HQ admin's announcement to everyone in news.
    announcement: String,
}

async fn scene(p: &Platform) -> Scene {
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;
    let post = p
        .post(&bob, &store_group("acme", &chain.store), "rota is up")
        .await
        .unwrap()
        .name;
    let comment = p
        .note(
            rpc!(
                p,
                add_comment,
                p.req(
                    &bob.token,
                    pb::AddCommentRequest {
                        parent: post.clone(),
                        comment: Some(pb::Comment {
                            body: "see the board".into(),
                            ..Default::default()
                        }),
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap()
        .name;
    let announcement = p
        .note(
            rpc!(
                p,
                create_post,
                p.req(
                    &chain.admin.token,
                    pb::CreatePostRequest {
                        parent: news("acme"),
                        post: Some(pb::Post {
                            title: "Fridge rules".into(),
                            body: "Label everything.".into(),
                            announcement: Some(pb::Announcement {
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
        .name;
    Scene {
        chain,
        ann,
        bob,
        post,
        comment,
        announcement,
    }
}

#[tokio::test]
async fn an_employee_without_the_right_is_denied_before_the_request_is_validated() {
    let p = Platform::spawn().await;
    let s = scene(&p).await;
    let ann = &s.ann.token;

    let remind = rpc!(
        p,
        send_acknowledgement_reminder,
        p.req(
            ann,
            pb::SendAcknowledgementReminderRequest {
                name: s.announcement.clone(),
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(remind.await), denied("NOT_A_MANAGER"));
    let pin = rpc!(
        p,
        pin_post,
        p.req(
            ann,
            pb::PinPostRequest {
                name: s.post.clone(),
                pinned: true,
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(pin.await), denied("NOT_A_GROUP_ADMIN"));
    let delete = rpc!(
        p,
        delete_post,
        p.req(
            ann,
            pb::DeletePostRequest {
                name: s.post.clone(),
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(delete.await), denied("NOT_A_MODERATOR"));
    let delete_comment = rpc!(
        p,
        delete_comment,
        p.req(
            ann,
            pb::DeleteCommentRequest {
                name: s.comment.clone(),
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(delete_comment.await), denied("NOT_A_MODERATOR"));
    let update = rpc!(
        p,
        update_post,
        p.req(
            ann,
            pb::UpdatePostRequest {
                post: Some(pb::Post {
                    name: s.post.clone(),
                    body: "<script>alert(1)</script>".into(),
                    ..Default::default()
                }),
                material_change: false,
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(update.await), denied("NOT_THE_AUTHOR"));
    let moderate = rpc!(
        p,
        moderate_post,
        p.req(
            ann,
            pb::ModeratePostRequest {
                name: s.post.clone(),
                action: 99,
                reason: "x".repeat(2000),
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(moderate.await), denied("NOT_A_MODERATOR"));

    // Those allowed get the field violation.
    let pin = rpc!(
        p,
        pin_post,
        p.req(
            &s.chain.admin.token,
            pb::PinPostRequest {
                name: s.post.clone(),
                pinned: true,
                request_id: BAD_ID.into(),
            },
        )
    );
    let status = pin.await.unwrap_err();
    assert_eq!(
        breakroom_testing::violated_fields(&status),
        vec!["request_id"]
    );
}

#[tokio::test]
async fn a_leaver_is_denied_before_the_request_is_validated() {
    let p = Platform::spawn().await;
    let s = scene(&p).await;
    p.membership(
        &s.chain,
        &s.bob,
        role_in(&s.chain.store, Role::Employee),
        false,
    )
    .await;
    let bob = &s.bob.token;
    let not_a_member = denied("NOT_A_MEMBER");

    let clear = rpc!(
        p,
        clear_reaction,
        p.req(
            bob,
            pb::ClearReactionRequest {
                name: s.post.clone(),
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(clear.await), not_a_member);
    let set = rpc!(
        p,
        set_reaction,
        p.req(
            bob,
            pb::SetReactionRequest {
                name: s.post.clone(),
                kind: 0,
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(set.await), not_a_member);
    let comment = rpc!(
        p,
        add_comment,
        p.req(
            bob,
            pb::AddCommentRequest {
                parent: s.post.clone(),
                comment: None,
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(comment.await), not_a_member);
    let report = rpc!(
        p,
        report_post,
        p.req(
            bob,
            pb::ReportPostRequest {
                name: s.post.clone(),
                reason: String::new(),
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(report.await), not_a_member);
    let update = rpc!(
        p,
        update_post,
        p.req(
            bob,
            pb::UpdatePostRequest {
                post: Some(pb::Post {
                    name: s.post.clone(),
                    body: String::new(),
                    ..Default::default()
                }),
                material_change: false,
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(update.await), not_a_member, "their own post");
    let mark = rpc!(
        p,
        mark_timeline_read,
        p.req(
            bob,
            pb::MarkTimelineReadRequest {
                parent: "tenants/acme".into(),
                group: store_group("acme", &s.chain.store),
                read_through_time: Some(prost_types::Timestamp {
                    seconds: i64::MAX / 2,
                    nanos: 0,
                }),
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(mark.await), not_a_member);
    let moderate = rpc!(
        p,
        moderate_post,
        p.req(
            bob,
            pb::ModeratePostRequest {
                name: s.post.clone(),
                action: ModerationAction::Hide as i32,
                reason: String::new(),
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(moderate.await), denied("NOT_A_MODERATOR"));
}

#[tokio::test]
async fn a_reader_outside_an_audience_is_told_not_found_before_the_request_is_validated() {
    let p = Platform::spawn().await;
    let s = scene(&p).await;
    let leads = p
        .note(
            rpc!(
                p,
                create_post,
                p.req(
                    &s.chain.admin.token,
                    pb::CreatePostRequest {
                        parent: news("acme"),
                        post: Some(pb::Post {
                            title: "Leads".into(),
                            body: "Keys.".into(),
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
        .unwrap()
        .name;
    let acknowledge = rpc!(
        p,
        acknowledge_post,
        p.req(
            &s.ann.token,
            pb::AcknowledgePostRequest {
                name: leads,
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(acknowledge.await).0, Code::NotFound);
    // An announcement they do see, with a malformed request: the field violation.
    let acknowledge = rpc!(
        p,
        acknowledge_post,
        p.req(
            &s.ann.token,
            pb::AcknowledgePostRequest {
                name: s.announcement.clone(),
                request_id: BAD_ID.into(),
            },
        )
    );
    assert_eq!(refusal(acknowledge.await).0, Code::InvalidArgument);
}

#[tokio::test]
async fn a_store_manager_announcing_beyond_their_stores_is_denied_before_the_post_is_validated() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let manager = p.manager(&chain, &chain.store, "boss@acme.example").await;
    let announce = |stores: Vec<String>| {
        rpc!(
            p,
            create_post,
            p.req(
                &manager.token,
                pb::CreatePostRequest {
                    parent: store_group("acme", &chain.store),
                    post: Some(pb::Post {
                        title: String::new(),
                        body: "<script>alert(1)</script>".into(),
                        announcement: Some(pb::Announcement {
                            audience: Some(pb::Audience {
                                store_ids: stores,
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    request_id: BAD_ID.into(),
                },
            )
        )
    };
    assert_eq!(
        refusal(announce(vec!["elsewhere".into()]).await),
        denied("AUDIENCE_OUT_OF_SCOPE")
    );
    // Within their store, the post itself is what is wrong.
    let status = announce(vec![id_of(&chain.store).into()])
        .await
        .unwrap_err();
    let mut fields = breakroom_testing::violated_fields(&status);
    fields.sort();
    assert_eq!(fields, vec!["post.body", "post.title"]);
}
