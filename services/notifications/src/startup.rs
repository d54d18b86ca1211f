//! Wires notifications together: infrastructure, identity's directory (which also
//! verifies tokens), the VAPID key and Web Push provider, the gRPC service, the
//! projections (invites only with a delivery key and SMTP), and the delivery worker.

use std::sync::Arc;

use breakroom_base::Result;
use breakroom_chassis::server::{Infra, Server};
use breakroom_proto::notifications::v1::notification_service_server::NotificationServiceServer;
use tokio_util::sync::CancellationToken;

use crate::{
    app::App,
    clock::Clock,
    config::NotificationsConfig,
    delivery::{Provider, egress::Egress, vapid::Vapid, webpush::WebPush, worker},
    email::Mailer,
    grpc::NotificationsGrpc,
    projection::{StateProjection, invites::Invites, routing::Routing},
};

/// Notifications' migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A bound notifications service.
#[derive(Debug)]
pub struct Built {
    /// The gRPC server, not yet running.
    pub server: Server,
    /// The command side.
    pub app: App,
    /// The delivery worker (stops when `cancel` fires; tests abort it to simulate a crash).
    pub worker: tokio::task::JoinHandle<()>,
}

/// Builds the service with the system clock (shifted by the development time offset when
/// one is set) and Web Push under the configured egress policy; the worker runs until
/// `cancel`.
pub async fn build(config: NotificationsConfig, cancel: CancellationToken) -> Result<Built> {
    let vapid = Arc::new(Vapid::load(&config.vapid_key, &config.vapid_subject)?);
    let egress = Egress::from_settings(&config.delivery);
    let provider = Arc::new(WebPush::with_egress(
        vapid.clone(),
        config.delivery.timeout,
        egress,
    )?);
    let clock = match config.dev_time_offset {
        Some(offset) => Clock::shifted(offset),
        None => Clock::system(),
    };
    build_with(config, clock, vapid, provider, cancel).await
}

/// Builds the service with a given clock and provider (tests move time, benchmarks count).
pub async fn build_with(
    config: NotificationsConfig,
    clock: Clock,
    vapid: Arc<Vapid>,
    provider: Arc<dyn Provider>,
    cancel: CancellationToken,
) -> Result<Built> {
    let mailer = match &config.smtp_url {
        Some(url) => Some(Mailer::new(url, &config.smtp_from)?),
        None => None,
    };
    let infra = Infra::connect(config.kit.clone()).await?;
    let directory = infra.directory();
    let app = App::new(
        config,
        &infra,
        directory.clone(),
        clock,
        vapid,
        provider,
        mailer,
    );
    let server = Server::bind(infra, Some(&MIGRATOR))
        .await?
        .with_directory(&directory)
        .add_service(NotificationServiceServer::new(NotificationsGrpc::new(
            app.clone(),
        )))
        .add_projection(Arc::new(StateProjection::new(app.clone())))
        .add_projection(Arc::new(Routing::new(app.clone())));
    // Invite e-mails need both the key to open the codes and a relay to send them.
    let server = match (&app.config().invite_delivery_key, app.mailer()) {
        (Some(key), Some(_)) => {
            server.add_projection(Arc::new(Invites::new(app.clone(), key.clone())))
        }
        (Some(_), None) => {
            tracing::warn!(
                "BREAKROOM_INVITE_DELIVERY_KEY is set without BREAKROOM_SMTP_URL: no invite e-mails"
            );
            server
        }
        (None, _) => server,
    };
    let worker = worker::spawn(app.clone(), cancel);
    Ok(Built {
        server,
        app,
        worker,
    })
}
