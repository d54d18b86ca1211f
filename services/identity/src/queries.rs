//! Read paths over the projection: gets, lists with keyset pagination, lookups.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use breakroom_base::Result;
pub use breakroom_base::paging::Page;
use breakroom_proto::identity::v1 as pb;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::{domain::role::Role, names};

fn timestamp(at: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(std::time::SystemTime::from(at).into())
}

/// A tenant.
pub async fn tenant(pool: &PgPool, tenant: &str) -> Result<Option<pb::Tenant>> {
    let row: Option<(String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT display_name, time_zone, locale, create_time FROM tenants WHERE id = $1",
    )
    .bind(tenant)
    .fetch_optional(pool)
    .await?;
    Ok(
        row.map(|(display_name, time_zone, locale, created)| pb::Tenant {
            name: names::tenant_name(tenant),
            display_name,
            time_zone,
            locale,
            create_time: timestamp(created),
        }),
    )
}

type StoreRow = (
    String,
    String,
    String,
    String,
    String,
    bool,
    sqlx::types::Json<serde_json::Value>,
);

const STORE_COLUMNS: &str = "id, display_name, store_code, region, time_zone, closed, departments";

fn store_message(tenant: &str, row: StoreRow) -> pb::Store {
    let (id, display_name, store_code, region, time_zone, closed, departments) = row;
    let departments = departments
        .0
        .as_array()
        .map(|list| {
            list.iter()
                .map(|d| pb::Department {
                    department_id: d["id"].as_str().unwrap_or_default().to_owned(),
                    display_name: d["name"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    pb::Store {
        name: names::store_name(tenant, &id),
        display_name,
        store_code,
        region,
        time_zone,
        state: if closed {
            pb::store::State::Closed
        } else {
            pb::store::State::Open
        } as i32,
        departments,
    }
}

/// A store.
pub async fn store(pool: &PgPool, tenant: &str, id: &str) -> Result<Option<pb::Store>> {
    let row: Option<StoreRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {STORE_COLUMNS} FROM stores WHERE tenant = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| store_message(tenant, row)))
}

/// A page of a tenant's stores, by store code.
pub async fn stores(pool: &PgPool, tenant: &str, page: &Page) -> Result<(Vec<pb::Store>, String)> {
    let (after_code, after_id) = page.after_key();
    let rows: Vec<StoreRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {STORE_COLUMNS} FROM stores WHERE tenant = $1 \
         AND ($2::text IS NULL OR (store_code, id) > ($2, $3)) \
         ORDER BY store_code, id LIMIT $4"
    )))
    .bind(tenant)
    .bind(after_code)
    .bind(after_id)
    .bind(page.limit())
    .fetch_all(pool)
    .await?;
    let (rows, token) = page.finish(rows, |r| (r.2.clone(), r.0.clone()));
    Ok((
        rows.into_iter().map(|r| store_message(tenant, r)).collect(),
        token,
    ))
}

type UserRow = (String, String, String, String, String);

async fn user_messages(pool: &PgPool, tenant: &str, rows: Vec<UserRow>) -> Result<Vec<pb::User>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let memberships: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT user_id, store_id, department_id, role FROM memberships \
         WHERE tenant = $1 AND user_id = ANY($2) ORDER BY store_id, department_id, role",
    )
    .bind(tenant)
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, display_name, email, phone, state)| pb::User {
            name: names::user_name(tenant, &id),
            memberships: memberships
                .iter()
                .filter(|m| m.0 == id)
                .map(|(_, store, department, role)| pb::Membership {
                    store: if store.is_empty() {
                        String::new()
                    } else {
                        names::store_name(tenant, store)
                    },
                    department_id: department.clone(),
                    role: role_from_str(role).map_or(0, |r| r.to_proto() as i32),
                })
                .collect(),
            display_name,
            email,
            phone,
            state: match state.as_str() {
                "invited" => pb::user::State::Invited,
                "active" => pb::user::State::Active,
                _ => pb::user::State::Deactivated,
            } as i32,
        })
        .collect())
}

fn role_from_str(role: &str) -> Option<Role> {
    [
        Role::Employee,
        Role::TeamLead,
        Role::StoreManager,
        Role::HqAdmin,
        Role::Integration,
    ]
    .into_iter()
    .find(|r| r.as_str() == role)
}

