//! Quiet hours and off-shift quiet with the service clock moved forward: held pushes are
//! released as one digest; urgent ones always go through.

use std::time::Duration;

use breakroom_proto::notifications::v1 as pb;

use crate::support::*;

/// `HH:MM` in Amsterdam, `offset_minutes` from now.
/// Quiet hours from an hour ago to two hours from now: anything non-urgent is held.
fn quiet_now() -> pb::Preferences {
    pb::Preferences {
        quiet_hours: Some(pb::QuietHours {
            enabled: true,
            start: local(-60),
            end: local(120),
        }),
        ..Default::default()
    }
}

fn local(offset_minutes: i64) -> String {
    let now = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(offset_minutes);
    let zoned = now.to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap());
    format!("{:02}:{:02}", zoned.hour(), zoned.minute())
}

#[tokio::test]
async fn quiet_hours_hold_pushes_then_deliver_one_digest_while_urgent_ones_go_through() {
    let p = Platform::spawn().await;
    let chain = p.chain("quiet").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@quiet.example").await;
    let bob = p.employee(&chain, "bob@quiet.example").await;
    let phone = p.device(&t, &ann).await;
    p.prefer(&t, &ann, quiet_now()).await;
    p.feed
        .post(&t, "p1", &bob.id, "one", &[&ann.id], None)
        .await;
    p.feed
        .post(&t, "p2", &bob.id, "two", &[&ann.id], None)
        .await;
    p.wait_inbox(&t, &ann, 2).await;
    // An urgent announcement goes through at once; the mentions are held.
    p.feed
        .post(
            &t,
            "p3",
            &chain.admin.id,
            "Store closed",
            &[],
            Some(breakroom_proto::feed::v1::Announcement {
                urgent: true,
                ..Default::default()
            }),
        )
        .await;
    p.feed
        .audience(
            &t,
            "p3",
            &chain.admin.id,
            0,
            1,
            std::slice::from_ref(&ann.id),
        )
        .await;
    // The mentions were routed (held) before the announcement on the same stream.
    let got = p.push.wait_for(&phone, 1).await;
    assert_eq!(got[0].kind(), "KIND_ANNOUNCEMENT");
    assert_eq!(
        p.push.received(&phone).len(),
        1,
        "mentions held in quiet hours"
    );
    // Past the end of quiet hours: one digest for both.
    p.settled().await;
    p.clock.advance(Duration::from_secs(3 * 3600));
    let got = p.push.wait_for(&phone, 2).await;
    assert_eq!(got[1].kind(), "KIND_DIGEST");
    assert_eq!(got[1].field("count"), "2");
    // The held pushes were marked digested with the digest's creation: a later push is
    // the next thing the phone sees.
    p.feed
        .post(
            &t,
            "p4",
            &chain.admin.id,
            "Later",
            &[],
            Some(breakroom_proto::feed::v1::Announcement {
                urgent: true,
                ..Default::default()
            }),
        )
        .await;
    p.feed
        .audience(
            &t,
            "p4",
            &chain.admin.id,
            0,
            1,
            std::slice::from_ref(&ann.id),
        )
        .await;
    let got = p.push.wait_for(&phone, 3).await;
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].kind(), "KIND_ANNOUNCEMENT");
}

