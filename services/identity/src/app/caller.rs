//! Who is calling and what they may do in identity, decided from identity's own
//! consistent state (the caller's user aggregate), not only from the token: a deactivated
//! user or a revoked session loses access at once, before the access token expires.

use breakroom_kit::{Error, Result};

use crate::{
    domain::{
        role::{Membership, Role},
        user::User,
    },
    names,
};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The platform operator (bootstrap credential); may act in every tenant.
    Operator,
    /// A user with an open session.
    User {
        /// Tenant id.
        tenant: String,
        /// User id.
        id: String,
        /// Session id of the access token.
        session: String,
        /// The user's current state.
        user: Box<User>,
    },
    /// A service account (ROLE_INTEGRATION in its tenant).
    ServiceAccount {
        /// Tenant id.
        tenant: String,
        /// Service account id.
        id: String,
    },
}

impl Caller {
    /// The commit actor: the caller's resource name.
    pub fn actor(&self) -> String {
        match self {
            Self::Operator => "system/operator".into(),
            Self::User { tenant, id, .. } => names::user_name(tenant, id),
            Self::ServiceAccount { tenant, id } => names::service_account_name(tenant, id),
        }
    }

    fn tenant(&self) -> Option<&str> {
        match self {
            Self::Operator => None,
            Self::User { tenant, .. } | Self::ServiceAccount { tenant, .. } => Some(tenant),
        }
    }

    /// Fails with NOT_FOUND for `resource` unless the caller belongs to `tenant`: another
    /// tenant's resources look exactly like missing ones.
    pub fn see_tenant(&self, tenant: &str, resource: &str) -> Result<()> {
        match self.tenant() {
            Some(own) if own != tenant => Err(Error::NotFound(resource.to_owned())),
            _ => Ok(()),
        }
    }

    /// Operator, HQ admin or integration of `tenant`.
    pub fn is_admin(&self, tenant: &str) -> bool {
        match self {
            Self::Operator => true,
            Self::User {
                tenant: own, user, ..
            } => own == tenant && user.has_role(Role::HqAdmin, None),
            Self::ServiceAccount { tenant: own, .. } => own == tenant,
        }
    }

    /// Fails unless the caller is an admin of `tenant` (NOT_FOUND across tenants).
    pub fn require_admin(&self, tenant: &str, resource: &str) -> Result<()> {
        self.see_tenant(tenant, resource)?;
        if self.is_admin(tenant) {
            Ok(())
        } else {
            Err(Error::denied(
                "NOT_AN_ADMIN",
                "needs ROLE_HQ_ADMIN (or an integration) in this tenant",
            ))
        }
    }

    /// Whether the caller is the user `user_id` of `tenant`.
    pub fn is_user(&self, tenant: &str, user_id: &str) -> bool {
        matches!(self, Self::User { tenant: own, id, .. } if own == tenant && id == user_id)
    }

    /// Whether the caller manages `store_id` (its store manager, or an admin).
    pub fn manages_store(&self, tenant: &str, store_id: &str) -> bool {
        self.is_admin(tenant)
            || matches!(self, Self::User { tenant: own, user, .. }
                if own == tenant && user.has_role(Role::StoreManager, Some(store_id)))
    }

    /// Whether the caller is a person with ROLE_HQ_ADMIN in `tenant`, or the operator.
    fn is_human_admin(&self, tenant: &str) -> bool {
        match self {
            Self::Operator => true,
            Self::User {
                tenant: own, user, ..
            } => own == tenant && user.has_role(Role::HqAdmin, None),
            Self::ServiceAccount { .. } => false,
        }
    }

    /// Whether the caller may grant or revoke `membership`: ROLE_HQ_ADMIN only HQ admins
    /// and the operator (an integration must not make admins); the store roles admins and
    /// integrations; ROLE_EMPLOYEE and ROLE_TEAM_LEAD also the store's managers.
    pub fn may_assign(&self, tenant: &str, membership: &Membership) -> bool {
        match membership.role {
            Role::HqAdmin => self.is_human_admin(tenant),
            // Never held by users; admins are told so by validation, not by a refusal.
            Role::StoreManager | Role::Integration => self.is_admin(tenant),
            Role::Employee | Role::TeamLead => {
                self.is_admin(tenant)
                    || membership
                        .store_id
                        .as_deref()
                        .is_some_and(|store| self.manages_store(tenant, store))
            }
        }
    }

    /// Whether the caller may change or offboard `target`: it must be allowed to assign
    /// every membership the target holds (so nobody acts on someone above them), and only
    /// admins act on people without memberships.
    pub fn may_manage(&self, tenant: &str, target: &User) -> bool {
        if target.memberships.is_empty() {
            return self.is_admin(tenant);
        }
        target
            .memberships
            .iter()
            .all(|m| self.may_assign(tenant, m))
    }

    /// Whether the caller may see the e-mail and phone of someone working in `stores`:
    /// admins, and the managers and team leads of one of those stores.
    pub fn sees_contacts(&self, tenant: &str, stores: &[&str]) -> bool {
        self.is_admin(tenant)
            || matches!(self, Self::User { tenant: own, user, .. }
            if own == tenant && stores.iter().any(|store| {
                user.has_role(Role::StoreManager, Some(store))
                    || user.has_role(Role::TeamLead, Some(store))
            }))
    }
}
