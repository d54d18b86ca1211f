//! Delivery faults against the local push service: a gone subscription removes the
//! device; 429 (with Retry-After) and 500 are retried with backoff under the same
//! idempotency key, and a push that keeps failing is dead-lettered where HQ admins see it.

use std::time::Duration;

use breakroom_proto::notifications::v1 as pb;
use breakroom_testing::eventually;

use crate::support::*;

async fn test_push(p: &Platform, tenant: &str, person: &Person) -> String {
    p.client()
        .send_test_notification(bearer(
            &person.token,
            pb::SendTestNotificationRequest {
                parent: format!("tenants/{tenant}/users/{}", person.id),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .notification
}

async fn devices(p: &Platform, tenant: &str, person: &Person) -> Vec<pb::Device> {
    p.client()
        .list_devices(bearer(
            &person.token,
            pb::ListDevicesRequest {
                parent: format!("tenants/{tenant}/users/{}", person.id),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .devices
}

#[tokio::test]
async fn a_gone_subscription_removes_the_device() {
    let p = Platform::spawn().await;
    let chain = p.chain("gone").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@gone.example").await;
    let old = p.device(&t, &ann).await;
    let new = p.device(&t, &ann).await;
    p.push.script(&old, &[(410, None)]);
    test_push(&p, &t, &ann).await;
    p.push.wait_for(&new, 1).await;
    eventually(Duration::from_secs(10), || async {
        let left = devices(&p, &t, &ann).await;
        (left.len() == 1 && left[0].endpoint == new.endpoint).then_some(())
    })
    .await;
    // The next push goes to the remaining device only.
    test_push(&p, &t, &ann).await;
    p.push.wait_for(&new, 2).await;
    assert_eq!(
        p.push.received(&old).len(),
        1,
        "the gone device was tried once"
    );
}

#[tokio::test]
async fn throttled_and_failing_pushes_are_retried_with_backoff_then_dead_lettered() {
    let p = Platform::spawn().await;
    let chain = p.chain("retry").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@retry.example").await;
    let throttled = p.device(&t, &ann).await;
    let broken = p.device(&t, &ann).await;
    p.push.script(&throttled, &[(429, Some(1)), (500, None)]);
    p.push
        .script(&broken, &[(500, None), (500, None), (500, None)]);
    test_push(&p, &t, &ann).await;
    let got = p.push.wait_for(&throttled, 1).await;
    let tries = p.push.received(&throttled);
    assert_eq!(tries.len(), 3, "429, 500, then 201");
    assert!(
        tries.iter().all(|r| r.key() == got[0].key()),
        "one idempotency key on every retry"
    );
    assert!(tries.iter().all(|r| r.topic == tries[0].topic));
    assert!(
        tries[1].at - tries[0].at >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    // The broken device: three attempts (the limit in tests), then a dead letter.
    let failed = eventually(Duration::from_secs(15), || async {
        let failed = p
            .client()
            .list_failed_deliveries(bearer(
                &chain.admin.token,
                pb::ListFailedDeliveriesRequest {
                    parent: format!("tenants/{t}"),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .failed_deliveries;
        (!failed.is_empty()).then_some(failed)
    })
    .await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 3);
    assert_eq!(failed[0].last_status_code, 500);
    assert_eq!(p.push.received(&broken).len(), 3);
    let gaps: Vec<Duration> = p
        .push
        .received(&broken)
        .windows(2)
        .map(|w| w[1].at - w[0].at)
        .collect();
    assert!(
        gaps[1] >= gaps[0] / 2 && gaps[0] >= Duration::from_millis(50),
        "backoff: {gaps:?}"
    );
    // Another chain sees none of it.
    let other = p.chain("retry-other").await;
    let hidden = p
        .client()
        .list_failed_deliveries(p.people.with_token(bearer(
            &other.admin.token,
            pb::ListFailedDeliveriesRequest {
                parent: format!("tenants/{t}"),
                ..Default::default()
            },
        )))
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn an_offboarded_person_gets_no_pushes() {
    let p = Platform::spawn().await;
    let chain = p.chain("offboard").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@offboard.example").await;
    let bob = p.employee(&chain, "bob@offboard.example").await;
    let (ann_phone, bob_phone) = (p.device(&t, &ann).await, p.device(&t, &bob).await);
    p.people.offboard(&ann, &chain.admin.token).await;
    // Once notifications' directory has seen the deactivation (its consistency token), an
    // announcement to both reaches Bob only.
    let mut request = bearer(
        &chain.admin.token,
        pb::ListFailedDeliveriesRequest {
            parent: format!("tenants/{t}"),
            ..Default::default()
        },
    );
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", p.people.token().parse().unwrap());
    p.client().list_failed_deliveries(request).await.unwrap();
    let readers = [ann.id.clone(), bob.id.clone()];
    p.feed
        .post(
            &t,
            "p1",
            &chain.admin.id,
            "News",
            &[],
            Some(Default::default()),
        )
        .await;
    p.feed
        .audience(&t, "p1", &chain.admin.id, 0, 1, &readers)
        .await;
    p.push.wait_for(&bob_phone, 1).await;
    // Bob's push and Ann's inbox item came from one routing transaction: Ann has the item
    // and no push was even queued for her.
    let pool = p.instance.as_ref().unwrap().app.pool().clone();
    let (queued, items): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM deliveries WHERE user_id = $1), \
                (SELECT count(*) FROM notifications WHERE user_id = $1)",
    )
    .bind(&ann.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((queued, items), (0, 1));
    assert!(p.push.received(&ann_phone).is_empty());
}
