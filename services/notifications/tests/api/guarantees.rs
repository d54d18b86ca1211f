//! The delivery guarantees under replicas and crashes: one push per (notification,
//! device) with two replicas running at once, and after a replica dies mid-fan-out and
//! another takes over. Devices are registered straight on the NOTIFICATIONS stream (the
//! same `DeviceRegistered` events RegisterDevice writes) so that hundreds are quick.

use std::{collections::HashMap, sync::Arc, time::Duration};

use breakroom_events::{envelope::CommandMeta, event_store::EventStore, repository::Repository};
use breakroom_notifications::domain::device::{Device, DeviceCommand, device_id};
use breakroom_proto::{feed::v1 as feed, notifications::v1::DeviceRegistered};
use breakroom_testing::eventually;

use crate::support::*;

/// Registers one device each for `n` readers (ids `r<i>`) and waits until routing can see them.
async fn readers(p: &Platform, tenant: &str, n: usize) -> (Vec<String>, Vec<TestDevice>) {
    let store = EventStore::new(
        async_nats::jetstream::new(p.env.nats().await),
        p.config.kit.namespace.clone(),
        "notifications",
        p.config.kit.duplicate_window,
    );
    let devices: Arc<Repository<Device>> = Repository::new(store, 1000);
    let mut ids = Vec::new();
    let mut phones = Vec::new();
    for i in 0..n {
        let user = format!("r{i:05}");
        let phone = p.push.device();
        let registration = DeviceRegistered {
            user_id: user.clone(),
            endpoint: phone.endpoint.clone(),
            p256dh: base64_decode(&phone.p256dh),
            auth: base64_decode(&phone.auth),
            display_name: String::new(),
        };
        let meta = CommandMeta::new(format!("tenants/{tenant}/users/{user}"))
            .with_request_id(Some(uuid()));
        devices
            .execute(
                tenant,
                &device_id(&phone.endpoint),
                &meta,
                &DeviceCommand::Register(registration),
            )
            .await
            .unwrap();
        ids.push(user);
        phones.push(phone);
    }
    let pool = p.instance.as_ref().unwrap().app.pool().clone();
    eventually(Duration::from_secs(20), || {
        let pool = pool.clone();
        async move {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM devices WHERE tenant = $1")
                .bind(tenant)
                .fetch_one(&pool)
                .await
                .unwrap();
            (count as usize >= n).then_some(())
        }
    })
    .await;
    (ids, phones)
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

async fn announce(p: &Platform, tenant: &str, post: &str, readers: &[String]) {
    p.feed
        .post(
            tenant,
            post,
            "hq",
            "Chain news",
            &[],
            Some(feed::Announcement::default()),
        )
        .await;
    for (i, chunk) in readers.chunks(100).enumerate() {
        let chunks = readers.len().div_ceil(100) as i32;
        p.feed
            .audience(tenant, post, "hq", i as i32, chunks, chunk)
            .await;
    }
}

/// Waits until every phone accepted `n` pushes.
async fn all_reached(p: &Platform, phones: &[TestDevice], n: usize) {
    eventually(Duration::from_secs(60), || async {
        phones
            .iter()
            .all(|d| p.push.delivered(d).len() >= n)
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn two_replicas_at_once_push_each_notification_to_each_device_exactly_once_and_only_in_its_tenant()
 {
    let mut p = Platform::spawn().await;
    let second = p.start().await;
    // The same user ids in another chain: nothing of chain-r may reach them.
    let (_, elsewhere) = readers(&p, "chain-x", 5).await;
    let (ids, phones) = readers(&p, "chain-r", 200).await;
    announce(&p, "chain-r", "a1", &ids).await;
    announce(&p, "chain-r", "a2", &ids).await;
    all_reached(&p, &phones, 2).await;
    // The second announcement arrived everywhere after the first: had anything been
    // pushed twice, it would be here now.
    for phone in &phones {
        let got = p.push.received(phone);
        let seen: Vec<(String, String, Duration)> = got
            .iter()
            .map(|r| (r.field("post_id"), r.key(), r.at - got[0].at))
            .collect();
        assert_eq!(got.len(), 2, "{seen:?}");
        assert_ne!(got[0].key(), got[1].key());
    }
    assert!(
        elsewhere.iter().all(|d| p.push.received(d).is_empty()),
        "tenant isolation"
    );
    second.stop().await;
    p.instance.take().unwrap().stop().await;
}

#[tokio::test]
async fn a_replica_killed_mid_fan_out_leaves_every_recipient_exactly_one_notification() {
    let mut p = Platform::spawn().await;
    let (ids, phones) = readers(&p, "chain-k", 300).await;
    announce(&p, "chain-k", "a1", &ids).await;
    // Kill the worker mid-send (its claims stay `sending` with a lease) and stop serving.
    eventually(Duration::from_secs(30), || async {
        (p.push.all_delivered().len() >= 40).then_some(())
    })
    .await;
    let dead = p.instance.take().unwrap();
    dead.worker.abort();
    dead.running.shutdown.cancel();
    let _ = dead.running.task.await;
    let at_kill = p.push.all_delivered().len();
    assert!(
        at_kill < 300,
        "the kill came mid-fan-out ({at_kill} delivered)"
    );
    // A new replica takes over: claims of the dead one are retaken after their lease.
    let next = p.start().await;
    all_reached(&p, &phones, 1).await;
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut repeats = 0;
    for phone in &phones {
        let got = p.push.delivered(phone);
        let mut distinct: Vec<String> = got.iter().map(|r| r.key()).collect();
        distinct.dedup();
        assert_eq!(distinct.len(), 1, "one notification per recipient: {got:?}");
        repeats += got.len() - 1;
        *keys.entry(distinct[0].clone()).or_default() += 1;
    }
    assert_eq!(keys.len(), 300);
    // A push in flight when the process died may have reached the push service without
    // its answer being recorded; it is resent under the same key (the app drops it by
    // key). Never more than what was in flight.
    assert!(
        repeats <= p.config.delivery.concurrency * 2,
        "{repeats} repeats"
    );
    println!(
        "killed after {at_kill} pushes; {repeats} in-flight pushes were resent under their key"
    );
    next.stop().await;
}
