//! Runs the real identity (and, where a test needs it, scheduling) with notifications in
//! one test namespace, a local push service that decrypts, and a writer of feed's events
//! (the feed service is built elsewhere; its events are appended with the kit, exactly as
//! feed writes them).

use std::{sync::Arc, time::Duration};

pub use breakroom_identity::testing::{Chain, Person, bearer, uuid};
use breakroom_identity::{config::IdentityConfig, testing::Identity};
use breakroom_notifications::{
    app::App,
    clock::Clock,
    config::{NotificationsConfig, VapidKeySource},
    delivery::{
        egress::{
            Egress,
            connect::{Guarded, Lookup},
        },
        vapid::Vapid,
        webpush::WebPush,
    },
    startup,
};
use breakroom_proto::{
    notifications::v1::{self as pb, notification_service_client::NotificationServiceClient},
    scheduling::v1::scheduling_service_client::SchedulingServiceClient,
};
use breakroom_scheduling::config::SchedulingConfig;
use breakroom_testing::{Running, TestEnv, eventually};
use tokio_util::sync::CancellationToken;
use tonic::{Status, transport::Channel};

pub use crate::feed::FeedWriter;
pub use crate::push::{PushService, Received, TestDevice};

/// The gRPC service name notifications reports SERVING for.
pub const SERVICE: &str = "breakroom.notifications.v1.NotificationService";

/// One running notifications instance.
pub struct Instance {
    pub client: NotificationServiceClient<Channel>,
    pub app: App,
    pub running: Running,
    pub worker_cancel: CancellationToken,
    pub worker: tokio::task::JoinHandle<()>,
}

impl Instance {
    /// Stops it gracefully.
    pub async fn stop(self) {
        self.worker_cancel.cancel();
        self.running.shutdown.cancel();
        let _ = self.running.task.await;
        let _ = self.worker.await;
    }
}

/// Identity, notifications, a push service and a feed writer in one namespace.
pub struct Platform {
    pub env: TestEnv,
    pub people: Identity,
    pub push: PushService,
    pub feed: FeedWriter,
    pub config: NotificationsConfig,
    pub clock: Clock,
    pub vapid: Arc<Vapid>,
    /// How the push client resolves names (the system's unless a test fixes them).
    pub lookup: Lookup,
    pub instance: Option<Instance>,
    pub scheduling: Option<SchedulingServiceClient<Channel>>,
    _scheduling: Option<Running>,
}

/// The settings tests run with: fast retries and polls, a short lease and window.
pub fn test_config(env: &TestEnv) -> NotificationsConfig {
    let mut config = NotificationsConfig::new(
        env.config("notifications"),
        VapidKeySource::Key(Vapid::generate()),
    );
    config.delivery.allow_http = true;
    config.delivery.backoff = Duration::from_millis(100);
    config.delivery.poll = Duration::from_millis(50);
    config.delivery.lease = Duration::from_secs(6);
    config.delivery.collapse_window = Duration::from_secs(1);
    config.delivery.max_attempts = 3;
    config
}

impl Platform {
    /// Identity and notifications.
    pub async fn spawn() -> Self {
        Self::spawn_with(false, |_| {}).await
    }

    /// Identity, scheduling and notifications.
    pub async fn with_scheduling() -> Self {
        Self::spawn_with(true, |_| {}).await
    }

    /// With notifications' settings adjusted.
    pub async fn spawn_with(
        scheduling: bool,
        adjust: impl FnOnce(&mut NotificationsConfig),
    ) -> Self {
        let scheduling = scheduling.then_some(|_: &mut SchedulingConfig| {});
        Self::spawn_full(scheduling, adjust).await
    }

    /// Scheduling (its settings adjusted) when given, and notifications' settings adjusted.
    pub async fn spawn_full(
        scheduling: Option<impl FnOnce(&mut SchedulingConfig)>,
        adjust: impl FnOnce(&mut NotificationsConfig),
    ) -> Self {
        Self::spawn_all(|_| {}, scheduling, adjust).await
    }

