//! Identity's directory as every other service sees it: one replica per service, built by
//! the kit from identity's events into the service's own database, and the lookups that
//! turn a verified token into a caller with stores, departments and roles.
//!
//! - `projection`: the read model (`kit_directory_*` tables) and how identity's events
//!   land in it.
//! - this module: typed roles, the `Caller`, and `Directory` (lookups, the key set that
//!   verifies tokens, catching up with identity).
//!
//! A service attaches it with `Server::with_directory(&directory)`: that adds the
//! projection (and its migration) and keeps the key set in step with identity's signing
//! keys. A service never writes these tables itself.

mod projection;

use std::time::Duration;

use breakroom_proto::identity::v1 as pb;
use sqlx::PgPool;

pub use projection::{DirectoryProjection, IDENTITY, PROJECTION};

use crate::{
    auth::{KeySet, Principal},
    envelope::CommandMeta,
    error::{Error, Result},
};

/// The directory's migration (run by `Server::with_directory`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-directory");

/// A role a person holds in a store, or chain-wide (`HqAdmin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Works in a store: sees its feed and their own roster.
    Employee,
    /// Leads a team of a store.
    TeamLead,
    /// Manages a store.
    StoreManager,
    /// Head office: chain-wide.
    HqAdmin,
    /// An integration (service accounts only).
    Integration,
}

impl Role {
    /// The role of identity's `Role` enum value; `None` for unspecified or unknown values.
    pub fn from_proto(value: i32) -> Option<Self> {
        match pb::Role::try_from(value).ok()? {
            pb::Role::Employee => Some(Self::Employee),
            pb::Role::TeamLead => Some(Self::TeamLead),
            pb::Role::StoreManager => Some(Self::StoreManager),
            pb::Role::HqAdmin => Some(Self::HqAdmin),
            pb::Role::Integration => Some(Self::Integration),
            pb::Role::Unspecified => None,
        }
    }

    /// Identity's enum value.
    pub fn to_proto(self) -> pb::Role {
        match self {
            Self::Employee => pb::Role::Employee,
            Self::TeamLead => pb::Role::TeamLead,
            Self::StoreManager => pb::Role::StoreManager,
            Self::HqAdmin => pb::Role::HqAdmin,
            Self::Integration => pb::Role::Integration,
        }
    }

    /// The name stored in the read model (`store_manager`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Employee => "employee",
            Self::TeamLead => "team_lead",
            Self::StoreManager => "store_manager",
            Self::HqAdmin => "hq_admin",
            Self::Integration => "integration",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Employee,
            Self::TeamLead,
            Self::StoreManager,
            Self::HqAdmin,
            Self::Integration,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// A person's state with one of their memberships (none: `NULL`s), one row of the caller query.
type StateAndMembership = (String, Option<String>, Option<String>, Option<String>);

/// One role of a person: in a store (optionally a department), or chain-wide.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Membership {
    /// Store id; empty for `HqAdmin`.
    pub store: String,
    /// Department id; empty for the whole store.
    pub department: String,
    /// The role.
    pub role: Role,
}

/// Lifecycle of a person in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserState {
    /// Invited, not activated yet (may be planned, cannot log in).
    Invited,
    /// Activated.
    Active,
    /// Offboarded.
    Deactivated,
}

impl UserState {
    fn parse(value: &str) -> Self {
        match value {
            "active" => Self::Active,
            "deactivated" => Self::Deactivated,
            _ => Self::Invited,
        }
    }
}

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

/// A store as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Store {
    /// Store id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// The chain's store code.
    pub store_code: String,
    /// Region, empty when none.
    pub region: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Closed stores stay readable.
    pub closed: bool,
    /// Department ids with their display names, ordered by id.
    #[sqlx(skip)]
    pub departments: Vec<(String, String)>,
}

/// A person as the directory knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User id.
    pub id: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// E-mail, empty when none.
    pub email: String,
    /// Phone (E.164), empty when none.
    pub phone: String,
    /// Lifecycle state.
    pub state: UserState,
}

/// A chain as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Tenant {
    /// Display name.
    pub display_name: String,
    /// Default IANA zone.
    pub time_zone: String,
    /// Default BCP 47 locale.
    pub locale: String,
}

/// One person holding a role in a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// User id.
    pub user: String,
    /// Department id, empty for the whole store.
    pub department: String,
    /// The role.
    pub role: Role,
    /// Lifecycle state.
    pub state: UserState,
}

