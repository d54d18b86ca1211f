//! Who is calling and what they may do in identity, decided from identity's own
//! consistent state (the caller's user aggregate), not only from the token: a deactivated
//! user or a revoked session loses access at once, before the access token expires.
//!
//! Handlers decide in this order: authenticate, then what can be decided about the caller
//! alone (`require_operator`, `require_some_admin`, `require_some_manager`, ...: no input
//! read), then the tenant named in the request (`see_tenant`, `require_admin`), then the
//! input, then whatever needs data (`may_manage` on the target user). A caller who may not
//! call a method at all learns nothing about what input it accepts.
//!
//! `ErrorInfo.reason` of the refusals (documented per RPC in the protos):
//! `OPERATOR_ONLY`, `NOT_AN_ADMIN`, `HQ_ADMIN_ONLY`, `NOT_A_MANAGER`,
//! `ROLE_NOT_GRANTABLE`, `OUTRANKED`, `NOT_YOUR_SESSIONS`.

use breakroom_base::{Error, Result};

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

    /// PERMISSION_DENIED `OPERATOR_ONLY` unless the caller is the platform operator.
    pub fn require_operator(&self) -> Result<()> {
        match self {
            Self::Operator => Ok(()),
            _ => Err(Error::denied(
                "OPERATOR_ONLY",
                "only the platform operator may do this",
            )),
        }
    }

    /// PERMISSION_DENIED `NOT_AN_ADMIN` unless the caller administers a tenant (the
    /// operator, an HQ admin, an integration); decided before any input is read.
    pub fn require_some_admin(&self) -> Result<()> {
        let admin = match self {
            Self::Operator | Self::ServiceAccount { .. } => true,
            Self::User { user, .. } => user.has_role(Role::HqAdmin, None),
        };
        if admin { Ok(()) } else { Err(not_an_admin()) }
    }

    /// PERMISSION_DENIED `HQ_ADMIN_ONLY` unless the caller is a person with
    /// ROLE_HQ_ADMIN or the operator (integrations must not mint credentials).
    pub fn require_some_hq_admin(&self) -> Result<()> {
        let human_admin = match self {
            Self::Operator => true,
            Self::User { user, .. } => user.has_role(Role::HqAdmin, None),
            Self::ServiceAccount { .. } => false,
        };
        if human_admin {
            Ok(())
        } else {
            Err(hq_admin_only())
        }
    }

    /// `require_some_hq_admin` for `tenant` (NOT_FOUND across tenants).
    pub fn require_hq_admin(&self, tenant: &str, resource: &str) -> Result<()> {
        self.see_tenant(tenant, resource)?;
        if self.is_human_admin(tenant) {
            Ok(())
        } else {
            Err(hq_admin_only())
        }
    }

    /// PERMISSION_DENIED `NOT_A_MANAGER` unless the caller may manage some people: an
    /// admin of a tenant or the manager of a store. Decided before any input is read.
    pub fn require_some_manager(&self) -> Result<()> {
        let manager = self.require_some_admin().is_ok()
            || matches!(self, Self::User { user, .. }
                if user.memberships.iter().any(|m| m.role == Role::StoreManager));
        if manager {
            Ok(())
        } else {
            Err(Error::denied(
                "NOT_A_MANAGER",
                "needs ROLE_STORE_MANAGER, ROLE_HQ_ADMIN or an integration",
            ))
        }
    }

    /// `require_some_manager`, except that everyone may act on themselves.
    pub fn require_self_or_manager(&self, tenant: &str, user_id: &str) -> Result<()> {
        if self.is_user(tenant, user_id) {
            Ok(())
        } else {
            self.require_some_manager()
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
            Err(not_an_admin())
        }
    }

    /// Whether the caller is the user `user_id` of `tenant`.
    pub fn is_user(&self, tenant: &str, user_id: &str) -> bool {
        matches!(self, Self::User { tenant: own, id, .. } if own == tenant && id == user_id)
    }

    /// The caller's own session `(tenant, user, session)`; FAILED_PRECONDITION
    /// `NO_SESSION` for the operator and integrations, which log in without one.
    pub fn session(&self) -> Result<(&str, &str, &str)> {
        match self {
            Self::User {
                tenant,
                id,
                session,
                ..
            } => Ok((tenant, id, session)),
            _ => Err(Error::precondition(
                "NO_SESSION",
                "caller",
                "only users have sessions to log out of",
            )),
        }
    }

    /// PERMISSION_DENIED `NOT_YOUR_SESSIONS` unless the caller is user `user_id` of
    /// `tenant` or one of its admins (NOT_FOUND for `resource` across tenants).
    pub fn require_sessions_of(&self, tenant: &str, user_id: &str, resource: &str) -> Result<()> {
        self.see_tenant(tenant, resource)?;
        if self.is_user(tenant, user_id) || self.is_admin(tenant) {
            Ok(())
        } else {
            Err(Error::denied(
                "NOT_YOUR_SESSIONS",
                "only the user and the tenant's admins see and end a user's sessions",
            ))
        }
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

fn not_an_admin() -> Error {
    Error::denied(
        "NOT_AN_ADMIN",
        "needs ROLE_HQ_ADMIN (or an integration) in this tenant",
    )
}

fn hq_admin_only() -> Error {
    Error::denied(
        "HQ_ADMIN_ONLY",
        "only people with ROLE_HQ_ADMIN (and the operator) may do this; integrations may not",
    )
}
