//! Tenants, stores, service accounts and signing keys in the read model.

use breakroom_base::Result;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::identity::v1::{
    self as pb, service_account_event::Event as Sa, signing_key_event::Event as Key,
    store_event::Event as St, tenant_event::Event as Te,
};
use sqlx::PgConnection;

use super::{at, ts};

pub(super) async fn tenant(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    for event in commit.events::<pb::TenantEvent>()? {
        if let Some(Te::Created(e)) = event.event {
            sqlx::query(
                "INSERT INTO tenants (id, display_name, time_zone, locale, create_time) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            )
            .bind(commit.aggregate_id())
            .bind(&e.display_name)
            .bind(&e.time_zone)
            .bind(&e.locale)
            .bind(at(commit))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

pub(super) async fn store(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let (tenant, id) = (commit.tenant(), commit.aggregate_id());
    for event in commit.events::<pb::StoreEvent>()? {
        match event.event {
            Some(St::Created(e)) => {
                sqlx::query(
                    "INSERT INTO stores (tenant, id, display_name, store_code, region, time_zone, create_time) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant, id) DO NOTHING",
                )
                .bind(tenant)
                .bind(id)
                .bind(&e.display_name)
                .bind(&e.store_code)
                .bind(&e.region)
                .bind(&e.time_zone)
                .bind(at(commit))
                .execute(&mut *conn)
                .await?;
            }
            Some(St::Updated(e)) => {
                sqlx::query(
                    "UPDATE stores SET display_name = $3, store_code = $4, region = $5, time_zone = $6 \
                     WHERE tenant = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(id)
                .bind(&e.display_name)
                .bind(&e.store_code)
                .bind(&e.region)
                .bind(&e.time_zone)
                .execute(&mut *conn)
                .await?;
            }
            Some(St::Closed(_)) | Some(St::Reopened(_)) => {
                let closed = matches!(event.event, Some(St::Closed(_)));
                sqlx::query("UPDATE stores SET closed = $3 WHERE tenant = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .bind(closed)
                    .execute(&mut *conn)
                    .await?;
            }
            Some(St::DepartmentAdded(e)) => {
                let department =
                    serde_json::json!([{"id": e.department_id, "name": e.display_name}]);
                sqlx::query(
                    "UPDATE stores SET departments = departments || $3 \
                     WHERE tenant = $1 AND id = $2 \
                       AND NOT departments @> jsonb_build_array(jsonb_build_object('id', $4::text))",
                )
                .bind(tenant)
                .bind(id)
                .bind(sqlx::types::Json(department))
                .bind(&e.department_id)
                .execute(&mut *conn)
                .await?;
            }
            None => {}
        }
    }
    Ok(())
}

pub(super) async fn service_account(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
) -> Result<()> {
    let (tenant, id) = (commit.tenant(), commit.aggregate_id());
    for event in commit.events::<pb::ServiceAccountEvent>()? {
        match event.event {
            Some(Sa::Created(e)) => {
                sqlx::query(
                    "INSERT INTO service_accounts (tenant, id, display_name, create_time) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, id) DO NOTHING",
                )
                .bind(tenant)
                .bind(id)
                .bind(&e.display_name)
                .bind(at(commit))
                .execute(&mut *conn)
                .await?;
            }
            Some(Sa::Deleted(_)) => {
                sqlx::query("DELETE FROM service_accounts WHERE tenant = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Some(Sa::LoggedIn(_) | Sa::LoginFailed(_)) | None => {}
        }
    }
    Ok(())
}

pub(super) async fn signing_key(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let kid = commit.aggregate_id();
    for event in commit.events::<pb::SigningKeyEvent>()? {
        match event.event {
            Some(Key::Added(e)) => {
                sqlx::query(
                    "INSERT INTO signing_keys (kid, public_key, not_before, not_after) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (kid) DO NOTHING",
                )
                .bind(kid)
                .bind(&e.public_key)
                .bind(ts(e.not_before.as_ref()))
                .bind(ts(e.not_after.as_ref()))
                .execute(&mut *conn)
                .await?;
            }
            Some(Key::Retired(_)) => {
                sqlx::query("DELETE FROM signing_keys WHERE kid = $1")
                    .bind(kid)
                    .execute(&mut *conn)
                    .await?;
            }
            None => {}
        }
    }
    Ok(())
}