/// A scalar subquery for a service's own statement: the state of the person bound as
/// parameter `user` (`"$3"`) in the tenant bound as `tenant` (`"$1"`), for
/// `refuse_offboarded`.
pub fn state_of_caller(tenant: &str, user: &str) -> String {
    format!(
        "(SELECT u.state FROM kit_directory_users u WHERE u.tenant = {tenant} AND u.id = {user})"
    )
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

/// The directory replica of one service: lookups and the verifier of access tokens.
#[derive(Debug, Clone)]
pub struct Directory {
    pool: PgPool,
    keys: KeySet,
}

impl Directory {
    /// The directory in `pool`, verifying tokens with `keys` (kept in step with identity's
    /// signing keys once attached to a server with `Server::with_directory`).
    pub fn new(pool: PgPool, keys: KeySet) -> Self {
        Self { pool, keys }
    }

    /// The key set verifying access tokens.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The database the replica lives in.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Authenticates a request and looks up the caller's roles. Offboarded people and
    /// deleted service accounts are refused at once (UNAUTHENTICATED), whatever their
    /// token's lifetime.
    pub async fn caller<T>(&self, request: &tonic::Request<T>) -> Result<Caller> {
        let principal = self.keys.authenticate(request)?;
        self.caller_of(principal).await
    }

    /// Authenticates a request without looking the caller up: for a read whose own
    /// statement also reads the caller's state (`state_of_caller`), so that the offboarding
    /// check costs no statement of its own. The read must then call `refuse_offboarded`
    /// with that state, and `caller_of` when it read no row (or on any other error, so
    /// that an offboarded caller hears UNAUTHENTICATED first).
    pub fn authenticate<T>(&self, request: &tonic::Request<T>) -> Result<Principal> {
        self.keys.authenticate(request)
    }

    /// The caller a verified `principal` is.
    pub async fn caller_of(&self, principal: Principal) -> Result<Caller> {
        if principal.service_account {
            let deleted: Option<bool> = sqlx::query_scalar(
                "SELECT deleted FROM kit_directory_service_accounts WHERE tenant = $1 AND id = $2",
            )
            .bind(&principal.tenant)
            .bind(&principal.user)
            .fetch_optional(&self.pool)
            .await?;
            if deleted == Some(true) {
                return Err(Error::Unauthenticated(
                    "the service account was deleted".into(),
                ));
            }
            return Ok(Caller {
                principal,
                memberships: vec![],
            });
        }
        // One round trip: the person's state with every membership.
        let rows: Vec<StateAndMembership> = sqlx::query_as(
            "SELECT u.state, m.store_id, m.department_id, m.role FROM kit_directory_users u \
             LEFT JOIN kit_directory_memberships m ON m.tenant = u.tenant AND m.user_id = u.id \
             WHERE u.tenant = $1 AND u.id = $2",
        )
        .bind(&principal.tenant)
        .bind(&principal.user)
        .fetch_all(&self.pool)
        .await?;
        refuse_offboarded(rows.first().map(|r| r.0.as_str()))?;
        let memberships = rows
            .into_iter()
            .filter_map(|(_, store, department, role)| {
                Some(Membership {
                    store: store?,
                    department: department?,
                    role: Role::parse(&role?)?,
                })
            })
            .collect();
        Ok(Caller {
            principal,
            memberships,
        })
    }

    /// A chain; `None` when the replica does not know it (yet).
    pub async fn tenant(&self, tenant: &str) -> Result<Option<Tenant>> {
        Ok(sqlx::query_as(
            "SELECT display_name, time_zone, locale FROM kit_directory_tenants WHERE tenant = $1",
        )
        .bind(tenant)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A store with its departments; `None` when unknown.
    pub async fn store(&self, tenant: &str, store: &str) -> Result<Option<Store>> {
        let found: Option<Store> = sqlx::query_as(
            "SELECT id, display_name, store_code, region, time_zone, closed \
             FROM kit_directory_stores WHERE tenant = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(store)
        .fetch_optional(&self.pool)
        .await?;
        let Some(mut found) = found else {
            return Ok(None);
        };
        found.departments = sqlx::query_as(
            "SELECT department_id, display_name FROM kit_directory_departments \
             WHERE tenant = $1 AND store_id = $2 ORDER BY department_id",
        )
        .bind(tenant)
        .bind(store)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(found))
    }

    /// A store by the chain's store code (case-insensitive); `None` when unknown.
    pub async fn store_by_code(&self, tenant: &str, code: &str) -> Result<Option<Store>> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM kit_directory_stores WHERE tenant = $1 AND upper(store_code) = upper($2)",
        )
        .bind(tenant)
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => self.store(tenant, &id).await,
            None => Ok(None),
        }
    }

    /// A person; `None` when unknown.
    pub async fn user(&self, tenant: &str, user: &str) -> Result<Option<User>> {
        let row: Option<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, display_name, email, phone, state FROM kit_directory_users \
             WHERE tenant = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(user)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, display_name, email, phone, state)| User {
            id,
            display_name,
            email,
            phone,
            state: UserState::parse(&state),
        }))
    }

    /// Everyone holding a role in `store`, offboarded people included (callers filter by
    /// state), ordered by user id.
    pub async fn store_members(&self, tenant: &str, store: &str) -> Result<Vec<Member>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT m.user_id, m.department_id, m.role, u.state FROM kit_directory_memberships m \
             JOIN kit_directory_users u ON u.tenant = m.tenant AND u.id = m.user_id \
             WHERE m.tenant = $1 AND m.store_id = $2 ORDER BY m.user_id, m.department_id, m.role",
        )
        .bind(tenant)
        .bind(store)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(user, department, role, state)| {
                Some(Member {
                    user,
                    department,
                    role: Role::parse(&role)?,
                    state: UserState::parse(&state),
                })
            })
            .collect())
    }

    /// The memberships of a person.
    pub async fn memberships(&self, tenant: &str, user: &str) -> Result<Vec<Membership>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT store_id, department_id, role FROM kit_directory_memberships \
             WHERE tenant = $1 AND user_id = $2 ORDER BY store_id, department_id, role",
        )
        .bind(tenant)
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(store, department, role)| {
                Some(Membership {
                    store,
                    department,
                    role: Role::parse(&role)?,
                })
            })
            .collect())
    }

    /// Waits (at most `timeout`) until the replica has applied identity's stream up to
    /// `sequence`.
    pub async fn wait_for(&self, sequence: u64, stream: &str, timeout: Duration) -> Result<()> {
        crate::projector::wait_for(&self.pool, PROJECTION, stream, sequence, timeout).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names_and_identitys_enum() {
        for role in [
            Role::Employee,
            Role::TeamLead,
            Role::StoreManager,
            Role::HqAdmin,
            Role::Integration,
        ] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(Role::from_proto(role.to_proto() as i32), Some(role));
        }
        assert_eq!(Role::from_proto(0), None);
        assert_eq!(Role::from_proto(99), None);
        assert_eq!(Role::parse("owner"), None);
    }

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
