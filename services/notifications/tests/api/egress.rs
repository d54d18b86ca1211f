//! Push endpoints cannot reach inside: every spelling of an internal address or name is
//! refused at RegisterDevice, and a device whose endpoint points inside by the time a push
//! is sent (registered under the local-development switch, sent without it) is never
//! connected to and fails at once instead of being retried.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use breakroom_notifications::delivery::egress::connect::Lookup;
use breakroom_proto::notifications::v1 as pb;
use breakroom_testing::{eventually, violated_fields};

use crate::support::*;

/// Endpoints an employee must not be able to make the service call.
const INTERNAL: [&str; 26] = [
    "https://127.0.0.1/push",
    "https://127.1/push",
    "https://2130706433/push",
    "https://0x7f000001/push",
    "https://[::1]/push",
    "https://[::ffff:127.0.0.1]/push",
    "https://localhost/push",
    "https://push.localhost/push",
    "https://push.example@127.0.0.1/push",
    "https://push.example.com:443@127.0.0.1:8080/push",
    "https://169.254.169.254/latest/meta-data/",
    "https://2852039166/latest/meta-data/",
    "https://[::ffff:169.254.169.254]/latest/meta-data/",
    "https://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "https://[fe80::1]/push",
    "https://169.254.10.10/push",
    "https://10.0.0.5/push",
    "https://172.16.0.5/push",
    "https://172.31.255.1/push",
    "https://192.168.1.5/push",
    "https://100.64.0.5/push",
    "https://[fd00::5]/push",
    "https://[fc00::5]/push",
    "https://0.0.0.0/push",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://metadata/computeMetadata/v1/",
];

fn register(parent: &str, endpoint: &str, device: &TestDevice) -> pb::RegisterDeviceRequest {
    pb::RegisterDeviceRequest {
        parent: parent.to_owned(),
        device: Some(pb::Device {
            endpoint: endpoint.to_owned(),
            p256dh: device.p256dh.clone(),
            auth: device.auth.clone(),
            ..Default::default()
        }),
        request_id: uuid(),
    }
}