#[tokio::test]
async fn off_shift_a_push_waits_for_the_chosen_digest_time() {
    let p = Platform::spawn().await;
    let chain = p.chain("offshift").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@offshift.example").await;
    let bob = p.employee(&chain, "bob@offshift.example").await;
    let phone = p.device(&t, &ann).await;
    p.prefer(
        &t,
        &ann,
        pb::Preferences {
            off_shift_quiet: true,
            digest_time: local(90),
            ..Default::default()
        },
    )
    .await;
    p.feed
        .post(&t, "p1", &bob.id, "one", &[&ann.id], None)
        .await;
    p.wait_inbox(&t, &ann, 1).await;
    // A test push (urgent: the person asked for it) goes through; the mention does not.
    p.client()
        .send_test_notification(bearer(
            &ann.token,
            pb::SendTestNotificationRequest {
                parent: format!("tenants/{t}/users/{}", ann.id),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let got = p.push.wait_for(&phone, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind(), "KIND_TEST", "the mention is held off shift");
    p.settled().await;
    p.clock.advance(Duration::from_secs(2 * 3600));
    let got = p.push.wait_for(&phone, 2).await;
    assert_eq!(
        got[1].kind(),
        "KIND_MENTION",
        "a single held push goes out as it is"
    );
}

#[tokio::test]
async fn a_digest_is_also_e_mailed_in_the_chains_language() {
    let sink = crate::smtp::SmtpSink::start().await;
    let url = format!("smtp://{}", sink.addr);
    let p = Platform::spawn_with(false, |config| config.smtp_url = Some(url)).await;
    let chain = p.chain("mail").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@mail.example").await;
    let bob = p.employee(&chain, "bob@mail.example").await;
    let phone = p.device(&t, &ann).await;
    p.prefer(&t, &ann, quiet_now()).await;
    p.feed
        .post(&t, "p1", &bob.id, "Shelf plan", &[&ann.id], None)
        .await;
    p.feed
        .post(&t, "p2", &bob.id, "Party", &[&ann.id], None)
        .await;
    p.wait_inbox(&t, &ann, 2).await;
    p.settled().await;
    p.clock.advance(Duration::from_secs(3 * 3600));
    assert_eq!(p.push.wait_for(&phone, 1).await[0].kind(), "KIND_DIGEST");
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].to, vec![ann.email.clone()]);
    // The chain's locale is nl-NL (identity's test fixture).
    assert!(
        mails[0].data.contains("Je hebt 2 nieuwe meldingen"),
        "{}",
        mails[0].data
    );
    assert!(
        mails[0].data.contains("Je bent genoemd in"),
        "{}",
        mails[0].data
    );
}

#[tokio::test]
async fn acknowledging_drops_the_held_announcement_and_reminder() {
    let p = Platform::spawn().await;
    let chain = p.chain("ackdrop").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@ackdrop.example").await;
    let phone = p.device(&t, &ann).await;
    p.prefer(&t, &ann, quiet_now()).await;
    let hq = chain.admin.id.clone();
    let readers = [ann.id.clone()];
    p.feed
        .post(&t, "p1", &hq, "Must read", &[], Some(Default::default()))
        .await;
    p.feed.audience(&t, "p1", &hq, 0, 1, &readers).await;
    p.feed.reminder(&t, "p1", "r1", &hq, &readers).await;
    p.wait_inbox(&t, &ann, 2).await;
    p.feed.acknowledge(&t, "p1", &ann.id).await;
    let pool = p.instance.as_ref().unwrap().app.pool().clone();
    breakroom_testing::eventually(Duration::from_secs(10), || {
        let (pool, user) = (pool.clone(), ann.id.clone());
        async move {
            let states: Vec<String> =
                sqlx::query_scalar("SELECT state FROM deliveries WHERE user_id = $1")
                    .bind(user)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            (states == ["dropped", "dropped"]).then_some(())
        }
    })
    .await;
    let inbox = p.inbox(&t, &ann).await;
    assert!(inbox.iter().all(|n| n.read_time.is_some()), "{inbox:?}");
    // Past quiet hours nothing is released: the next push is the test push.
    p.settled().await;
    p.clock.advance(Duration::from_secs(3 * 3600));
    p.client()
        .send_test_notification(bearer(
            &ann.token,
            pb::SendTestNotificationRequest {
                parent: format!("tenants/{t}/users/{}", ann.id),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let got = p.push.wait_for(&phone, 1).await;
    assert_eq!(got[0].kind(), "KIND_TEST");
}
