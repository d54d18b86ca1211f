//! Calendar feeds: a private URL that phones poll, parsed with a real iCalendar parser.

use std::time::Duration;

use breakroom_proto::scheduling::v1 as pb;
use breakroom_testing::eventually;

use crate::support::*;

fn events(body: &str) -> Vec<std::collections::HashMap<String, String>> {
    let calendar = ical::IcalParser::new(std::io::BufReader::new(body.as_bytes()))
        .next()
        .expect("one calendar")
        .expect("a valid iCalendar");
    calendar
        .events
        .into_iter()
        .map(|event| {
            event
                .properties
                .into_iter()
                .map(|p| (p.name, p.value.unwrap_or_default()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_feed_shows_published_shifts_raises_sequence_on_change_and_is_gone_when_revoked() {
    let p = Platform::spawn().await;
    let chain = p.chain("deen").await;
    let mia = p.employee(&chain, &chain.store, "mia@deen.example").await;
    let now =
        jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap());
    let day = now.date().checked_add(jiff::Span::new().days(2)).unwrap();
    let start = format!("{day}T14:00");
    let end = format!("{day}T18:30");
    let planned = p
        .shift(
            &chain.admin.token,
            &chain.store,
            pb::Shift {
                note: "Inventory; bring a pen, please".into(),
                ..shift(&mia.name, &start, &end)
            },
        )
        .await;
    p.scheduling
        .clone()
        .publish_roster(bearer(
            &chain.admin.token,
            pb::PublishRosterRequest {
                name: planned.roster.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let feed = p
        .scheduling
        .clone()
        .create_calendar_feed(bearer(
            &mia.token,
            pb::CreateCalendarFeedRequest {
                parent: mia.name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(feed.url.contains("/calendar/") && feed.url.ends_with(".ics"));

    let first = eventually(Duration::from_secs(10), || async {
        let (status, body) = p.http_get(&feed.url).await;
        (status == 200 && body.contains("BEGIN:VEVENT")).then_some(body)
    })
    .await;
    let parsed = events(&first);
    assert_eq!(parsed.len(), 1);
    let event = &parsed[0];
    let shift_id = planned.name.rsplit('/').next().unwrap();
    assert_eq!(event["UID"], format!("{shift_id}@breakroom"));
    assert_eq!(event["SEQUENCE"], "1");
    assert_eq!(event["STATUS"], "CONFIRMED");
    assert!(event["DTSTART"].ends_with('Z'));
    assert_eq!(event["DESCRIPTION"], "Inventory\\; bring a pen\\, please");

    // Moving the shift raises SEQUENCE under the same UID.
    let moved = pb::Shift {
        name: planned.name.clone(),
        ..shift(&mia.name, &format!("{day}T15:00"), &format!("{day}T19:00"))
    };
    p.shift(&chain.admin.token, &chain.store, moved).await;
    let second = eventually(Duration::from_secs(10), || async {
        let (_, body) = p.http_get(&feed.url).await;
        events(&body).into_iter().find(|e| e["SEQUENCE"] == "2")
    })
    .await;
    assert_eq!(second["UID"], event["UID"]);
    assert_ne!(second["DTSTART"], event["DTSTART"]);

    // Removing it cancels it in subscribed calendars.
    p.scheduling
        .clone()
        .delete_shift(bearer(
            &chain.admin.token,
            pb::DeleteShiftRequest {
                name: planned.name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let cancelled = eventually(Duration::from_secs(10), || async {
        let (_, body) = p.http_get(&feed.url).await;
        events(&body)
            .into_iter()
            .find(|e| e["STATUS"] == "CANCELLED")
    })
    .await;
    assert_eq!(cancelled["SEQUENCE"], "3");

    p.scheduling
        .clone()
        .revoke_calendar_feed(bearer(
            &mia.token,
            pb::RevokeCalendarFeedRequest {
                name: format!("{}/calendarFeed", mia.name),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    eventually(Duration::from_secs(10), || async {
        (p.http_get(&feed.url).await.0 == 404).then_some(())
    })
    .await;
    assert_eq!(p.http_get("/calendar/made-up-token.ics").await.0, 404);
    // Someone else cannot make or revoke Mia's feed.
    let other = p
        .scheduling
        .clone()
        .create_calendar_feed(bearer(
            &chain.admin.token,
            pb::CreateCalendarFeedRequest {
                parent: mia.name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(other.code(), tonic::Code::PermissionDenied);
}
