//! Who may do what in scheduling, decided on the kit's `Caller` (the caller's roles from
//! the service's replica of identity's directory).

use breakroom_base::{Error, Result};
use breakroom_directory::Caller;

use crate::queries::{claims_swaps::Viewer, shifts::OpenShiftScope};

/// Scheduling's rules about a caller and a store.
pub trait Access {
    /// HQ admins, integrations, and the store's managers and team leads plan it.
    fn plans(&self, store: &str) -> bool;
    /// Planners and anyone working in the store see its published roster.
    fn sees(&self, store: &str) -> bool;
    /// Fails with PERMISSION_DENIED `NOT_A_PLANNER` unless the caller plans `store`.
    fn require_planner(&self, store: &str) -> Result<()>;
    /// Fails with PERMISSION_DENIED `NOT_IN_STORE` (saying `why`) unless the caller sees
    /// `store`.
    fn require_sees(&self, store: &str, why: &str) -> Result<()>;
    /// Which open shifts of `stores` the caller may see: every one of a store they plan or
    /// work in store-wide, those of their departments, and those without a department.
    fn open_shift_scope(&self, stores: Vec<String>) -> OpenShiftScope;
    /// What the caller may see of `store`'s claims and swaps: planners (who decide them)
    /// everything; anyone else their own, and the open offers they could accept.
    fn viewer(&self, store: &str) -> Viewer;
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

    fn require_sees(&self, store: &str, why: &str) -> Result<()> {
        if self.sees(store) {
            Ok(())
        } else {
            Err(Error::denied("NOT_IN_STORE", why))
        }
    }

    fn open_shift_scope(&self, stores: Vec<String>) -> OpenShiftScope {
        let mut scope = OpenShiftScope::default();
        for store in stores {
            let departments = self.departments_in(&store);
            if self.plans(&store) || departments.iter().any(|d| d.is_empty()) {
                scope.whole_stores.push(store.clone());
            }
            scope
                .departments
                .extend(departments.iter().map(|d| format!("{store}/{d}")));
            scope.member_stores.push(store);
        }
        scope
    }

    fn viewer(&self, store: &str) -> Viewer {
        let departments = self.departments_in(store);
        Viewer {
            everything: self.plans(store),
            user: self.id().to_owned(),
            member: !self.is_integration() && !departments.is_empty(),
            whole_store: departments.iter().any(|d| d.is_empty()),
            departments: departments
                .into_iter()
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}
