//! Identity's stores, users and memberships, as scheduling needs them.

use breakroom_kit::{Result, envelope::RecordedCommit};
use breakroom_proto::identity::v1::{
    self as pb, store_event::Event as St, user_event::Event as Us,
};
use sqlx::PgConnection;

pub(super) async fn store(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let (tenant, id) = (&commit.commit.tenant, &commit.commit.aggregate_id);
    for event in commit.events::<pb::StoreEvent>()? {
        let query = match &event.event {
            Some(St::Created(e)) => sqlx::query(
                "INSERT INTO directory_stores (tenant, id, store_code, time_zone) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant, id) DO NOTHING",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.store_code)
            .bind(&e.time_zone),
            Some(St::Updated(e)) => sqlx::query(
                "UPDATE directory_stores SET store_code = $3, time_zone = $4 WHERE tenant = $1 AND id = $2",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.store_code)
            .bind(&e.time_zone),
            Some(St::Closed(_)) | Some(St::Reopened(_)) => {
                sqlx::query("UPDATE directory_stores SET closed = $3 WHERE tenant = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .bind(matches!(event.event, Some(St::Closed(_))))
            }
            Some(St::DepartmentAdded(e)) => sqlx::query(
                "UPDATE directory_stores SET departments = array_append(departments, $3) \
                 WHERE tenant = $1 AND id = $2 AND NOT ($3 = ANY(departments))",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.department_id),
            None => continue,
        };
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) async fn user(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let (tenant, id) = (&commit.commit.tenant, &commit.commit.aggregate_id);
    for event in commit.events::<pb::UserEvent>()? {
        let query = match &event.event {
            Some(Us::Invited(e)) => sqlx::query(
                "INSERT INTO directory_users (tenant, id, email, state) VALUES ($1, $2, $3, 'invited') \
                 ON CONFLICT (tenant, id) DO NOTHING",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.email),
            Some(Us::Updated(e)) => {
                sqlx::query("UPDATE directory_users SET email = $3 WHERE tenant = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .bind(&e.email)
            }
            Some(Us::Activated(_)) => sqlx::query(
                "UPDATE directory_users SET state = 'active' WHERE tenant = $1 AND id = $2",
            )
            .bind(tenant)
            .bind(id),
            Some(Us::Deactivated(_)) => sqlx::query(
                "UPDATE directory_users SET state = 'deactivated' WHERE tenant = $1 AND id = $2",
            )
            .bind(tenant)
            .bind(id),
            Some(Us::RoleGranted(e)) => sqlx::query(
                "INSERT INTO directory_memberships (tenant, user_id, store_id, department_id, role) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.store_id)
            .bind(&e.department_id)
            .bind(role_name(e.role)),
            Some(Us::RoleRevoked(e)) => sqlx::query(
                "DELETE FROM directory_memberships WHERE tenant = $1 AND user_id = $2 AND store_id = $3 \
                 AND department_id = $4 AND role = $5",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.store_id)
            .bind(&e.department_id)
            .bind(role_name(e.role)),
            _ => continue,
        };
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The read model's name of an identity role.
pub fn role_name(role: i32) -> &'static str {
    match pb::Role::try_from(role) {
        Ok(pb::Role::Employee) => "employee",
        Ok(pb::Role::TeamLead) => "team_lead",
        Ok(pb::Role::StoreManager) => "store_manager",
        Ok(pb::Role::HqAdmin) => "hq_admin",
        Ok(pb::Role::Integration) => "integration",
        _ => "unknown",
    }
}
