//! Invite e-mails: identity seals the code with the key it shares with notifications,
//! notifications opens it and e-mails it once, in the chain's language; the code from the
//! e-mail activates the account. A retry, a redelivery and a rebuild e-mail nobody twice;
//! a wrong key or an expired code e-mails nobody and stops nothing.

use std::time::Duration;

use breakroom_directory::invite_delivery::InviteDeliveryKey;
use breakroom_events::{event_store::stream_name, projector};
use breakroom_identity::testing::role_in;
use breakroom_notifications::projection::invites::{INVITES, Invites};
use breakroom_proto::identity::v1 as idpb;

use crate::{smtp::SmtpSink, support::*};

/// Identity and notifications with these delivery keys, notifications e-mailing to `sink`.
async fn platform(identity_key: &str, notifications_key: &str, sink: &SmtpSink) -> Platform {
    let (identity_key, notifications_key) = (
        InviteDeliveryKey::parse("identity", identity_key).unwrap(),
        InviteDeliveryKey::parse("notifications", notifications_key).unwrap(),
    );
    let url = format!("smtp://{}", sink.addr);
    Platform::spawn_all(
        |identity| identity.invite_delivery_key = Some(identity_key),
        None::<fn(&mut breakroom_scheduling::config::SchedulingConfig)>,
        |config| {
            config.smtp_url = Some(url);
            config.invite_delivery_key = Some(notifications_key);
        },
    )
    .await
}

fn invite_request(chain: &Chain, email: &str, request_id: &str) -> idpb::InviteUserRequest {
    idpb::InviteUserRequest {
        parent: format!("tenants/{}", chain.tenant),
        user: Some(idpb::User {
            display_name: "Anna de Vries".into(),
            email: email.into(),
            memberships: vec![role_in(&chain.store, idpb::Role::Employee)],
            ..Default::default()
        }),
        request_id: request_id.into(),
    }
}

/// Invites through identity's gRPC API as the chain's admin; returns the reply and the
/// stream sequence of its commit.
async fn invite(p: &Platform, chain: &Chain, email: &str, request_id: &str) -> (String, u64) {
    let reply = p
        .people
        .identity
        .clone()
        .invite_user(bearer(
            &chain.admin.token,
            invite_request(chain, email, request_id),
        ))
        .await
        .unwrap();
    let sequence = breakroom_testing::sequence(reply.metadata());
    (reply.into_inner().invite_code, sequence)
}

/// Waits until the invites projection has applied identity's stream up to `sequence`.
async fn invites_reached(p: &Platform, sequence: u64) {
    let app = p.instance.as_ref().unwrap().app.clone();
    let stream = stream_name(&p.config.kit.namespace, "identity");
    breakroom_testing::eventually(Duration::from_secs(20), || {
        let (app, stream) = (app.clone(), stream.clone());
        async move {
            let at = projector::checkpoint(app.pool(), INVITES, &stream)
                .await
                .unwrap();
            (at >= sequence).then_some(())
        }
    })
    .await;
}

