//! The caller of a scheduling RPC: a user with their roles from scheduling's copy of
//! identity's directory, or a service account (an integration).

use breakroom_kit::{Error, Result};

use super::App;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Tenant id.
    pub tenant: String,
    /// User or service account id.
    pub id: String,
    /// Whether it is a service account (ROLE_INTEGRATION).
    pub integration: bool,
    /// Memberships `(store id, role)`; store id empty for hq_admin.
    pub roles: Vec<(String, String)>,
    /// Memberships `(store id, department id)`; department empty for the whole store.
    pub departments: Vec<(String, String)>,
}

impl Caller {
    /// Fails with NOT_FOUND for `resource` unless the caller belongs to `tenant`.
    pub fn see_tenant(&self, tenant: &str, resource: &str) -> Result<()> {
        if self.tenant == tenant {
            Ok(())
        } else {
            Err(Error::NotFound(resource.to_owned()))
        }
    }

    fn has(&self, store: &str, roles: &[&str]) -> bool {
        self.roles
            .iter()
            .any(|(s, r)| roles.contains(&r.as_str()) && (s == store || r == "hq_admin"))
    }

    /// HQ admins, integrations, and the store's managers and team leads plan it.
    pub fn plans(&self, store: &str) -> bool {
        self.integration || self.has(store, &["hq_admin", "store_manager", "team_lead"])
    }

    /// Planners and anyone working in the store see its published roster.
    pub fn sees(&self, store: &str) -> bool {
        self.plans(store) || self.has(store, &["employee", "team_lead", "store_manager"])
    }

    /// Departments the caller works in at `store` (`""` = the whole store); empty when
    /// the caller has no role there.
    pub fn departments_in(&self, store: &str) -> Vec<String> {
        self.departments
            .iter()
            .filter(|(s, _)| s == store)
            .map(|(_, d)| d.clone())
            .collect()
    }

    /// Fails unless the caller plans `store`.
    pub fn require_planner(&self, store: &str) -> Result<()> {
        if self.plans(store) {
            Ok(())
        } else {
            Err(Error::denied(
                "NOT_A_PLANNER",
                "planning a store needs ROLE_STORE_MANAGER or ROLE_TEAM_LEAD there, ROLE_HQ_ADMIN, or an integration",
            ))
        }
    }
}

impl App {
    /// Authenticates a request and looks up the caller's roles.
    pub async fn caller<T>(&self, request: &tonic::Request<T>) -> Result<Caller> {
        let principal = self.inner.keys.authenticate(request)?;
        if principal.service_account {
            return Ok(Caller {
                tenant: principal.tenant,
                id: principal.user,
                integration: true,
                roles: vec![],
                departments: vec![],
            });
        }
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM directory_users WHERE tenant = $1 AND id = $2")
                .bind(&principal.tenant)
                .bind(&principal.user)
                .fetch_optional(self.read().pool())
                .await?;
        if state.as_deref() == Some("deactivated") {
            return Err(Error::Unauthenticated("the user is deactivated".into()));
        }
        let memberships: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT store_id, role, department_id FROM directory_memberships \
             WHERE tenant = $1 AND user_id = $2",
        )
        .bind(&principal.tenant)
        .bind(&principal.user)
        .fetch_all(self.read().pool())
        .await?;
        Ok(Caller {
            tenant: principal.tenant,
            id: principal.user,
            integration: false,
            roles: memberships
                .iter()
                .map(|(s, r, _)| (s.clone(), r.clone()))
                .collect(),
            departments: memberships.into_iter().map(|(s, _, d)| (s, d)).collect(),
        })
    }
}