    /// Identity's, scheduling's (when given) and notifications' settings adjusted.
    pub async fn spawn_all(
        adjust_identity: impl FnOnce(&mut IdentityConfig),
        scheduling: Option<impl FnOnce(&mut SchedulingConfig)>,
        adjust: impl FnOnce(&mut NotificationsConfig),
    ) -> Self {
        let env = TestEnv::new().await;
        let mut identity = breakroom_identity::testing::config(&env);
        adjust_identity(&mut identity);
        let people = Identity::spawn_with(&env, identity).await;
        let (scheduling_client, scheduling_running) = if let Some(adjust_scheduling) = scheduling {
            let mut config = SchedulingConfig::new(env.config("scheduling"));
            adjust_scheduling(&mut config);
            let built = breakroom_scheduling::startup::build(config, CancellationToken::new())
                .await
                .unwrap();
            let running =
                breakroom_testing::spawn(built.server, "breakroom.scheduling.v1.SchedulingService")
                    .await;
            (
                Some(SchedulingServiceClient::new(running.channel().await)),
                Some(running),
            )
        } else {
            (None, None)
        };
        let mut config = test_config(&env);
        adjust(&mut config);
        let vapid = Arc::new(Vapid::load(&config.vapid_key, &config.vapid_subject).unwrap());
        let feed = FeedWriter::new(&env).await;
        let mut platform = Self {
            push: PushService::start().await,
            feed,
            people,
            config,
            clock: Clock::system(),
            vapid,
            lookup: Lookup::System,
            instance: None,
            scheduling: scheduling_client,
            _scheduling: scheduling_running,
            env,
        };
        platform.instance = Some(platform.start().await);
        platform
    }

    /// Starts another notifications instance on the same database and streams.
    pub async fn start(&self) -> Instance {
        let mut config = self.config.clone();
        config.kit.grpc_listen_addr = "127.0.0.1:0".parse().unwrap();
        let connector =
            Guarded::with_lookup(Egress::from_settings(&config.delivery), self.lookup.clone());
        let provider = Arc::new(
            WebPush::with_connector(self.vapid.clone(), config.delivery.timeout, connector)
                .unwrap(),
        );
        let cancel = CancellationToken::new();
        let built = startup::build_with(
            config,
            self.clock.clone(),
            self.vapid.clone(),
            provider,
            cancel.clone(),
        )
        .await
        .unwrap();
        Self::serve(built, cancel).await
    }

    /// Starts an instance the way `main` does (`startup::build`): the provider under the
    /// settings' egress policy and the system clock, shifted by the development time
    /// offset when the settings carry one.
    pub async fn start_as_main(&self) -> Instance {
        let mut config = self.config.clone();
        config.kit.grpc_listen_addr = "127.0.0.1:0".parse().unwrap();
        let cancel = CancellationToken::new();
        let built = startup::build(config, cancel.clone()).await.unwrap();
        Self::serve(built, cancel).await
    }

    async fn serve(built: startup::Built, cancel: CancellationToken) -> Instance {
        let running = breakroom_testing::spawn(built.server, SERVICE).await;
        Instance {
            client: NotificationServiceClient::new(running.channel().await),
            app: built.app,
            running,
            worker_cancel: cancel,
            worker: built.worker,
        }
    }

    /// Stops the running instance, adjusts the settings and starts another with them.
    pub async fn restart_with(&mut self, adjust: impl FnOnce(&mut NotificationsConfig)) {
        if let Some(instance) = self.instance.take() {
            instance.stop().await;
        }
        adjust(&mut self.config);
        self.instance = Some(self.start().await);
    }

    /// The running instance's client.
    pub fn client(&self) -> NotificationServiceClient<Channel> {
        self.instance.as_ref().unwrap().client.clone()
    }

    /// A chain with an HQ admin and a store.
    pub async fn chain(&self, tenant: &str) -> Chain {
        self.people.chain(tenant).await
    }

    /// An employee of the chain's store.
    pub async fn employee(&self, chain: &Chain, email: &str) -> Person {
        self.people.employee(chain, &chain.store, email).await
    }

