//! What every request shares: the settings, the channels to the four services and the
//! static assets' versioned path. Nothing per person: any replica serves any request.

use std::sync::Arc;

use axum::extract::FromRef;
use axum_extra::extract::cookie::Key;
use breakroom_proto::{
    feed::v1::feed_service_client::FeedServiceClient,
    identity::v1::{
        auth_service_client::AuthServiceClient, identity_service_client::IdentityServiceClient,
    },
    notifications::v1::notification_service_client::NotificationServiceClient,
    scheduling::v1::scheduling_service_client::SchedulingServiceClient,
};
use tonic::transport::{Channel, Endpoint};

use crate::{assets::Assets, config::WebConfig};

/// The shared state behind an `Arc`.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// See `AppState`.
pub struct Inner {
    /// The settings.
    pub config: WebConfig,
    /// Lazily connected channels (a service down at start is not fatal).
    pub identity: Channel,
    /// Scheduling.
    pub scheduling: Channel,
    /// Feed.
    pub feed: Channel,
    /// Notifications.
    pub notifications: Channel,
    /// Static assets with their content hash.
    pub assets: Assets,
    /// Display names of stores and people, kept a few minutes.
    pub names: crate::names::Names,
}

impl FromRef<AppState> for Key {
    fn from_ref(state: &AppState) -> Self {
        state.0.config.cookie_key.clone()
    }
}

fn channel(url: &str) -> Result<Channel, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(std::time::Duration::from_secs(3))
        .timeout(std::time::Duration::from_secs(10))
        .connect_lazy())
}

impl AppState {
    /// Channels to the configured services.
    pub fn new(config: WebConfig) -> Result<Self, tonic::transport::Error> {
        Ok(Self(Arc::new(Inner {
            identity: channel(&config.identity_url)?,
            scheduling: channel(&config.scheduling_url)?,
            feed: channel(&config.feed_url)?,
            notifications: channel(&config.notifications_url)?,
            assets: Assets::new(),
            names: crate::names::Names::default(),
            config,
        })))
    }

    /// Identity's login and token API.
    pub fn auth(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(self.0.identity.clone())
    }

    /// Identity's directory.
    pub fn identity(&self) -> IdentityServiceClient<Channel> {
        IdentityServiceClient::new(self.0.identity.clone())
    }

    /// Scheduling.
    pub fn scheduling(&self) -> SchedulingServiceClient<Channel> {
        SchedulingServiceClient::new(self.0.scheduling.clone())
    }

    /// Feed.
    pub fn feed(&self) -> FeedServiceClient<Channel> {
        FeedServiceClient::new(self.0.feed.clone())
    }

    /// Notifications.
    pub fn notifications(&self) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.0.notifications.clone())
    }
}
