//! Who may do what in scheduling, decided on the kit's `Caller` (the caller's roles from
//! the service's replica of identity's directory).

use breakroom_kit::{Error, Result, directory::Caller};

/// Scheduling's rules about a caller and a store.
pub trait Access {
    /// HQ admins, integrations, and the store's managers and team leads plan it.
    fn plans(&self, store: &str) -> bool;
    /// Planners and anyone working in the store see its published roster.
    fn sees(&self, store: &str) -> bool;
    /// Fails with PERMISSION_DENIED `NOT_A_PLANNER` unless the caller plans `store`.
    fn require_planner(&self, store: &str) -> Result<()>;
}

impl Access for Caller {
    fn plans(&self, store: &str) -> bool {
        self.manages(store)
    }

    fn sees(&self, store: &str) -> bool {
        self.manages(store) || self.works_in(store)
    }

    fn require_planner(&self, store: &str) -> Result<()> {
        if self.plans(store) {
            Ok(())
        } else {
            Err(Error::denied(
                "NOT_A_PLANNER",
                "planning a store needs ROLE_STORE_MANAGER or ROLE_TEAM_LEAD there, \
                 ROLE_HQ_ADMIN, or an integration",
            ))
        }
    }
}
