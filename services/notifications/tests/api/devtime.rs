//! The development time offset (`BREAKROOM_DEV_TIME_OFFSET`): a service started with it
//! decides quiet hours and digests on the shifted clock, so an integrator sees tonight's
//! hold and tomorrow's digest without waiting for them.

use breakroom_notifications::config::dev_time_offset;
use breakroom_proto::{feed::v1::Announcement, notifications::v1 as pb};

use crate::support::*;

/// `HH:MM` in Amsterdam, `offset_minutes` from the real now.
fn local(offset_minutes: i64) -> String {
    let now = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(offset_minutes);
    let zoned = now.to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap());
    format!("{:02}:{:02}", zoned.hour(), zoned.minute())
}

/// Restarts notifications as `main` would with `BREAKROOM_DEV_TIME_OFFSET=offset`.
async fn restart_shifted(p: &mut Platform, offset: &str) {
    p.settled().await;
    if let Some(instance) = p.instance.take() {
        instance.stop().await;
    }
    p.config.dev_time_offset = dev_time_offset(Some(offset), p.config.delivery.allow_http).unwrap();
    p.instance = Some(p.start_as_main().await);
}

#[tokio::test]
async fn with_a_time_offset_quiet_hours_and_the_digest_follow_the_shifted_clock() {
    let mut p = Platform::spawn().await;
    let chain = p.chain("devtime").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@devtime.example").await;
    let bob = p.employee(&chain, "bob@devtime.example").await;
    let phone = p.device(&t, &ann).await;
    // Quiet from 11 to 13 hours from now: the real clock is far outside them.
    p.prefer(
        &t,
        &ann,
        pb::Preferences {
            quiet_hours: Some(pb::QuietHours {
                enabled: true,
                start: local(11 * 60),
                end: local(13 * 60),
            }),
            ..Default::default()
        },
    )
    .await;

    // Twelve hours ahead: inside them. The mentions are held; an urgent announcement
    // after them on the same stream goes through.
    restart_shifted(&mut p, "+12h").await;
    for post in ["p1", "p2"] {
        p.feed
            .post(&t, post, &bob.id, "tonight", &[&ann.id], None)
            .await;
    }
    p.wait_inbox(&t, &ann, 2).await;
    let urgent = Announcement {
        urgent: true,
        ..Default::default()
    };
    p.feed
        .post(&t, "p3", &chain.admin.id, "Closed", &[], Some(urgent))
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
    let got = p.push.wait_for(&phone, 1).await;
    assert_eq!(got[0].kind(), "KIND_ANNOUNCEMENT");
    assert_eq!(p.push.received(&phone).len(), 1, "the mentions are held");

    // Fourteen hours ahead: past the end of quiet hours, the held mentions are one digest.
    restart_shifted(&mut p, "14h").await;
    let got = p.push.wait_for(&phone, 2).await;
    assert_eq!(got[1].kind(), "KIND_DIGEST");
    assert_eq!(got[1].field("count"), "2");
}
