//! The one thing the read model takes from the secrets stream: pending invite codes, so
//! that ActivateUser can find the user a code belongs to.
//!
//! The public and the secrets stream are read by two consumers, in no order relative to
//! each other: a code is only stored while its user is not known to be past the
//! invitation, and the user's activation or offboarding removes it (`people`), so either
//! order ends in the same rows.

use breakroom_base::Result;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::identity::v1::{self as pb, credential_event::Event as Ev};
use sqlx::PgConnection;

pub(super) async fn credential(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let (tenant, id) = (commit.tenant(), commit.aggregate_id());
    for event in commit.events::<pb::CredentialEvent>()? {
        match event.event {
            Some(Ev::InviteCodeIssued(e)) => {
                sqlx::query(
                    "INSERT INTO invite_codes (tenant, user_id, code_hash) SELECT $1, $2, $3 \
                     WHERE NOT EXISTS (SELECT 1 FROM users \
                       WHERE tenant = $1 AND id = $2 AND state <> 'invited') \
                     ON CONFLICT (tenant, user_id) DO NOTHING",
                )
                .bind(tenant)
                .bind(id)
                .bind(&e.invite_code_hash)
                .execute(&mut *conn)
                .await?;
            }
            Some(Ev::Revoked(_)) => forget_invite(conn, tenant, id).await?,
            _ => {}
        }
    }
    Ok(())
}

/// Removes a user's pending invite code, if any.
pub(super) async fn forget_invite(conn: &mut PgConnection, tenant: &str, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM invite_codes WHERE tenant = $1 AND user_id = $2")
        .bind(tenant)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
