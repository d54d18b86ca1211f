//! gRPC handlers: parse and validate requests into domain values (collecting every field
//! violation), call `app` or `queries`, render replies. No decisions live here.
//!
//! - `identity`: `IdentityService`.
//! - `auth`: `AuthService`.
//! - `convert`: proto <-> domain.

mod accounts;
mod auth;
mod convert;
mod identity;
mod stores;
mod tenants;
mod users;

use crate::app::App;

/// `breakroom.identity.v1.IdentityService`.
#[derive(Debug, Clone)]
pub struct IdentityGrpc {
    app: App,
}

/// `breakroom.identity.v1.AuthService`.
#[derive(Debug, Clone)]
pub struct AuthGrpc {
    app: App,
}

impl IdentityGrpc {
    /// Handlers over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

impl AuthGrpc {
    /// Handlers over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

/// Wraps a command reply with the consistency token of its commit in identity's stream
/// (`identity:<sequence>`), which any service replicating identity honours.
fn reply<T>(message: T, sequence: u64) -> tonic::Response<T> {
    breakroom_events::consistency::reply(
        message,
        breakroom_events::consistency::Token::new(crate::config::SERVICE, sequence),
    )
}
