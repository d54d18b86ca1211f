//! Wires scheduling together: infrastructure, the kit's replica of identity's directory
//! (which also verifies tokens), the command side, the gRPC service, the projections, and
//! the calendar HTTP endpoint.

use std::{net::SocketAddr, sync::Arc};

use breakroom_base::Result;
use breakroom_chassis::server::{Infra, Server};
use breakroom_proto::scheduling::v1::scheduling_service_server::SchedulingServiceServer;
use tokio_util::sync::CancellationToken;

use crate::{
    app::App,
    config::SchedulingConfig,
    grpc::SchedulingGrpc,
    http,
    projection::{ClaimsAndSwaps, SchedulingProjection},
    reactions::Offboarding,
};

/// Scheduling's migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A bound scheduling service: the gRPC server and the calendar endpoint's address.
#[derive(Debug)]
pub struct Built {
    /// The gRPC server, not yet running.
    pub server: Server,
    /// The command side.
    pub app: App,
    /// Where the calendar endpoint listens.
    pub calendar_addr: SocketAddr,
}

/// Binds both listeners; the key follower and the calendar endpoint run until `cancel`.
pub async fn build(config: SchedulingConfig, cancel: CancellationToken) -> Result<Built> {
    let infra = Infra::connect(config.kit.clone()).await?;
    let directory = infra.directory();
    let listener = tokio::net::TcpListener::bind(config.calendar_listen_addr)
        .await
        .map_err(|e| {
            breakroom_base::Error::invalid("BREAKROOM_CALENDAR_LISTEN_ADDR", e.to_string())
        })?;
    let calendar_addr = listener
        .local_addr()
        .map_err(breakroom_base::Error::internal)?;
    let app = App::new(config, &infra, directory.clone());
    app.calendar_bound(calendar_addr);
    let http_app = app.clone();
    tokio::spawn(async move {
        if let Err(e) = http::serve(http_app, listener, cancel).await {
            tracing::error!(error = %e, "calendar endpoint stopped");
        }
    });
    let server = Server::bind(infra, Some(&MIGRATOR))
        .await?
        .with_directory(&directory)
        .add_service(SchedulingServiceServer::new(SchedulingGrpc::new(
            app.clone(),
        )))
        .add_projection(Arc::new(SchedulingProjection))
        .add_projection(Arc::new(ClaimsAndSwaps))
        .add_projection(Arc::new(Offboarding::new(app.clone())));
    Ok(Built {
        server,
        app,
        calendar_addr,
    })
}