/// A user with their memberships.
pub async fn user(pool: &PgPool, tenant: &str, id: &str) -> Result<Option<pb::User>> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT id, display_name, email, phone, state FROM users WHERE tenant = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(user_messages(pool, tenant, row.into_iter().collect())
        .await?
        .pop())
}

/// A page of users by display name, optionally only members of `store` and/or holders of `role`.
pub async fn users(
    pool: &PgPool,
    tenant: &str,
    store: Option<&str>,
    role: Option<Role>,
    page: &Page,
) -> Result<(Vec<pb::User>, String)> {
    let (after_name, after_id) = page.after_key();
    let rows: Vec<UserRow> = sqlx::query_as(
        "SELECT u.id, u.display_name, u.email, u.phone, u.state FROM users u WHERE u.tenant = $1 \
         AND ($2::text IS NULL AND $3::text IS NULL OR EXISTS (SELECT 1 FROM memberships m \
              WHERE m.tenant = u.tenant AND m.user_id = u.id \
              AND ($2::text IS NULL OR m.store_id = $2) AND ($3::text IS NULL OR m.role = $3))) \
         AND ($4::text IS NULL OR (u.display_name, u.id) > ($4, $5)) \
         ORDER BY u.display_name, u.id LIMIT $6",
    )
    .bind(tenant)
    .bind(store)
    .bind(role.map(Role::as_str))
    .bind(after_name)
    .bind(after_id)
    .bind(page.limit())
    .fetch_all(pool)
    .await?;
    let (rows, token) = page.finish(rows, |r| (r.1.clone(), r.0.clone()));
    Ok((user_messages(pool, tenant, rows).await?, token))
}

/// The id of the invited user whose pending code has this digest.
pub async fn user_by_invite(pool: &PgPool, tenant: &str, digest: &[u8]) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM invite_codes WHERE tenant = $1 AND code_hash = $2")
            .bind(tenant)
            .bind(digest)
            .fetch_optional(pool)
            .await?,
    )
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    device_class: i32,
    client_version: String,
    create_time: DateTime<Utc>,
    last_use_time: DateTime<Utc>,
    expire_time: DateTime<Utc>,
}

/// A page of a user's open sessions, newest first.
pub async fn sessions(
    pool: &PgPool,
    tenant: &str,
    user: &str,
    page: &Page,
) -> Result<(Vec<pb::Session>, String)> {
    let (after_time, after_id) = page.after_instant()?;
    let rows: Vec<SessionRow> = sqlx::query_as(
        "SELECT id, device_class, client_version, create_time, last_use_time, expire_time \
         FROM sessions WHERE tenant = $1 AND user_id = $2 AND expire_time > now() \
         AND ($3::timestamptz IS NULL OR (create_time, id) < ($3, $4)) \
         ORDER BY create_time DESC, id DESC LIMIT $5",
    )
    .bind(tenant)
    .bind(user)
    .bind(after_time)
    .bind(after_id)
    .bind(page.limit())
    .fetch_all(pool)
    .await?;
    let (rows, token) = page.finish(rows, |r| (r.create_time.to_rfc3339(), r.id.clone()));
    let sessions = rows
        .into_iter()
        .map(|row| pb::Session {
            name: names::session_name(tenant, user, &row.id),
            device_class: row.device_class,
            client_version: row.client_version,
            create_time: timestamp(row.create_time),
            last_use_time: timestamp(row.last_use_time),
            expire_time: timestamp(row.expire_time),
        })
        .collect();
    Ok((sessions, token))
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    public_key: Vec<u8>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
}

/// The published signing keys that are still valid.
pub async fn signing_keys(pool: &PgPool) -> Result<Vec<pb::SigningKey>> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT kid, public_key, not_before, not_after FROM signing_keys \
         WHERE not_after > now() ORDER BY not_before DESC",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| pb::SigningKey {
            kid: row.kid,
            x: URL_SAFE_NO_PAD.encode(row.public_key),
            not_before: timestamp(row.not_before),
            not_after: timestamp(row.not_after),
        })
        .collect())
}
