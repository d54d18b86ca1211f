//! Wires identity together: infrastructure (the public stream `<NS>_IDENTITY` and the
//! secrets stream `<NS>_IDENTITY_SECRETS`), command side, gRPC services, projection and
//! the signing-key tasks.

use std::sync::Arc;

use breakroom_base::Result;
use breakroom_chassis::server::{Infra, Server};
use breakroom_proto::identity::v1::{
    auth_service_server::AuthServiceServer, identity_service_server::IdentityServiceServer,
};
use tokio_util::sync::CancellationToken;

use crate::{
    app::App,
    config::IdentityConfig,
    grpc::{AuthGrpc, IdentityGrpc},
    projection::IdentityProjection,
};

/// Identity's migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Binds the server; the signing-key tasks run until `cancel` fires.
pub async fn build(config: IdentityConfig, cancel: CancellationToken) -> Result<(Server, App)> {
    let infra = Infra::connect(config.kit.clone()).await?;
    let app = App::new(config, &infra)?;
    app.spawn_key_tasks(infra.js.clone(), cancel);
    let server = Server::bind(infra, Some(&MIGRATOR))
        .await?
        .with_stream(app.secrets_store().clone())
        .ready_with_keys(app.keys())
        .add_service(IdentityServiceServer::new(IdentityGrpc::new(app.clone())))
        .add_service(AuthServiceServer::new(AuthGrpc::new(app.clone())))
        .add_projection(Arc::new(IdentityProjection));
    Ok((server, app))
}
