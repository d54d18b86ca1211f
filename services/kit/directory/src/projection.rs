//! The projection that keeps a service's replica of identity's directory: tenants, stores
//! with departments, users with their state, memberships, deleted service accounts.
//!
//! A batch of identity's commits is folded in memory (each touched row loaded once, the
//! events applied in order) and written back with one statement per table, so a chain
//! onboarding 60,000 people costs a few statements per thousand commits, not three per
//! person.

use std::collections::{BTreeMap, BTreeSet};

use breakroom_base::error::Result;
use breakroom_events::{
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use breakroom_proto::identity::v1::{
    self as pb, service_account_event::Event as Sa, store_event::Event as St,
    tenant_event::Event as Te, user_event::Event as Us,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::Role;

/// Name of the projection (checkpoint, lease and consumer `<service>_directory`).
pub const PROJECTION: &str = "directory";
/// The service whose stream it reads.
pub const IDENTITY: &str = "identity";

/// Identity's directory, projected into the service's own database.
#[derive(Debug, Default)]
pub struct DirectoryProjection;

type Key = (String, String);

#[derive(Debug, Clone, Default, sqlx::FromRow)]
struct StoreRow {
    tenant: String,
    id: String,
    display_name: String,
    store_code: String,
    region: String,
    time_zone: String,
    closed: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct UserRow {
    tenant: String,
    id: String,
    display_name: String,
    email: String,
    phone: String,
    state: String,
    invite_time: DateTime<Utc>,
    activate_time: Option<DateTime<Utc>>,
    deactivate_time: Option<DateTime<Utc>>,
}

/// A membership row: (tenant, user, store, department, role).
type MembershipRow = (String, String, String, String, String);

/// What one batch changes, folded in memory.
#[derive(Default)]
struct Changes {
    tenants: BTreeMap<String, pb::TenantCreated>,
    stores: BTreeMap<Key, Option<StoreRow>>,
    departments: BTreeMap<(String, String, String), String>,
    users: BTreeMap<Key, Option<UserRow>>,
    /// Last operation per membership row: true = held, false = revoked.
    memberships: BTreeMap<MembershipRow, bool>,
    service_accounts: BTreeMap<Key, bool>,
}

#[async_trait::async_trait]
impl Projection for DirectoryProjection {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all(IDENTITY)]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        self.apply_batch(conn, std::slice::from_ref(commit)).await
    }

    async fn apply_batch(&self, conn: &mut PgConnection, commits: &[RecordedCommit]) -> Result<()> {
        let mut changes = Changes::default();
        changes.load(conn, commits).await?;
        for commit in commits {
            changes.fold(commit)?;
        }
        changes.write(conn).await?;
        changed(conn).await
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        sqlx::query(
            "TRUNCATE kit_directory_tenants, kit_directory_stores, kit_directory_departments, \
             kit_directory_users, kit_directory_memberships, kit_directory_service_accounts",
        )
        .execute(&mut *conn)
        .await?;
        changed(conn).await
    }
}

/// Tells every replica, when this transaction commits, that the directory changed: they
/// forget the callers they looked up (`callers`).
async fn changed(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(super::callers::CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

impl Changes {
    /// Loads the current rows of every store and user the batch touches.
    async fn load(&mut self, conn: &mut PgConnection, commits: &[RecordedCommit]) -> Result<()> {
        let keys = |kind: &str| -> (Vec<String>, Vec<String>) {
            commits
                .iter()
                .filter(|c| c.aggregate_type() == kind)
                .map(|c| (c.tenant().to_owned(), c.aggregate_id().to_owned()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .unzip()
        };
        let (tenants, ids) = keys("store");
        if !ids.is_empty() {
            let rows: Vec<StoreRow> = sqlx::query_as(
                "SELECT s.tenant, s.id, s.display_name, s.store_code, s.region, s.time_zone, s.closed \
                 FROM kit_directory_stores s JOIN UNNEST($1::text[], $2::text[]) AS k(tenant, id) \
                 ON s.tenant = k.tenant AND s.id = k.id",
            )
            .bind(&tenants)
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
            for row in rows {
                self.stores
                    .insert((row.tenant.clone(), row.id.clone()), Some(row));
            }
        }
        let (tenants, ids) = keys("user");
        if !ids.is_empty() {
            let rows: Vec<UserRow> = sqlx::query_as(
                "SELECT u.tenant, u.id, u.display_name, u.email, u.phone, u.state, u.invite_time, \
                 u.activate_time, u.deactivate_time \
                 FROM kit_directory_users u JOIN UNNEST($1::text[], $2::text[]) AS k(tenant, id) \
                 ON u.tenant = k.tenant AND u.id = k.id",
            )
            .bind(&tenants)
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
            for row in rows {
                self.users
                    .insert((row.tenant.clone(), row.id.clone()), Some(row));
            }
        }
        Ok(())
    }

    /// Applies one commit's events to the in-memory rows.
    fn fold(&mut self, commit: &RecordedCommit) -> Result<()> {
        let key = (commit.tenant().to_owned(), commit.aggregate_id().to_owned());
        let at: DateTime<Utc> = commit.occurred_at().into();
        match commit.aggregate_type() {
            "tenant" => {
                for event in commit.events::<pb::TenantEvent>()? {
                    if let Some(Te::Created(created)) = event.event {
                        self.tenants.insert(key.0.clone(), created);
                    }
                }
            }
            "store" => {
                for event in commit.events::<pb::StoreEvent>()? {
                    self.store_event(&key, event);
                }
            }
            "user" => {
                for event in commit.events::<pb::UserEvent>()? {
                    self.user_event(&key, event, at);
                }
            }
            "service_account" => {
                for event in commit.events::<pb::ServiceAccountEvent>()? {
                    match event.event {
                        Some(Sa::Created(_)) => {
                            self.service_accounts.entry(key.clone()).or_insert(false);
                        }
                        Some(Sa::Deleted(_)) => {
                            self.service_accounts.insert(key.clone(), true);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn store_event(&mut self, key: &Key, event: pb::StoreEvent) {
        let slot = self.stores.entry(key.clone()).or_insert(None);
        match event.event {
            Some(St::Created(e)) => {
                // The first creation wins; a repeated one changes nothing.
                slot.get_or_insert(StoreRow {
                    tenant: key.0.clone(),
                    id: key.1.clone(),
                    display_name: e.display_name,
                    store_code: e.store_code,
                    region: e.region,
                    time_zone: e.time_zone,
                    closed: false,
                });
            }
            Some(St::Updated(e)) => {
                if let Some(row) = slot {
                    row.display_name = e.display_name;
                    row.store_code = e.store_code;
                    row.region = e.region;
                    row.time_zone = e.time_zone;
                }
            }
            Some(St::Closed(_)) => {
                if let Some(row) = slot {
                    row.closed = true;
                }
            }
            Some(St::Reopened(_)) => {
                if let Some(row) = slot {
                    row.closed = false;
                }
            }
            None => {}
            Some(St::DepartmentAdded(e)) => {
                self.departments.insert(
                    (key.0.clone(), key.1.clone(), e.department_id),
                    e.display_name,
                );
            }
        }
    }

    fn user_event(&mut self, key: &Key, event: pb::UserEvent, at: DateTime<Utc>) {
        let slot = self.users.entry(key.clone()).or_insert(None);
        match event.event {
            Some(Us::Invited(e)) => {
                // The first creation wins; a repeated one changes nothing.
                slot.get_or_insert(UserRow {
                    tenant: key.0.clone(),
                    id: key.1.clone(),
                    display_name: e.display_name,
                    email: e.email,
                    phone: e.phone,
                    state: "invited".into(),
                    invite_time: at,
                    activate_time: None,
                    deactivate_time: None,
                });
            }
            Some(Us::Updated(e)) => {
                if let Some(row) = slot {
                    row.display_name = e.display_name;
                    row.email = e.email;
                    row.phone = e.phone;
                }
            }
            Some(Us::Activated(_)) => {
                if let Some(row) = slot {
                    row.state = "active".into();
                    row.activate_time = Some(at);
                }
            }
            Some(Us::Deactivated(_)) => {
                if let Some(row) = slot {
                    row.state = "deactivated".into();
                    row.deactivate_time = Some(at);
                }
            }
            Some(Us::RoleGranted(e)) => {
                self.membership(key, e.store_id, e.department_id, e.role, true)
            }
            Some(Us::RoleRevoked(e)) => {
                self.membership(key, e.store_id, e.department_id, e.role, false)
            }
            _ => {}
        }
    }

    /// Notes that a membership is now held (or not).
    fn membership(&mut self, key: &Key, store: String, department: String, role: i32, held: bool) {
        if let Some(role) = Role::from_proto(role) {
            let row = (
                key.0.clone(),
                key.1.clone(),
                store,
                department,
                role.as_str().to_owned(),
            );
            self.memberships.insert(row, held);
        }
    }

    /// Writes the folded rows back: one statement per table and kind of change.
    async fn write(self, conn: &mut PgConnection) -> Result<()> {
        if !self.tenants.is_empty() {
            let (mut ids, mut names, mut zones, mut locales) = (vec![], vec![], vec![], vec![]);
            for (id, t) in self.tenants {
                ids.push(id);
                names.push(t.display_name);
                zones.push(t.time_zone);
                locales.push(t.locale);
            }
            sqlx::query(
                "INSERT INTO kit_directory_tenants (tenant, display_name, time_zone, locale) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) \
                 ON CONFLICT (tenant) DO NOTHING",
            )
            .bind(ids)
            .bind(names)
            .bind(zones)
            .bind(locales)
            .execute(&mut *conn)
            .await?;
        }
        let stores: Vec<StoreRow> = self.stores.into_values().flatten().collect();
        if !stores.is_empty() {
            let col = |f: fn(&StoreRow) -> String| stores.iter().map(f).collect::<Vec<_>>();
            sqlx::query(
                "INSERT INTO kit_directory_stores \
                 (tenant, id, display_name, store_code, region, time_zone, closed) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::text[], $7::bool[]) \
                 ON CONFLICT (tenant, id) DO UPDATE SET display_name = EXCLUDED.display_name, \
                 store_code = EXCLUDED.store_code, region = EXCLUDED.region, \
                 time_zone = EXCLUDED.time_zone, closed = EXCLUDED.closed",
            )
            .bind(col(|s| s.tenant.clone()))
            .bind(col(|s| s.id.clone()))
            .bind(col(|s| s.display_name.clone()))
            .bind(col(|s| s.store_code.clone()))
            .bind(col(|s| s.region.clone()))
            .bind(col(|s| s.time_zone.clone()))
            .bind(stores.iter().map(|s| s.closed).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
        }
        if !self.departments.is_empty() {
            let (mut tenants, mut stores, mut ids, mut names) = (vec![], vec![], vec![], vec![]);
            for ((tenant, store, id), name) in self.departments {
                tenants.push(tenant);
                stores.push(store);
                ids.push(id);
                names.push(name);
            }
            sqlx::query(
                "INSERT INTO kit_directory_departments (tenant, store_id, department_id, display_name) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) \
                 ON CONFLICT (tenant, store_id, department_id) DO UPDATE \
                 SET display_name = EXCLUDED.display_name",
            )
            .bind(tenants)
            .bind(stores)
            .bind(ids)
            .bind(names)
            .execute(&mut *conn)
            .await?;
        }
        write_users(conn, self.users.into_values().flatten().collect()).await?;
        write_memberships(conn, self.memberships).await?;
        if !self.service_accounts.is_empty() {
            let (mut tenants, mut ids, mut deleted) = (vec![], vec![], vec![]);
            for ((tenant, id), gone) in self.service_accounts {
                tenants.push(tenant);
                ids.push(id);
                deleted.push(gone);
            }
            sqlx::query(
                "INSERT INTO kit_directory_service_accounts (tenant, id, deleted) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::bool[]) \
                 ON CONFLICT (tenant, id) DO UPDATE \
                 SET deleted = kit_directory_service_accounts.deleted OR EXCLUDED.deleted",
            )
            .bind(tenants)
            .bind(ids)
            .bind(deleted)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

async fn write_users(conn: &mut PgConnection, users: Vec<UserRow>) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&UserRow) -> String| users.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO kit_directory_users (tenant, id, display_name, email, phone, state, \
         invite_time, activate_time, deactivate_time) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
         $6::text[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[]) \
         ON CONFLICT (tenant, id) DO UPDATE SET display_name = EXCLUDED.display_name, \
         email = EXCLUDED.email, phone = EXCLUDED.phone, state = EXCLUDED.state, \
         activate_time = EXCLUDED.activate_time, deactivate_time = EXCLUDED.deactivate_time",
    )
    .bind(col(|u| u.tenant.clone()))
    .bind(col(|u| u.id.clone()))
    .bind(col(|u| u.display_name.clone()))
    .bind(col(|u| u.email.clone()))
    .bind(col(|u| u.phone.clone()))
    .bind(col(|u| u.state.clone()))
    .bind(users.iter().map(|u| u.invite_time).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.activate_time).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.deactivate_time).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_memberships(
    conn: &mut PgConnection,
    memberships: BTreeMap<MembershipRow, bool>,
) -> Result<()> {
    for held in [false, true] {
        let rows: Vec<&MembershipRow> = memberships
            .iter()
            .filter(|(_, h)| **h == held)
            .map(|(row, _)| row)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let col = |f: fn(&MembershipRow) -> &String| {
            rows.iter().map(|r| f(r).clone()).collect::<Vec<_>>()
        };
        let sql = if held {
            "INSERT INTO kit_directory_memberships (tenant, user_id, store_id, department_id, role) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) \
             ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM kit_directory_memberships m \
             USING UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) \
             AS r(tenant, user_id, store_id, department_id, role) \
             WHERE m.tenant = r.tenant AND m.user_id = r.user_id AND m.store_id = r.store_id \
             AND m.department_id = r.department_id AND m.role = r.role"
        };
        sqlx::query(sql)
            .bind(col(|r| &r.0))
            .bind(col(|r| &r.1))
            .bind(col(|r| &r.2))
            .bind(col(|r| &r.3))
            .bind(col(|r| &r.4))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
