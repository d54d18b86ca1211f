//! Command handling: who may act on what (`access`), then the aggregates through the
//! kit's repositories. Devices, preferences and inbox actions are events on
//! notifications' own stream; the projections turn them into rows (and test
//! notifications into pushes). No SQL here: reads go through `queries`, the outbox's
//! through `delivery` and `email`.
//!
//! - `access`: only the person themselves acts on their devices, preferences and inbox.
//! - `devices`: registering and removing Web Push subscriptions (also when a push
//!   service says one is gone).
//! - `preferences`: replacing a person's preferences.
//! - `inbox`: read marks and test notifications.
//!
//! `App` is also what the handlers, projections and workers share: settings, the clock,
//! the database, the push provider, the SMTP relay and the two outboxes.

pub mod access;
pub mod devices;
pub mod inbox;
pub mod preferences;

use std::sync::Arc;

use breakroom_chassis::{
    outbox::{self, Outbox},
    server::Infra,
};
use breakroom_directory::Directory;
use breakroom_events::repository::Repository;
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::{
    clock::Clock,
    config::NotificationsConfig,
    delivery::{self, Provider, egress::Egress, vapid::Vapid},
    domain::{device::Device, inbox::Inbox, preferences::Preferences},
    email::{self, Mailer},
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
    /// The outbox of pushes (`deliveries`).
    pushes: Outbox,
    /// The outbox of e-mails (`emails`).
    emails: Outbox,
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
        let retries = outbox::Settings {
            lease: config.delivery.lease,
            max_attempts: config.delivery.max_attempts,
            backoff: config.delivery.backoff,
        };
        Self {
            inner: Arc::new(Inner {
                egress: Egress::from_settings(&config.delivery),
                pushes: Outbox::new(delivery::worker::PUSHES, retries),
                emails: Outbox::new(email::EMAILS, retries),
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

    /// The database (read models and outboxes).
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

    /// The outbox of pushes.
    pub fn pushes(&self) -> &Outbox {
        &self.inner.pushes
    }

    /// The outbox of e-mails.
    pub fn emails(&self) -> &Outbox {
        &self.inner.emails
    }

    /// Tells the delivery worker there may be work.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Waits for `wake` (the worker).
    pub async fn woken(&self) {
        self.inner.wake.notified().await
    }

    pub(crate) fn devices(&self) -> &Repository<Device> {
        &self.inner.devices
    }

    pub(crate) fn preferences(&self) -> &Repository<Preferences> {
        &self.inner.preferences
    }

    pub(crate) fn inboxes(&self) -> &Repository<Inbox> {
        &self.inner.inboxes
    }
}