async fn email_rows(p: &Platform, address: &str) -> i64 {
    let app = &p.instance.as_ref().unwrap().app;
    sqlx::query_scalar("SELECT count(*) FROM emails WHERE address = $1")
        .bind(address)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// The code after `label` in a message (`XXXX-XXXX-XXXX-XXXX`).
fn code_in(data: &str, label: &str) -> String {
    let start = data.find(label).expect("the code's label") + label.len();
    data[start..].chars().take(19).collect()
}

#[tokio::test]
async fn an_invited_person_is_e_mailed_once_a_code_that_activates_their_account() {
    let sink = SmtpSink::start().await;
    let key = InviteDeliveryKey::generate();
    let p = platform(&key, &key, &sink).await;
    let chain = p.chain("invmail").await;
    let t = chain.tenant.clone();
    let ann = "ann@invmail.example";
    let request_id = uuid();

    let (issued, _) = invite(&p, &chain, ann, &request_id).await;
    let mail = breakroom_testing::eventually(Duration::from_secs(20), || async {
        sink.to(ann).into_iter().next()
    })
    .await;
    // The chain's locale is nl-NL (identity's test fixture).
    assert!(
        mail.data
            .contains("Subject: Je uitnodiging voor Breakroom van Chain invmail"),
        "{}",
        mail.data
    );
    assert!(mail.data.contains("Hallo Anna de Vries,"), "{}", mail.data);
    assert!(mail.data.contains("Account activeren"), "{}", mail.data);
    let code = code_in(&mail.data, "Je activatiecode: ");
    assert_eq!(code, issued);
    // Once sent, the outbox no longer holds the code.
    let app = p.instance.as_ref().unwrap().app.clone();
    let bodies: Vec<String> = breakroom_testing::eventually(Duration::from_secs(20), || async {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT state, body FROM emails WHERE address = $1")
                .bind(ann)
                .fetch_all(app.pool())
                .await
                .unwrap();
        rows.iter()
            .all(|(state, _)| state == "sent")
            .then(|| rows.into_iter().map(|(_, body)| body).collect())
    })
    .await;
    assert!(bodies.iter().all(|b| !b.contains(&issued)), "{bodies:?}");

    // A retried InviteUser answers the same code and e-mails nothing new; neither does
    // the projection's rebuild from the start of identity's stream (a redelivery of
    // every invite).
    let (again, sequence) = invite(&p, &chain, ann, &request_id).await;
    assert_eq!(again, issued);
    let key = p.config.invite_delivery_key.clone().unwrap();
    projector::rebuild(
        app.pool(),
        &p.config.kit.namespace,
        &Invites::new(app.clone(), key),
    )
    .await
    .unwrap();
    // A second person's e-mail is the barrier: once it is sent, Ann's invite was replayed.
    let (_, bob_sequence) = invite(&p, &chain, "bob@invmail.example", &uuid()).await;
    invites_reached(&p, sequence.max(bob_sequence)).await;
    breakroom_testing::eventually(Duration::from_secs(20), || async {
        sink.to("bob@invmail.example").into_iter().next()
    })
    .await;
    assert_eq!(sink.to(ann).len(), 1);
    assert_eq!(email_rows(&p, ann).await, 1);

    // The e-mailed code activates Ann's account.
    let user = p.people.activate(&t, &code).await;
    assert_eq!(user.state, idpb::user::State::Active as i32);
    assert_eq!(user.email, ann);
}

#[tokio::test]
async fn a_code_sealed_with_another_key_is_not_e_mailed_and_nothing_stops() {
    let sink = SmtpSink::start().await;
    let p = platform(
        &InviteDeliveryKey::generate(),
        &InviteDeliveryKey::generate(),
        &sink,
    )
    .await;
    let chain = p.chain("wrongkey").await;
    let ann = "ann@wrongkey.example";
    let (_, first) = invite(&p, &chain, ann, &uuid()).await;
    let (_, second) = invite(&p, &chain, "bob@wrongkey.example", &uuid()).await;
    // The projection moved past both invites (no retry loop, no poison) and wrote nothing.
    invites_reached(&p, first.max(second)).await;
    assert_eq!(email_rows(&p, ann).await, 0);
    assert_eq!(email_rows(&p, "bob@wrongkey.example").await, 0);
    let app = &p.instance.as_ref().unwrap().app;
    let poisoned = projector::failed_events(app.pool(), INVITES).await.unwrap();
    assert!(poisoned.is_empty(), "{poisoned:?}");
    // The service still answers.
    p.client()
        .get_vapid_public_key(breakroom_proto::notifications::v1::GetVapidPublicKeyRequest {})
        .await
        .unwrap();
    assert!(sink.to(ann).is_empty());
}

#[tokio::test]
async fn an_invite_whose_code_has_expired_is_not_e_mailed() {
    let sink = SmtpSink::start().await;
    let key = InviteDeliveryKey::generate();
    let p = platform(&key, &key, &sink).await;
    let chain = p.chain("expired").await;
    // Notifications reads the invite after its code's 14 days.
    p.clock.advance(Duration::from_secs(15 * 24 * 3600));
    let ann = "ann@expired.example";
    let (_, sequence) = invite(&p, &chain, ann, &uuid()).await;
    invites_reached(&p, sequence).await;
    assert_eq!(email_rows(&p, ann).await, 0);
}
