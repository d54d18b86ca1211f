//! The authenticated caller with the roles the directory gives them, and the rule that
//! refuses offboarded people whatever their token's lifetime.

use breakroom_base::error::{Error, Result};
use breakroom_events::envelope::CommandMeta;

use super::{Membership, Role};
use crate::auth::Principal;

/// An authenticated caller with their roles from the directory.
#[derive(Debug, Clone)]
pub struct Caller {
    /// What the token proved.
    pub principal: Principal,
    /// The person's memberships (none for integrations, which act tenant-wide).
    pub memberships: Vec<Membership>,
}

impl Caller {
    /// The caller's tenant.
    pub fn tenant(&self) -> &str {
        &self.principal.tenant
    }

    /// User (or service account) id.
    pub fn id(&self) -> &str {
        &self.principal.user
    }

    /// Resource name: `tenants/t/users/u` or `tenants/t/serviceAccounts/s`.
    pub fn resource_name(&self) -> String {
        self.principal.resource_name()
    }

    /// A service account (the WFM system and other integrations).
    pub fn is_integration(&self) -> bool {
        self.principal.service_account
    }

    /// Holds the chain-wide HQ admin role.
    pub fn is_hq_admin(&self) -> bool {
        self.memberships.iter().any(|m| m.role == Role::HqAdmin)
    }

    /// Holds one of `roles` in `store` itself (chain-wide roles do not count).
    pub fn holds(&self, store: &str, roles: &[Role]) -> bool {
        self.memberships
            .iter()
            .any(|m| m.store == store && roles.contains(&m.role))
    }

    /// Integrations, HQ admins, and the store's managers and team leads.
    pub fn manages(&self, store: &str) -> bool {
        self.is_integration()
            || self.is_hq_admin()
            || self.holds(store, &[Role::StoreManager, Role::TeamLead])
    }

    /// Works in `store` in any role.
    pub fn works_in(&self, store: &str) -> bool {
        self.memberships.iter().any(|m| m.store == store)
    }

    /// The stores the caller holds a role in, each once.
    pub fn stores(&self) -> Vec<&str> {
        let mut stores: Vec<&str> = self
            .memberships
            .iter()
            .map(|m| m.store.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        stores.sort_unstable();
        stores.dedup();
        stores
    }

    /// Departments the caller works in at `store` (`""` = the whole store).
    pub fn departments_in(&self, store: &str) -> Vec<&str> {
        let mut departments: Vec<&str> = self
            .memberships
            .iter()
            .filter(|m| m.store == store)
            .map(|m| m.department.as_str())
            .collect();
        departments.sort_unstable();
        departments.dedup();
        departments
    }

    /// Fails with NOT_FOUND for `resource` unless it belongs to the caller's tenant: another
    /// tenant's resources look exactly like missing ones.
    pub fn see_tenant(&self, tenant: &str, resource: &str) -> Result<()> {
        if self.tenant() == tenant {
            Ok(())
        } else {
            Err(Error::NotFound(resource.to_owned()))
        }
    }

    /// Command metadata for a request of this caller (actor, checked request id).
    pub fn meta(&self, request_id: &str) -> Result<CommandMeta> {
        self.principal.meta(request_id)
    }
}

/// UNAUTHENTICATED when the directory says the person was offboarded (`state` as stored;
/// `None` for a person the replica does not know yet, who is let through like any holder
/// of a valid token).
pub fn refuse_offboarded(state: Option<&str>) -> Result<()> {
    if state == Some("deactivated") {
        return Err(Error::Unauthenticated("the user is deactivated".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(memberships: Vec<Membership>, service_account: bool) -> Caller {
        Caller {
            principal: Principal {
                user: "u".into(),
                tenant: "t".into(),
                session: "s".into(),
                service_account,
            },
            memberships,
        }
    }

    fn member(store: &str, department: &str, role: Role) -> Membership {
        Membership {
            store: store.into(),
            department: department.into(),
            role,
        }
    }

    #[test]
    fn managers_team_leads_admins_and_integrations_manage_a_store_employees_do_not() {
        let employee = caller(vec![member("s1", "fresh", Role::Employee)], false);
        assert!(!employee.manages("s1"));
        assert!(employee.works_in("s1") && !employee.works_in("s2"));
        assert_eq!(employee.departments_in("s1"), vec!["fresh"]);
        let lead = caller(vec![member("s1", "", Role::TeamLead)], false);
        assert!(lead.manages("s1") && !lead.manages("s2"));
        let admin = caller(vec![member("", "", Role::HqAdmin)], false);
        assert!(admin.manages("any") && admin.is_hq_admin());
        assert!(admin.stores().is_empty());
        assert!(caller(vec![], true).manages("any"));
    }

    #[test]
    fn another_tenants_resources_look_missing() {
        let who = caller(vec![], false);
        assert!(who.see_tenant("t", "x").is_ok());
        assert!(matches!(
            who.see_tenant("other", "x"),
            Err(Error::NotFound(_))
        ));
    }
}
