//! The directory's typed read API: every read a service makes of its replica of
//! identity's directory, so that the `kit_directory_*` tables stay private to this module.
//!
//! Each function runs one statement on whatever it is given (`&PgPool`, or a projector's
//! `&mut PgConnection` inside its transaction) and returns domain types. A service that
//! needs directory facts beside its own rows reads them here first and passes ids to its
//! own statement (`= ANY($n)`), or joins the two in Rust.
//!
//! - `audience`: announcements' readers (an audience resolved, people's first
//!   memberships), re-exported here.
//! - `inline`: the few pieces of SQL a service's own statement embeds where a second
//!   round trip would cost a hot path (the timeline's caller state, groups and authors).

mod audience;
pub mod inline;

use std::collections::HashMap;

use breakroom_base::error::Result;
use sqlx::PgExecutor;

pub use audience::{Audience, Reader, audience, readers};

use super::{Membership, Role, UserState};

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

/// A store as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl Member {
    /// This membership covers `department` of its store: it is the whole store's, or
    /// that department's, or `department` is empty (the whole store is asked for). A
    /// whole-store membership belongs to every department.
    pub fn covers(&self, department: &str) -> bool {
        department.is_empty() || self.department.is_empty() || self.department == department
    }
}

/// A store's row with its departments as two parallel arrays.
type StoreRow = (
    String,
    String,
    String,
    String,
    String,
    bool,
    Vec<String>,
    Vec<String>,
);

const STORE: &str = "SELECT s.id, s.display_name, s.store_code, s.region, s.time_zone, s.closed, \
    ARRAY(SELECT d.department_id FROM kit_directory_departments d \
      WHERE d.tenant = s.tenant AND d.store_id = s.id ORDER BY d.department_id), \
    ARRAY(SELECT d.display_name FROM kit_directory_departments d \
      WHERE d.tenant = s.tenant AND d.store_id = s.id ORDER BY d.department_id) \
    FROM kit_directory_stores s";

fn store_of(row: StoreRow) -> Store {
    let (id, display_name, store_code, region, time_zone, closed, ids, names) = row;
    Store {
        id,
        display_name,
        store_code,
        region,
        time_zone,
        closed,
        departments: ids.into_iter().zip(names).collect(),
    }
}

/// A chain; `None` when the replica does not know it (yet).
pub async fn tenant<'e>(db: impl PgExecutor<'e>, tenant: &str) -> Result<Option<Tenant>> {
    Ok(sqlx::query_as(
        "SELECT display_name, time_zone, locale FROM kit_directory_tenants WHERE tenant = $1",
    )
    .bind(tenant)
    .fetch_optional(db)
    .await?)
}

/// A store with its departments; `None` when unknown.
pub async fn store<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    store: &str,
) -> Result<Option<Store>> {
    let row: Option<StoreRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{STORE} WHERE s.tenant = $1 AND s.id = $2"
    )))
    .bind(tenant)
    .bind(store)
    .fetch_optional(db)
    .await?;
    Ok(row.map(store_of))
}

/// A store by the chain's store code (case-insensitive); `None` when unknown.
pub async fn store_by_code<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    code: &str,
) -> Result<Option<Store>> {
    let row: Option<StoreRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{STORE} WHERE s.tenant = $1 AND upper(s.store_code) = upper($2)"
    )))
    .bind(tenant)
    .bind(code)
    .fetch_optional(db)
    .await?;
    Ok(row.map(store_of))
}

/// Every store id of the tenant by its upper-case store code.
pub async fn store_ids_by_code<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
) -> Result<HashMap<String, String>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT upper(store_code), id FROM kit_directory_stores WHERE tenant = $1",
    )
    .bind(tenant)
    .fetch_all(db)
    .await?
    .into_iter()
    .collect())
}

/// The display names of those of `stores` the directory knows, by id.
pub async fn store_names<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    stores: &[String],
) -> Result<HashMap<String, String>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT id, display_name FROM kit_directory_stores WHERE tenant = $1 AND id = ANY($2)",
    )
    .bind(tenant)
    .bind(stores)
    .fetch_all(db)
    .await?
    .into_iter()
    .collect())
}

/// The store codes of those of `stores` the directory knows, by id.
pub async fn store_codes<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    stores: &[String],
) -> Result<HashMap<String, String>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT id, store_code FROM kit_directory_stores WHERE tenant = $1 AND id = ANY($2)",
    )
    .bind(tenant)
    .bind(stores)
    .fetch_all(db)
    .await?
    .into_iter()
    .collect())
}

