//! Preferences: the whole of a person's settings in each update.

use breakroom_base::Result;
use breakroom_directory::Caller;
use breakroom_events::repository::Committed;

use super::App;
use crate::domain::preferences::{Preferences, Settings};

impl App {
    /// Replaces `user`'s preferences.
    pub async fn update_preferences(
        &self,
        caller: &Caller,
        tenant: &str,
        settings: Settings,
        request_id: &str,
    ) -> Result<Committed<Preferences>> {
        let meta = caller.meta(request_id)?;
        self.preferences()
            .execute(tenant, caller.id(), &meta, &settings)
            .await
    }

    /// The current preferences aggregate of the caller (for partial updates).
    pub async fn current_preferences(&self, tenant: &str, user: &str) -> Result<Settings> {
        Ok(self
            .preferences()
            .load_current(tenant, user)
            .await?
            .state
            .settings)
    }
}
