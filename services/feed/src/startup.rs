//! Wires feed together: infrastructure, the kit's replica of identity's directory (which
//! also verifies tokens), the command side, the gRPC service, the read model, the
//! moderation queue, and the reaction that keeps store, department and chain groups in
//! step with identity.

use std::sync::Arc;

use breakroom_base::Result;
use breakroom_chassis::server::{Infra, Server};
use breakroom_proto::feed::v1::feed_service_server::FeedServiceServer;

use crate::{
    app::App,
    config::FeedConfig,
    grpc::FeedGrpc,
    projection::{FeedProjection, moderation_queue::ModerationQueue},
    reactions::DirectoryGroups,
};

/// Feed's migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Binds the gRPC listener and assembles the server (not yet running).
pub async fn build(config: FeedConfig) -> Result<Server> {
    let infra = Infra::connect(config.kit.clone()).await?;
    let directory = infra.directory();
    let app = App::new(config, &infra, directory.clone());
    Ok(Server::bind(infra, Some(&MIGRATOR))
        .await?
        .with_directory(&directory)
        .add_service(FeedServiceServer::new(FeedGrpc::new(app.clone())))
        .add_projection(Arc::new(FeedProjection))
        .add_projection(Arc::new(ModerationQueue))
        .add_projection(Arc::new(DirectoryGroups::new(app))))
}