/// A person; `None` when unknown.
pub async fn user<'e>(db: impl PgExecutor<'e>, tenant: &str, user: &str) -> Result<Option<User>> {
    let row: Option<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, display_name, email, phone, state FROM kit_directory_users \
         WHERE tenant = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(user)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, display_name, email, phone, state)| User {
        id,
        display_name,
        email,
        phone,
        state: UserState::parse(&state),
    }))
}

/// The display names of those of `users` the directory knows (offboarded people
/// included: their posts keep their name), by id.
pub async fn display_names<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    users: &[String],
) -> Result<HashMap<String, String>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT id, display_name FROM kit_directory_users WHERE tenant = $1 AND id = ANY($2)",
    )
    .bind(tenant)
    .bind(users)
    .fetch_all(db)
    .await?
    .into_iter()
    .collect())
}

/// Those of `users` the directory knows as people of `tenant` who are not offboarded.
pub async fn people<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    users: &[String],
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM kit_directory_users WHERE tenant = $1 AND id = ANY($2) \
         AND state <> 'deactivated'",
    )
    .bind(tenant)
    .bind(users)
    .fetch_all(db)
    .await?)
}

/// Ids of the tenant's people who are not offboarded, by lower-case e-mail, for the
/// lower-case `emails` given (a whole file's people in one statement).
pub async fn people_by_email<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    emails: &[String],
) -> Result<HashMap<String, String>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT lower(email), id FROM kit_directory_users \
         WHERE tenant = $1 AND lower(email) = ANY($2) AND state <> 'deactivated'",
    )
    .bind(tenant)
    .bind(emails)
    .fetch_all(db)
    .await?
    .into_iter()
    .collect())
}

/// The time zone of each of `users` the directory knows: their first store's (by store
/// id), else their chain's, else UTC.
pub async fn time_zones<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    users: &[String],
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.id, coalesce((SELECT s.time_zone FROM kit_directory_memberships m \
                  JOIN kit_directory_stores s ON s.tenant = m.tenant AND s.id = m.store_id \
                  WHERE m.tenant = u.tenant AND m.user_id = u.id ORDER BY m.store_id LIMIT 1), \
                 (SELECT t.time_zone FROM kit_directory_tenants t WHERE t.tenant = u.tenant), 'UTC') \
         FROM kit_directory_users u WHERE u.tenant = $1 AND u.id = ANY($2)",
    )
    .bind(tenant)
    .bind(users)
    .fetch_all(db)
    .await?)
}

/// The memberships of a person.
pub async fn memberships<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    user: &str,
) -> Result<Vec<Membership>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT store_id, department_id, role FROM kit_directory_memberships \
         WHERE tenant = $1 AND user_id = $2 ORDER BY store_id, department_id, role",
    )
    .bind(tenant)
    .bind(user)
    .fetch_all(db)
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

/// Everyone holding a role in `store`, one row per membership, offboarded people
/// included (callers filter by state), ordered by user id.
pub async fn store_members<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    store: &str,
) -> Result<Vec<Member>> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT m.user_id, m.department_id, m.role, u.state FROM kit_directory_memberships m \
         JOIN kit_directory_users u ON u.tenant = m.tenant AND u.id = m.user_id \
         WHERE m.tenant = $1 AND m.store_id = $2 ORDER BY m.user_id, m.department_id, m.role",
    )
    .bind(tenant)
    .bind(store)
    .fetch_all(db)
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

/// Whether a service account was deleted; `None` when the replica does not know it.
pub(super) async fn service_account_deleted<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    id: &str,
) -> Result<Option<bool>> {
    Ok(sqlx::query_scalar(
        "SELECT deleted FROM kit_directory_service_accounts WHERE tenant = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// A person's state with one of their memberships (none: `NULL`s), one row of the caller
/// query.
type StateAndMembership = (String, Option<String>, Option<String>, Option<String>);

/// A person's stored state (`None` when unknown) and memberships, in one round trip.
pub(super) async fn state_and_memberships<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    user: &str,
) -> Result<(Option<String>, Vec<Membership>)> {
    let rows: Vec<StateAndMembership> = sqlx::query_as(
        "SELECT u.state, m.store_id, m.department_id, m.role FROM kit_directory_users u \
         LEFT JOIN kit_directory_memberships m ON m.tenant = u.tenant AND m.user_id = u.id \
         WHERE u.tenant = $1 AND u.id = $2",
    )
    .bind(tenant)
    .bind(user)
    .fetch_all(db)
    .await?;
    let state = rows.first().map(|r| r.0.clone());
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
    Ok((state, memberships))
}
