//! Command handling: who may act on what, then the aggregates through the kit's
//! repositories. Devices, preferences and inbox actions are events on notifications' own
//! stream; the projections turn them into rows (and test notifications into pushes).

use std::sync::Arc;

use breakroom_kit::{
    Error, Result,
    directory::{Caller, Directory},
    envelope::CommandMeta,
    repository::{Committed, Repository},
    server::Infra,
};
use breakroom_proto::notifications::v1::{DeviceRegistered, UnregisterReason};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::{
    clock::Clock,
    config::NotificationsConfig,
    delivery::{Provider, egress::Egress, vapid::Vapid},
    domain::{
        device::{Device, DeviceCommand, device_id},
        inbox::{Inbox, InboxCommand},
        preferences::{Preferences, Settings},
    },
    email::Mailer,
};

/// The command side and everything handlers and workers share.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: NotificationsConfig,
    pool: PgPool,
    directory: Directory,
    clock: Clock,
    /// Where push endpoints may point (checked at registration).
    egress: Egress,
    vapid: Arc<Vapid>,
    provider: Arc<dyn Provider>,
    mailer: Option<Mailer>,
    devices: Arc<Repository<Device>>,
    preferences: Arc<Repository<Preferences>>,
    inboxes: Arc<Repository<Inbox>>,
    /// Wakes the delivery worker when routing created pushes (it also polls).
    wake: Notify,
}

impl App {
    /// The app over `infra`.
    pub fn new(
        config: NotificationsConfig,
        infra: &Infra,
        directory: Directory,
        clock: Clock,
        vapid: Arc<Vapid>,
        provider: Arc<dyn Provider>,
        mailer: Option<Mailer>,
    ) -> Self {
        let cache = infra.config.cache_size;
        Self {
            inner: Arc::new(Inner {
                egress: Egress::from_settings(&config.delivery),
                config,
                pool: infra.pool.clone(),
                directory,
                clock,
                vapid,
                provider,
                mailer,
                devices: Repository::new(infra.store.clone(), cache),
                preferences: Repository::new(infra.store.clone(), cache),
                inboxes: Repository::new(infra.store.clone(), cache),
                wake: Notify::new(),
            }),
        }
    }

    /// Settings.
    pub fn config(&self) -> &NotificationsConfig {
        &self.inner.config
    }

    /// The database.
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The directory replica (token verification, people, stores).
    pub fn directory(&self) -> &Directory {
        &self.inner.directory
    }

    /// The service clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The egress policy of push endpoints.
    pub fn egress(&self) -> &Egress {
        &self.inner.egress
    }

    /// The VAPID identity.
    pub fn vapid(&self) -> &Vapid {
        &self.inner.vapid
    }

    /// The push provider.
    pub fn provider(&self) -> &Arc<dyn Provider> {
        &self.inner.provider
    }

    /// The SMTP relay, when configured.
    pub fn mailer(&self) -> Option<&Mailer> {
        self.inner.mailer.as_ref()
    }

    /// Tells the delivery worker there may be work.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Waits for `wake` (the worker).
    pub async fn woken(&self) {
        self.inner.wake.notified().await
    }

    /// Refuses anyone but the person `user` of `tenant` (another tenant's: NOT_FOUND).
    pub fn require_self(caller: &Caller, tenant: &str, user: &str, resource: &str) -> Result<()> {
        caller.see_tenant(tenant, resource)?;
        if caller.is_integration() || caller.id() != user {
            return Err(Error::denied(
                "NOT_YOURS",
                "only the person themselves may do this",
            ));
        }
        Ok(())
    }

    /// Registers a subscription for `user`; returns the device id and the commit.
    pub async fn register_device(
        &self,
        caller: &Caller,
        tenant: &str,
        registration: DeviceRegistered,
        request_id: &str,
    ) -> Result<(String, Committed<Device>)> {
        let meta = caller.meta(request_id)?;
        let id = device_id(&registration.endpoint);
        let committed = self
            .inner
            .devices
            .execute(tenant, &id, &meta, &DeviceCommand::Register(registration))
            .await?;
        Ok((id, committed))
    }

    /// Removes one of the caller's devices.
    pub async fn unregister_device(
        &self,
        caller: &Caller,
        tenant: &str,
        device: &str,
        request_id: &str,
    ) -> Result<Committed<Device>> {
        let meta = caller.meta(request_id)?;
        let command = DeviceCommand::Unregister {
            by: Some(caller.id().to_owned()),
            reason: UnregisterReason::User,
            status_code: 0,
        };
        self.inner
            .devices
            .execute(tenant, device, &meta, &command)
            .await
    }

    /// Removes a device its push service says is gone; `delivery` makes the request id,
    /// so a retried removal appends nothing twice.
    pub async fn device_gone(
        &self,
        tenant: &str,
        device: &str,
        status: u16,
        delivery: &str,
    ) -> Result<()> {
        let meta =
            CommandMeta::new("system/delivery").with_request_id(Some(format!("gone-{delivery}")));
        let command = DeviceCommand::Unregister {
            by: None,
            reason: UnregisterReason::Gone,
            status_code: i32::from(status),
        };
        self.inner
            .devices
            .execute(tenant, device, &meta, &command)
            .await?;
        Ok(())
    }

    /// Replaces `user`'s preferences.
    pub async fn update_preferences(
        &self,
        caller: &Caller,
        tenant: &str,
        settings: Settings,
        request_id: &str,
    ) -> Result<Committed<Preferences>> {
        let meta = caller.meta(request_id)?;
        self.inner
            .preferences
            .execute(tenant, caller.id(), &meta, &settings)
            .await
    }

    /// The current preferences aggregate of the caller (for partial updates).
    pub async fn current_preferences(&self, tenant: &str, user: &str) -> Result<Settings> {
        Ok(self
            .inner
            .preferences
            .load_current(tenant, user)
            .await?
            .state
            .settings)
    }

    /// Marks notifications (or all) of the caller read.
    pub async fn mark_read(
        &self,
        caller: &Caller,
        tenant: &str,
        ids: Vec<String>,
        all: bool,
        request_id: &str,
    ) -> Result<Committed<Inbox>> {
        let meta = caller.meta(request_id)?;
        self.inner
            .inboxes
            .execute(
                tenant,
                caller.id(),
                &meta,
                &InboxCommand::MarkRead { ids, all },
            )
            .await
    }

    /// Asks for a test notification; its id is derived from the request id.
    pub async fn request_test(
        &self,
        caller: &Caller,
        tenant: &str,
        request_id: &str,
    ) -> Result<(String, Committed<Inbox>)> {
        let meta = caller.meta(request_id)?;
        let id = crate::delivery::outbox::notification_id(
            tenant,
            &format!("test:{request_id}"),
            caller.id(),
        );
        let committed = self
            .inner
            .inboxes
            .execute(
                tenant,
                caller.id(),
                &meta,
                &InboxCommand::RequestTest {
                    notification_id: id.to_string(),
                },
            )
            .await?;
        Ok((id.to_string(), committed))
    }
}
