//! Devices, preferences and the test notification: registration is idempotent per
//! endpoint, pushes arrive encrypted for the device, input errors are precise.

use std::time::Duration;

use breakroom_proto::notifications::v1 as pb;
use breakroom_testing::{reason, violated_fields};

use crate::support::*;

#[tokio::test]
async fn the_same_endpoint_registered_twice_is_one_device_and_a_test_push_arrives_decryptable() {
    let p = Platform::spawn().await;
    let chain = p.chain("devices").await;
    let ann = p.employee(&chain, "ann@devices.example").await;
    let key = p
        .client()
        .get_vapid_public_key(pb::GetVapidPublicKeyRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(key.public_key, p.vapid.public_key());
    let device = p.device(&chain.tenant, &ann).await;
    // The same subscription again, with another request id: still one device.
    let again = pb::RegisterDeviceRequest {
        parent: format!("tenants/{}/users/{}", chain.tenant, ann.id),
        device: Some(pb::Device {
            endpoint: device.endpoint.clone(),
            p256dh: device.p256dh.clone(),
            auth: device.auth.clone(),
            ..Default::default()
        }),
        request_id: uuid(),
    };
    p.client()
        .register_device(bearer(&ann.token, again))
        .await
        .unwrap();
    let listed = p
        .client()
        .list_devices(bearer(
            &ann.token,
            pb::ListDevicesRequest {
                parent: format!("tenants/{}/users/{}", chain.tenant, ann.id),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.devices.len(), 1);
    assert_eq!(listed.devices[0].endpoint, device.endpoint);
    assert!(listed.devices[0].auth.is_empty(), "keys are input only");

    let sent = p
        .client()
        .send_test_notification(bearer(
            &ann.token,
            pb::SendTestNotificationRequest {
                parent: format!("tenants/{}/users/{}", chain.tenant, ann.id),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let pushes = p.push.wait_for(&device, 1).await;
    assert_eq!(pushes[0].kind(), "KIND_TEST");
    assert!(pushes[0].vapid, "VAPID authorization header");
    assert_eq!(pushes[0].payload["id"], id_of(&sent.notification));
    let inbox = p.wait_inbox(&chain.tenant, &ann, 1).await;
    assert_eq!(inbox[0].name, sent.notification);
    assert_eq!(inbox[0].kind, pb::Kind::Test as i32);

    // Marking it read: the unread count drops to zero.
    p.client()
        .mark_notifications_read(bearer(
            &ann.token,
            pb::MarkNotificationsReadRequest {
                parent: format!("tenants/{}/users/{}", chain.tenant, ann.id),
                names: vec![sent.notification.clone()],
                all: false,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    breakroom_testing::eventually(std::time::Duration::from_secs(10), || async {
        let count = p
            .client()
            .get_unread_count(bearer(
                &ann.token,
                pb::GetUnreadCountRequest {
                    parent: format!("tenants/{}/users/{}", chain.tenant, ann.id),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .unread_count;
        (count == 0).then_some(())
    })
    .await;

    // Unregistering: no device left; a second time, NOT_FOUND.
    let name = listed.devices[0].name.clone();
    let unregister = |request_id: String| pb::UnregisterDeviceRequest {
        name: name.clone(),
        request_id,
    };
    p.client()
        .unregister_device(bearer(&ann.token, unregister(uuid())))
        .await
        .unwrap();
    let again = p
        .client()
        .unregister_device(bearer(&ann.token, unregister(uuid())))
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn bad_input_and_other_peoples_things_are_refused_precisely() {
    let p = Platform::spawn().await;
    let chain = p.chain("strict").await;
    let ann = p.employee(&chain, "ann@strict.example").await;
    let bob = p.employee(&chain, "bob@strict.example").await;
    let other = p.chain("other").await;
    let parent = format!("tenants/{}/users/{}", chain.tenant, ann.id);
    let register = |parent: String, device: pb::Device| pb::RegisterDeviceRequest {
        parent,
        device: Some(device),
        request_id: uuid(),
    };
    let bad = pb::Device {
        endpoint: "ftp://push.example/x".into(),
        p256dh: "not-a-key".into(),
        auth: "AAAA".into(),
        ..Default::default()
    };
    let status = p
        .once_known(|| {
            let mut client = p.client();
            let request = p
                .people
                .with_token(bearer(&ann.token, register(parent.clone(), bad.clone())));
            async move {
                match client.register_device(request).await {
                    Err(s) if s.code() == tonic::Code::InvalidArgument => Ok(s),
                    Err(s) => Err(s),
                    Ok(_) => panic!("accepted a bad subscription"),
                }
            }
        })
        .await;
    assert_eq!(
        violated_fields(&status),
        ["device.endpoint", "device.p256dh", "device.auth"]
    );

    // Bob may not register for Ann; another chain's admin sees nothing of this chain.
    let device = p.push.device();
    let good = pb::Device {
        endpoint: device.endpoint.clone(),
        p256dh: device.p256dh.clone(),
        auth: device.auth.clone(),
        ..Default::default()
    };
    // A NUL in a device's name was committed, then skipped by every projection as poison:
    // now it is refused, naming the field, before anything is recorded.
    let nul = p
        .client()
        .register_device(p.people.with_token(bearer(
            &ann.token,
            register(
                parent.clone(),
                pb::Device {
                    display_name: "Pixel\0 8".into(),
                    ..good.clone()
                },
            ),
        )))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&nul), ["device.display_name"]);
    let denied = p
        .client()
        .register_device(
            p.people
                .with_token(bearer(&bob.token, register(parent.clone(), good.clone()))),
        )
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    assert_eq!(reason(&denied), "NOT_YOURS");
    let hidden = p
        .client()
        .list_notifications(p.people.with_token(bearer(
            &other.admin.token,
            pb::ListNotificationsRequest {
                parent: parent.clone(),
                ..Default::default()
            },
        )))
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), tonic::Code::NotFound);

    // Preferences: a bad time and an unknown mask field, both named.
    let status = p
        .client()
        .update_preferences(bearer(
            &ann.token,
            pb::UpdatePreferencesRequest {
                preferences: Some(pb::Preferences {
                    name: format!("{parent}/preferences"),
                    quiet_hours: Some(pb::QuietHours {
                        enabled: true,
                        start: "25:00".into(),
                        end: "07:00".into(),
                    }),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["quiet_hours".into(), "colour".into()],
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["update_mask", "preferences.quiet_hours.start"]
    );
    // Mark read: neither names nor all.
    let status = p
        .client()
        .mark_notifications_read(bearer(
            &ann.token,
            pb::MarkNotificationsReadRequest {
                parent: parent.clone(),
                request_id: uuid(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["names"]);
    // Failed deliveries are for HQ admins.
    let denied = p
        .client()
        .list_failed_deliveries(bearer(
            &ann.token,
            pb::ListFailedDeliveriesRequest {
                parent: format!("tenants/{}", chain.tenant),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&denied), "NOT_AN_HQ_ADMIN");
}

#[tokio::test]
async fn preferences_start_from_the_defaults_and_keep_what_the_mask_does_not_name() {
    let p = Platform::spawn().await;
    let chain = p.chain("prefs").await;
    let ann = p.employee(&chain, "ann@prefs.example").await;
    let name = format!("tenants/{}/users/{}/preferences", chain.tenant, ann.id);
    let get = || {
        let mut client = p.client();
        let request = p.people.with_token(bearer(
            &ann.token,
            pb::GetPreferencesRequest { name: name.clone() },
        ));
        async move { client.get_preferences(request).await }
    };
    let defaults = p.once_known(get).await.into_inner();
    assert_eq!(defaults.time_zone, "Europe/Amsterdam");
    assert!(!defaults.off_shift_quiet);
    assert!(defaults.categories.iter().all(|c| c.push));
    p.prefer(
        &chain.tenant,
        &ann,
        pb::Preferences {
            off_shift_quiet: true,
            digest_time: "18:30".into(),
            quiet_hours: Some(pb::QuietHours {
                enabled: true,
                start: "22:00".into(),
                end: "07:00".into(),
            }),
            categories: vec![pb::CategoryPreference {
                category: pb::Category::Social as i32,
                push: false,
                email: true,
            }],
            ..Default::default()
        },
    )
    .await;
    let changed = p
        .client()
        .update_preferences(bearer(
            &ann.token,
            pb::UpdatePreferencesRequest {
                preferences: Some(pb::Preferences {
                    name: name.clone(),
                    off_shift_quiet: false,
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["off_shift_quiet".into()],
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!changed.off_shift_quiet);
    assert_eq!(changed.digest_time, "18:30");
    let quiet = changed.quiet_hours.unwrap();
    assert_eq!(
        (quiet.start.as_str(), quiet.end.as_str()),
        ("22:00", "07:00")
    );
    let social = changed
        .categories
        .iter()
        .find(|c| c.category == pb::Category::Social as i32)
        .unwrap();
    assert!(!social.push);
}

/// Callers are kept in memory between calls (`breakroom_directory::callers`); an offboarding
/// must still end access at the next call once the directory has it, without the caller
/// sending identity's consistency token (which reads the caller afresh).
#[tokio::test]
async fn an_offboarded_person_kept_from_earlier_calls_is_refused_once_the_directory_has_it() {
    let p = Platform::spawn().await;
    let chain = p.chain("kept").await;
    let ann = p.employee(&chain, "ann@kept.example").await;
    let unread = || async {
        p.client()
            .get_unread_count(bearer(
                &ann.token,
                pb::GetUnreadCountRequest {
                    parent: format!("tenants/{}/users/{}", chain.tenant, ann.id),
                },
            ))
            .await
    };
    // Known to notifications' directory, then kept by a few calls.
    p.once_known(unread).await;
    for _ in 0..3 {
        unread().await.unwrap();
    }
    p.people.offboard(&ann, &chain.admin.token).await;
    // The directory applies the deactivation within moments; from then on, every call
    // is refused although the caller was kept (the cache's time to live is a minute).
    let refused =
        breakroom_testing::eventually(Duration::from_secs(5), || async { unread().await.err() })
            .await;
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    assert_eq!(
        unread().await.unwrap_err().code(),
        tonic::Code::Unauthenticated
    );
}
