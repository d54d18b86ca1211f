//! Notifications' one rule of access: a person's devices, preferences and inbox are
//! theirs alone (HQ admins' failed-delivery list is checked where it is served).

use breakroom_base::{Error, Result};
use breakroom_directory::Caller;

use super::App;

impl App {
    /// Refuses anyone but the person `user` of `tenant` (another tenant's: NOT_FOUND).
    pub fn require_self(caller: &Caller, tenant: &str, user: &str, resource: &str) -> Result<()> {
        caller.see_tenant(tenant, resource)?;
        if caller.is_integration() || caller.id() != user {
            return Err(Error::denied(
                "NOT_YOURS",
                "only the person themselves may do this",
            ));
        }
        Ok(())
    }
}
