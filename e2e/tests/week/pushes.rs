//! Every person's phone, as a Web Push subscription at a local push service that decrypts
//! each push with the device's own key (the notifications suite's push service, shared).

use std::collections::{BTreeMap, BTreeSet};

use breakroom_proto::notifications::v1::{
    self as pb, notification_service_client::NotificationServiceClient,
};
use breakroom_testing::bearer;
use tonic::transport::Channel;

use crate::{
    chain::{Chain, Person},
    push::{PushService, Received, TestDevice},
};

/// Everyone of the chain with one registered device.
pub struct Phones {
    /// The push service every device's endpoint points at.
    pub push: PushService,
    /// Device per person (user resource name).
    pub devices: BTreeMap<String, TestDevice>,
}

impl Phones {
    /// Registers a device for every person of the chain (with their own token).
    pub async fn register(notifications: &Channel, chain: &Chain) -> Self {
        let push = PushService::start().await;
        let mut devices = BTreeMap::new();
        for person in people(chain) {
            let device = push.device();
            let mut request = bearer(
                &person.token,
                pb::RegisterDeviceRequest {
                    parent: person.name.clone(),
                    device: Some(pb::Device {
                        endpoint: device.endpoint.clone(),
                        p256dh: device.p256dh.clone(),
                        auth: device.auth.clone(),
                        display_name: "Phone".into(),
                        ..Default::default()
                    }),
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            );
            request
                .metadata_mut()
                .insert("breakroom-min-sequence", chain.position.parse().unwrap());
            NotificationServiceClient::new(notifications.clone())
                .register_device(request)
                .await
                .unwrap();
            devices.insert(person.name.clone(), device);
        }
        Self { push, devices }
    }

    /// Pushes a person's phone accepted, of one kind (`KIND_ANNOUNCEMENT`).
    pub fn of_kind(&self, person: &str, kind: &str) -> Vec<Received> {
        self.push
            .delivered(&self.devices[person])
            .into_iter()
            .filter(|r| r.kind() == kind)
            .collect()
    }

    /// Waits (bounded) until every person in `who` has a push of `kind`.
    pub async fn wait_all(&self, who: &BTreeSet<String>, kind: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let missing: Vec<_> = who
                .iter()
                .filter(|p| self.of_kind(p, kind).is_empty())
                .collect();
            if missing.is_empty() {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} people never got a {kind} push: {missing:?}",
                missing.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Every accepted push carries a key of its own: nothing was pushed twice.
    pub fn assert_each_push_once(&self) {
        let all = self.push.all_delivered();
        let keys: BTreeSet<_> = all.iter().map(|r| (r.device.clone(), r.key())).collect();
        assert_eq!(keys.len(), all.len(), "a push arrived twice on one device");
    }
}

/// The chain's people: HQ, managers and employees.
pub fn people(chain: &Chain) -> Vec<&Person> {
    std::iter::once(&chain.hq)
        .chain(
            chain
                .stores
                .iter()
                .flat_map(|s| std::iter::once(&s.manager).chain(&s.employees)),
        )
        .collect()
}

/// A person's inbox, whole.
pub async fn inbox(
    notifications: &Channel,
    person: &Person,
    positions: &str,
) -> Vec<pb::Notification> {
    let mut request = bearer(
        &person.token,
        pb::ListNotificationsRequest {
            parent: person.name.clone(),
            page_size: 1000,
            ..Default::default()
        },
    );
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", positions.parse().unwrap());
    NotificationServiceClient::new(notifications.clone())
        .list_notifications(request)
        .await
        .unwrap()
        .into_inner()
        .notifications
}

/// Sets off-shift quiet for a person: outside their shifts non-urgent pushes are held.
pub async fn quiet_off_shift(notifications: &Channel, person: &Person, positions: &str) {
    let mut request = bearer(
        &person.token,
        pb::UpdatePreferencesRequest {
            preferences: Some(pb::Preferences {
                name: format!("{}/preferences", person.name),
                off_shift_quiet: true,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["off_shift_quiet".into()],
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        },
    );
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", positions.parse().unwrap());
    NotificationServiceClient::new(notifications.clone())
        .update_preferences(request)
        .await
        .unwrap();
}