#[tokio::test]
async fn every_spelling_of_an_internal_push_endpoint_is_refused_at_registration() {
    let p = Platform::spawn_with(false, |c| c.delivery.allow_http = false).await;
    let chain = p.chain("ssrf").await;
    let ann = p.employee(&chain, "ann@ssrf.example").await;
    let parent = format!("tenants/{}/users/{}", chain.tenant, ann.id);
    let keys = p.push.device();
    // The fake push service itself is on loopback: refused without the switch.
    let local = keys.endpoint.clone();
    for endpoint in INTERNAL.iter().copied().chain([local.as_str()]) {
        let status = try_register(&p, &ann, register(&parent, endpoint, &keys))
            .await
            .unwrap_or_else(|| panic!("{endpoint} was accepted"));
        assert_eq!(violated_fields(&status), ["device.endpoint"], "{endpoint}");
    }
    // A public push service with a port of its own is fine, stored as browsers parse it.
    let device = p
        .client()
        .register_device(bearer(
            &ann.token,
            register(&parent, "https://FCM.googleapis.com:8443/fcm/send/x", &keys),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        device.endpoint,
        "https://fcm.googleapis.com:8443/fcm/send/x"
    );
}

#[tokio::test]
async fn an_allow_list_admits_only_the_push_services_named() {
    let p = Platform::spawn_with(false, |c| {
        c.delivery.allow_http = false;
        c.delivery.allowed_hosts = vec!["push.services.mozilla.com".into()];
    })
    .await;
    let chain = p.chain("allowlist").await;
    let ann = p.employee(&chain, "ann@allowlist.example").await;
    let parent = format!("tenants/{}/users/{}", chain.tenant, ann.id);
    let keys = p.push.device();
    let accepted = try_register(
        &p,
        &ann,
        register(
            &parent,
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            &keys,
        ),
    )
    .await;
    assert!(accepted.is_none());
    let refused = try_register(
        &p,
        &ann,
        register(&parent, "https://fcm.googleapis.com/fcm/send/x", &keys),
    )
    .await
    .unwrap();
    assert_eq!(violated_fields(&refused), ["device.endpoint"]);
}

/// Registers, once notifications knows `person`; the INVALID_ARGUMENT status, if refused.
async fn try_register(
    p: &Platform,
    person: &Person,
    request: pb::RegisterDeviceRequest,
) -> Option<tonic::Status> {
    p.once_known(|| {
        let mut client = p.client();
        let request = p.people.with_token(bearer(&person.token, request.clone()));
        async move {
            match client.register_device(request).await {
                Ok(_) => Ok(None),
                Err(s) if s.code() == tonic::Code::InvalidArgument => Ok(Some(s)),
                Err(s) => Err(s),
            }
        }
    })
    .await
}

/// A TCP listener on loopback that counts the connections it accepts.
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn a_device_pointing_inside_is_never_connected_to_and_fails_without_retries() {
    let mut p = Platform::spawn_with(false, |c| c.delivery.max_attempts = 8).await;
    let chain = p.chain("rebind").await;
    let t = chain.tenant.clone();
    let ann = p.employee(&chain, "ann@rebind.example").await;
    let parent = format!("tenants/{t}/users/{}", ann.id);
    let (port, accepted) = counting_listener().await;
    let keys = p.push.device();
    // Registered while the local-development switch was on (as a name whose DNS later
    // changed would have been): one by address, one by name.
    for endpoint in [
        format!("https://127.0.0.1:{port}/push/a"),
        format!("https://localhost:{port}/push/b"),
    ] {
        let refused = try_register(&p, &ann, register(&parent, &endpoint, &keys)).await;
        assert!(refused.is_none(), "{endpoint}: {refused:?}");
    }
    // The switch goes off; the devices stay.
    p.restart_with(|c| c.delivery.allow_http = false).await;
    eventually(Duration::from_secs(10), || async {
        let devices = p
            .client()
            .list_devices(bearer(
                &ann.token,
                pb::ListDevicesRequest {
                    parent: parent.clone(),
                    ..Default::default()
                },
            ))
            .await
            .ok()?
            .into_inner()
            .devices;
        (devices.len() == 2).then_some(())
    })
    .await;

    let failed = send_test_and_wait_failed(&p, &chain, &ann, 2).await;
    for delivery in &failed {
        assert_eq!(delivery.attempts, 1, "refused once, never retried");
        assert_eq!(delivery.last_status_code, 0);
        assert!(
            delivery.last_error.contains("loopback"),
            "{}",
            delivery.last_error
        );
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "no connection was opened"
    );
}

#[tokio::test]
async fn a_public_name_that_now_resolves_to_loopback_is_never_connected_to() {
    let mut p = Platform::spawn_with(false, |c| {
        c.delivery.allow_http = false;
        c.delivery.max_attempts = 8;
    })
    .await;
    // DNS now answers loopback for a name that was public at registration (rebinding).
    p.lookup = Lookup::Table(Arc::new(HashMap::from([(
        "push.example.com".to_owned(),
        vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
    )])));
    p.restart_with(|_| {}).await;
    let chain = p.chain("dns").await;
    let ann = p.employee(&chain, "ann@dns.example").await;
    let parent = format!("tenants/{}/users/{}", chain.tenant, ann.id);
    let (port, accepted) = counting_listener().await;
    let keys = p.push.device();
    let endpoint = format!("https://push.example.com:{port}/push/a");
    let refused = try_register(&p, &ann, register(&parent, &endpoint, &keys)).await;
    assert!(refused.is_none(), "a public name passes registration");
    eventually(Duration::from_secs(10), || async {
        let devices = p
            .client()
            .list_devices(bearer(
                &ann.token,
                pb::ListDevicesRequest {
                    parent: parent.clone(),
                    ..Default::default()
                },
            ))
            .await
            .ok()?
            .into_inner()
            .devices;
        (devices.len() == 1).then_some(())
    })
    .await;

    let failed = send_test_and_wait_failed(&p, &chain, &ann, 1).await;
    assert_eq!(failed[0].attempts, 1, "refused once, never retried");
    assert!(
        failed[0]
            .last_error
            .contains("push.example.com (::1) is a loopback address")
            || failed[0]
                .last_error
                .contains("push.example.com (127.0.0.1) is a loopback address"),
        "{}",
        failed[0].last_error
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "no connection was opened"
    );
}

/// Sends `person` a test notification and waits until `n` of the chain's pushes failed.
async fn send_test_and_wait_failed(
    p: &Platform,
    chain: &Chain,
    person: &Person,
    n: usize,
) -> Vec<pb::FailedDelivery> {
    p.client()
        .send_test_notification(bearer(
            &person.token,
            pb::SendTestNotificationRequest {
                parent: format!("tenants/{}/users/{}", chain.tenant, person.id),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    eventually(Duration::from_secs(20), || async {
        let failed = p
            .client()
            .list_failed_deliveries(bearer(
                &chain.admin.token,
                pb::ListFailedDeliveriesRequest {
                    parent: format!("tenants/{}", chain.tenant),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .failed_deliveries;
        (failed.len() == n).then_some(failed)
    })
    .await
}
