//! Comments with one level of replies, idempotent reactions, reports and moderation.

use breakroom_proto::feed::v1::{self as pb, ModerationAction, ReactionKind};

use crate::support::*;

#[tokio::test]
async fn comments_reply_one_level_and_reactions_are_idempotent() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;
    let post = p
        .post(
            &ann,
            &store_group("acme", &chain.store),
            "Who has the keys?",
        )
        .await
        .unwrap();
    let comment = |who: &Person, body: &str, parent: &str| {
        rpc!(
            p,
            add_comment,
            p.req(
                &who.token,
                pb::AddCommentRequest {
                    parent: post.name.clone(),
                    comment: Some(pb::Comment {
                        body: body.into(),
                        parent_comment: parent.into(),
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            )
        )
    };
    let top = p.note(comment(&bob, "I do", "").await).unwrap();
    let reply = p.note(comment(&ann, "Thanks!", &top.name).await).unwrap();
    assert_eq!(reply.parent_comment, top.name);
    let deeper = comment(&bob, "np", &reply.name).await.unwrap_err();
    assert_eq!(reason(&deeper), "REPLY_TO_REPLY");
    let list = p
        .note(
            rpc!(
                p,
                list_comments,
                p.req(
                    &ann.token,
                    pb::ListCommentsRequest {
                        parent: post.name.clone(),
                        ..Default::default()
                    },
                )
            )
            .await,
        )
        .unwrap();
    let bodies: Vec<&str> = list.comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(bodies, vec!["I do", "Thanks!"]);

    let react = |who: &Person, kind: ReactionKind| {
        rpc!(
            p,
            set_reaction,
            p.req(
                &who.token,
                pb::SetReactionRequest {
                    name: post.name.clone(),
                    kind: kind as i32,
                    request_id: uuid(),
                },
            )
        )
    };
    p.note(react(&bob, ReactionKind::Like).await).unwrap();
    let twice = p.note(react(&bob, ReactionKind::Like).await).unwrap();
    assert_eq!(
        twice.reactions,
        vec![pb::ReactionCount {
            kind: ReactionKind::Like as i32,
            count: 1
        }]
    );
    assert_eq!(twice.my_reaction, ReactionKind::Like as i32);
    let changed = p.note(react(&bob, ReactionKind::Love).await).unwrap();
    assert_eq!(
        changed.reactions,
        vec![pb::ReactionCount {
            kind: ReactionKind::Love as i32,
            count: 1
        }]
    );
    let clear = || {
        rpc!(
            p,
            clear_reaction,
            p.req(
                &bob.token,
                pb::ClearReactionRequest {
                    name: post.name.clone(),
                    request_id: uuid(),
                },
            )
        )
    };
    assert!(p.note(clear().await).unwrap().reactions.is_empty());
    assert!(p.note(clear().await).unwrap().reactions.is_empty());
}

#[tokio::test]
async fn a_hidden_post_disappears_from_every_timeline_at_once() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let manager = p.manager(&chain, &chain.store, "boss@acme.example").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;
    let post = p
        .post(&bob, &store_group("acme", &chain.store), "something rude")
        .await
        .unwrap();
    p.note(
        rpc!(
            p,
            report_post,
            p.req(
                &ann.token,
                pb::ReportPostRequest {
                    name: post.name.clone(),
                    reason: "rude".into(),
                    request_id: uuid(),
                },
            )
        )
        .await,
    )
    .unwrap();
    let moderate = |who: &Person, action: ModerationAction| {
        rpc!(
            p,
            moderate_post,
            p.req(
                &who.token,
                pb::ModeratePostRequest {
                    name: post.name.clone(),
                    action: action as i32,
                    reason: "house rules".into(),
                    request_id: uuid(),
                },
            )
        )
    };
    let refused = moderate(&ann, ModerationAction::Hide).await.unwrap_err();
    assert_eq!(reason(&refused), "NOT_A_MODERATOR");
    assert!(
        p.note(moderate(&manager, ModerationAction::Hide).await)
            .unwrap()
            .hidden
    );
    for who in [&ann, &bob, &manager] {
        let bodies = p.timeline_bodies(who, "acme").await;
        assert!(!bodies.contains(&"something rude".to_owned()), "{bodies:?}");
    }
    let get = |who: &Person| {
        rpc!(
            p,
            get_post,
            p.req(
                &who.token,
                pb::GetPostRequest {
                    name: post.name.clone()
                }
            )
        )
    };
    assert_eq!(get(&ann).await.unwrap_err().code(), tonic::Code::NotFound);
    assert!(
        get(&manager).await.unwrap().into_inner().hidden,
        "moderators still see it"
    );
    p.note(moderate(&manager, ModerationAction::Restore).await)
        .unwrap();
    assert!(
        p.timeline_bodies(&ann, "acme")
            .await
            .contains(&"something rude".to_owned())
    );
    p.note(moderate(&chain.admin, ModerationAction::Delete).await)
        .unwrap();
    assert_eq!(
        get(&manager).await.unwrap_err().code(),
        tonic::Code::NotFound
    );
}
