//! gRPC handlers: parse requests into domain values, call `app` or `queries`, render.
//!
//! - `convert`: proto <-> domain.
//! - `rosters`: the `SchedulingService` implementation.

mod convert;
mod rosters;

use crate::app::App;

/// `breakroom.scheduling.v1.SchedulingService`.
#[derive(Debug, Clone)]
pub struct SchedulingGrpc {
    app: App,
}

impl SchedulingGrpc {
    /// Handlers over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}
