//! gRPC handlers: parse requests into domain values, call `app` or `queries`, render.
//!
//! - `convert`: proto <-> domain.
//! - `rosters`: the `SchedulingService` implementation.
//! - `views`: rosters converted once per version.

mod convert;
mod rosters;
mod views;

use crate::app::App;

/// `breakroom.scheduling.v1.SchedulingService`.
#[derive(Debug, Clone)]
pub struct SchedulingGrpc {
    app: App,
    /// GetRoster answers by roster version, so a week read by 60 people is converted once.
    views: views::RosterViews,
}

impl SchedulingGrpc {
    /// Handlers over `app`.
    pub fn new(app: App) -> Self {
        Self {
            app,
            views: views::RosterViews::default(),
        }
    }
}