    /// Retries `call` while notifications has not yet learnt what identity knows.
    pub async fn once_known<T, F, Fut>(&self, mut call: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Status>>,
    {
        eventually(Duration::from_secs(15), || {
            let attempt = call();
            async move {
                match attempt.await {
                    Ok(value) => Some(value),
                    Err(status) if status.code() == tonic::Code::Unauthenticated => None,
                    Err(status) => panic!("{status:?}"),
                }
            }
        })
        .await
    }

    /// Registers a new test device for `person`.
    pub async fn device(&self, tenant: &str, person: &Person) -> TestDevice {
        let device = self.push.device();
        let request = pb::RegisterDeviceRequest {
            parent: format!("tenants/{tenant}/users/{}", person.id),
            device: Some(pb::Device {
                endpoint: device.endpoint.clone(),
                p256dh: device.p256dh.clone(),
                auth: device.auth.clone(),
                display_name: "test phone".into(),
                ..Default::default()
            }),
            request_id: uuid(),
        };
        let registered = self
            .once_known(|| {
                let mut client = self.client();
                let request = self
                    .people
                    .with_token(bearer(&person.token, request.clone()));
                async move { client.register_device(request).await }
            })
            .await;
        // Routing reads the device from the read model: wait until it is there.
        let token = breakroom_testing::token(registered.metadata());
        eventually(Duration::from_secs(10), || {
            let mut client = self.client();
            let mut request = bearer(
                &person.token,
                pb::ListDevicesRequest {
                    parent: format!("tenants/{tenant}/users/{}", person.id),
                    ..Default::default()
                },
            );
            request
                .metadata_mut()
                .insert("breakroom-min-sequence", token.parse().unwrap());
            async move {
                client
                    .list_devices(request)
                    .await
                    .ok()
                    .filter(|r| !r.get_ref().devices.is_empty())
            }
        })
        .await;
        device
    }

    /// `person`'s inbox, newest first.
    pub async fn inbox(&self, tenant: &str, person: &Person) -> Vec<pb::Notification> {
        self.client()
            .list_notifications(bearer(
                &person.token,
                pb::ListNotificationsRequest {
                    parent: format!("tenants/{tenant}/users/{}", person.id),
                    page_size: 1000,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .notifications
    }

    /// Waits until `person`'s inbox holds `n` items.
    pub async fn wait_inbox(
        &self,
        tenant: &str,
        person: &Person,
        n: usize,
    ) -> Vec<pb::Notification> {
        eventually(Duration::from_secs(20), || async move {
            let items = self.inbox(tenant, person).await;
            (items.len() >= n).then_some(items)
        })
        .await
    }

    /// Waits until no push is in flight: every one sent has its outcome recorded. A test
    /// that moves the clock past the delivery lease must wait for this first, or a push
    /// delivered a moment before would look abandoned and be claimed and sent again.
    pub async fn settled(&self) {
        let app = &self.instance.as_ref().expect("an instance runs").app;
        eventually(Duration::from_secs(20), || async move {
            let sending: i64 =
                sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sending'")
                    .fetch_one(app.pool())
                    .await
                    .unwrap();
            (sending == 0).then_some(())
        })
        .await;
    }

    /// Changes `person`'s preferences.
    pub async fn prefer(&self, tenant: &str, person: &Person, mut preferences: pb::Preferences) {
        preferences.name = format!("tenants/{tenant}/users/{}/preferences", person.id);
        let request = pb::UpdatePreferencesRequest {
            preferences: Some(preferences),
            update_mask: None,
            request_id: uuid(),
        };
        let reply = self
            .once_known(|| {
                let mut client = self.client();
                let request = self
                    .people
                    .with_token(bearer(&person.token, request.clone()));
                async move { client.update_preferences(request).await }
            })
            .await;
        let token = breakroom_testing::token(reply.metadata());
        let mut request = bearer(
            &person.token,
            pb::GetPreferencesRequest {
                name: format!("tenants/{tenant}/users/{}/preferences", person.id),
            },
        );
        request
            .metadata_mut()
            .insert("breakroom-min-sequence", token.parse().unwrap());
        self.client().get_preferences(request).await.unwrap();
    }
}

/// The id part of a resource name.
pub fn id_of(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or_default()
}
