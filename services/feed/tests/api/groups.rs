//! Groups: store and department groups follow identity, chain channels, custom groups,
//! posting policy.

use std::time::Duration;

use breakroom_proto::{
    feed::v1::{self as pb, group_event::Event as Ge},
    identity::v1::Role,
};
use breakroom_testing::{eventually, recorded};

use crate::support::*;

#[tokio::test]
async fn store_and_department_groups_follow_identity_joins_moves_and_leaves() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let second = p.people.store("acme", "S-2", &chain.admin.token).await;
    let whole = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let fresh_only = p
        .person(
            &chain,
            "bob@acme.example",
            vec![role_in_department(&second, "fresh", Role::Employee)],
        )
        .await;

    let mut groups = p.my_groups(&whole, "acme").await;
    groups.sort();
    let mut expected = vec![
        news("acme"),
        "tenants/acme/groups/help".to_owned(),
        store_group("acme", &chain.store),
        department_group("acme", &chain.store, "fresh"),
        department_group("acme", &chain.store, "checkout"),
    ];
    expected.sort();
    assert_eq!(groups, expected);
    let bob = p.my_groups(&fresh_only, "acme").await;
    assert!(bob.contains(&store_group("acme", &second)));
    assert!(bob.contains(&department_group("acme", &second, "fresh")));
    assert!(!bob.contains(&department_group("acme", &second, "checkout")));
    assert!(!bob.contains(&store_group("acme", &chain.store)));

    // Bob moves to store 1: the move takes effect with identity's event.
    p.membership(
        &chain,
        &fresh_only,
        role_in(&chain.store, Role::Employee),
        true,
    )
    .await;
    p.membership(
        &chain,
        &fresh_only,
        role_in_department(&second, "fresh", Role::Employee),
        false,
    )
    .await;
    let bob = p.my_groups(&fresh_only, "acme").await;
    assert!(bob.contains(&store_group("acme", &chain.store)));
    assert!(!bob.contains(&store_group("acme", &second)));
    let refused = p
        .feed
        .clone()
        .get_group(p.req(
            &fresh_only.token,
            pb::GetGroupRequest {
                name: store_group("acme", &second),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "NOT_A_MEMBER");

    // The reaction records the derived groups in feed's own log too.
    let store_id = id_of(&chain.store).to_owned();
    eventually(Duration::from_secs(15), || {
        let env = p.env.clone();
        let store_id = store_id.clone();
        async move {
            let commits = recorded(&env, "feed", "group.acme.*").await;
            let found = commits.iter().any(|c| {
                c.aggregate_id() == format!("store-{store_id}")
                    && c.events::<pb::GroupEvent>().unwrap().iter().any(|e| {
                        matches!(&e.event, Some(Ge::Created(g)) if g.kind == pb::GroupKind::Store as i32)
                    })
            });
            found.then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn managers_make_custom_groups_whose_members_they_choose() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let manager = p.manager(&chain, &chain.store, "boss@acme.example").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let bob = p.employee(&chain, &chain.store, "bob@acme.example").await;

    let denied = p
        .feed
        .clone()
        .create_group(p.req(
            &ann.token,
            pb::CreateGroupRequest {
                parent: "tenants/acme".into(),
                group: Some(pb::Group {
                    display_name: "Mine".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&denied), "NOT_A_MANAGER");

    let group = p
        .note(
            rpc!(
                p,
                create_group,
                p.req(
                    &manager.token,
                    pb::CreateGroupRequest {
                        parent: "tenants/acme".into(),
                        group: Some(pb::Group {
                            display_name: "Night crew".into(),
                            ..Default::default()
                        }),
                        members: vec![ann.name.clone()],
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap();
    assert!(group.is_admin);
    assert!(p.my_groups(&ann, "acme").await.contains(&group.name));
    assert!(!p.my_groups(&bob, "acme").await.contains(&group.name));
    let get = |who: &Person| {
        rpc!(
            p,
            get_group,
            p.req(
                &who.token,
                pb::GetGroupRequest {
                    name: group.name.clone(),
                },
            )
        )
    };
    assert_eq!(reason(&get(&bob).await.unwrap_err()), "NOT_A_MEMBER");

    // Ann is not an admin of it: she cannot add people.
    let add = |who: &Person, member: &Person| {
        rpc!(
            p,
            add_group_members,
            p.req(
                &who.token,
                pb::AddGroupMembersRequest {
                    group: group.name.clone(),
                    members: vec![member.name.clone()],
                    admins: false,
                    request_id: uuid(),
                },
            )
        )
    };
    assert_eq!(
        reason(&add(&ann, &bob).await.unwrap_err()),
        "NOT_A_GROUP_ADMIN"
    );
    p.note(add(&manager, &bob).await).unwrap();
    assert!(p.note(get(&bob).await).is_ok());
    p.note(
        rpc!(
            p,
            remove_group_members,
            p.req(
                &manager.token,
                pb::RemoveGroupMembersRequest {
                    group: group.name.clone(),
                    members: vec![ann.name.clone()],
                    request_id: uuid(),
                },
            )
        )
        .await,
    )
    .unwrap();
    assert_eq!(reason(&get(&ann).await.unwrap_err()), "NOT_A_MEMBER");

    let updated = p
        .note(
            rpc!(
                p,
                update_group,
                p.req(
                    &manager.token,
                    pb::UpdateGroupRequest {
                        group: Some(pb::Group {
                            name: group.name.clone(),
                            display_name: "Night shift".into(),
                            posting_policy: pb::PostingPolicy::AdminsOnly as i32,
                            ..Default::default()
                        }),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["posting_policy".into()],
                        }),
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap();
    assert_eq!(
        updated.display_name, "Night crew",
        "only masked fields change"
    );
    assert_eq!(updated.posting_policy, pb::PostingPolicy::AdminsOnly as i32);
    let refused = p.post(&bob, &group.name, "hello?").await.unwrap_err();
    assert_eq!(reason(&refused), "POSTING_RESTRICTED");
    p.post(&manager, &group.name, "Admins only now")
        .await
        .unwrap();
}

#[tokio::test]
async fn hq_posts_in_the_news_channel_and_everyone_reads_it() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let refused = p.post(&ann, &news("acme"), "hi all").await.unwrap_err();
    assert_eq!(reason(&refused), "POSTING_RESTRICTED");
    p.post(&chain.admin, &news("acme"), "Welcome to the new app")
        .await
        .unwrap();
    assert_eq!(
        p.timeline_bodies(&ann, "acme").await,
        vec!["Welcome to the new app".to_owned(), "card:7".to_owned()]
    );
    // Ann may ask in the help group.
    p.post(&ann, "tenants/acme/groups/help", "How do I swap a shift?")
        .await
        .unwrap();
}
