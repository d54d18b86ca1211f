//! Users, their memberships and their sessions in the read model.

use breakroom_base::Result;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::identity::v1::{self as pb, user_event::Event as Ev};
use sqlx::PgConnection;

use super::{at, ts};
use crate::domain::role::Membership;

pub(super) async fn user(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let (tenant, id) = (commit.tenant(), commit.aggregate_id());
    let now = at(commit);
    for event in commit.events::<pb::UserEvent>()? {
        let Some(event) = event.event else { continue };
        match event {
            Ev::Invited(e) => {
                sqlx::query(
                    "INSERT INTO users (tenant, id, display_name, email, phone, state, \
                     invite_expire_time, create_time) \
                     VALUES ($1, $2, $3, $4, $5, 'invited', $6, $7) ON CONFLICT (tenant, id) DO NOTHING",
                )
                .bind(tenant)
                .bind(id)
                .bind(&e.display_name)
                .bind(&e.email)
                .bind(&e.phone)
                .bind(ts(e.invite_expire_time.as_ref()))
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            Ev::Activated(_) => set_state(conn, tenant, id, "active").await?,
            Ev::Deactivated(_) => {
                set_state(conn, tenant, id, "deactivated").await?;
                sqlx::query("DELETE FROM sessions WHERE tenant = $1 AND user_id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Ev::Updated(e) => {
                sqlx::query(
                    "UPDATE users SET display_name = $3, email = $4, phone = $5 WHERE tenant = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(id)
                .bind(&e.display_name)
                .bind(&e.email)
                .bind(&e.phone)
                .execute(&mut *conn)
                .await?;
            }
            Ev::RoleGranted(e) => {
                if let Some(m) = Membership::from_event(&e.store_id, &e.department_id, e.role) {
                    sqlx::query(
                        "INSERT INTO memberships (tenant, user_id, store_id, department_id, role) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(tenant)
                    .bind(id)
                    .bind(&e.store_id)
                    .bind(&e.department_id)
                    .bind(m.role.as_str())
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Ev::RoleRevoked(e) => {
                if let Some(m) = Membership::from_event(&e.store_id, &e.department_id, e.role) {
                    sqlx::query(
                        "DELETE FROM memberships WHERE tenant = $1 AND user_id = $2 AND store_id = $3 \
                         AND department_id = $4 AND role = $5",
                    )
                    .bind(tenant)
                    .bind(id)
                    .bind(&e.store_id)
                    .bind(&e.department_id)
                    .bind(m.role.as_str())
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Ev::LoggedIn(e) => {
                sqlx::query(
                    "INSERT INTO sessions (tenant, user_id, id, device_class, client_version, \
                     create_time, last_use_time, expire_time) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(tenant)
                .bind(id)
                .bind(&e.session_id)
                .bind(e.device_class)
                .bind(&e.client_version)
                .bind(now)
                .bind(ts(e.refresh_token_expire_time.as_ref()))
                .execute(&mut *conn)
                .await?;
            }
            Ev::SessionRefreshed(e) => {
                sqlx::query(
                    "UPDATE sessions SET last_use_time = $4, expire_time = $5 \
                     WHERE tenant = $1 AND user_id = $2 AND id = $3",
                )
                .bind(tenant)
                .bind(id)
                .bind(&e.session_id)
                .bind(now)
                .bind(ts(e.refresh_token_expire_time.as_ref()))
                .execute(&mut *conn)
                .await?;
            }
            Ev::SessionRevoked(pb::SessionRevoked { session_id })
            | Ev::SessionFamilyRevoked(pb::SessionFamilyRevoked { session_id, .. }) => {
                sqlx::query("DELETE FROM sessions WHERE tenant = $1 AND user_id = $2 AND id = $3")
                    .bind(tenant)
                    .bind(id)
                    .bind(&session_id)
                    .execute(&mut *conn)
                    .await?;
            }
            Ev::LoginFailed(_) => {}
        }
    }
    Ok(())
}

async fn set_state(conn: &mut PgConnection, tenant: &str, id: &str, state: &str) -> Result<()> {
    sqlx::query("UPDATE users SET state = $3 WHERE tenant = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(state)
        .execute(&mut *conn)
        .await?;
    // Activation and offboarding both void the invite code.
    super::credentials::forget_invite(conn, tenant, id).await
}
