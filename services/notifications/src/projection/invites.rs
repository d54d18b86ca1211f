//! The invites projection (`notifications_invites`): identity's `UserInvited` in, one
//! e-mail with the activation code out, in the projector's checkpointed transaction.
//!
//! Identity seals each new invite code with the key it shares with notifications
//! (`BREAKROOM_INVITE_DELIVERY_KEY`, the kit's `invite_delivery`) and records it on the
//! public event; the secrets stream is never read. The e-mail is a row of `emails` (id =
//! UUID v5 of tenant, user and the commit that issued the code) sent by the delivery
//! worker, so a redelivered or replayed commit writes nothing new, and like the inbox and
//! deliveries the rows survive a rebuild: a rebuild never e-mails again.
//!
//! Skipped, with a log line and never a retry loop: a code that does not open with this
//! key (keys differ, or it was copied onto another person), an invite whose code has
//! expired (by the service's clock), a person without an e-mail address, and a person the
//! directory already knows as activated or offboarded (a first start over old history).

use breakroom_base::{Error, Result};
use breakroom_directory::{UserState, invite_delivery::InviteDeliveryKey};
use breakroom_events::{
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use breakroom_proto::identity::v1::{UserEvent, UserInvited, user_event::Event as Ev};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{app::App, delivery::outbox, email};

/// Name of the invites projection (checkpoint, lease, consumer).
pub const INVITES: &str = "notifications_invites";

/// E-mails invited people their activation code.
#[derive(Debug)]
pub struct Invites {
    app: App,
    key: InviteDeliveryKey,
}

impl Invites {
    /// The projection opening codes with `key`; `app` gives the clock.
    pub fn new(app: App, key: InviteDeliveryKey) -> Self {
        Self { app, key }
    }

    async fn email(
        &self,
        conn: &mut PgConnection,
        commit: &RecordedCommit,
        invited: &UserInvited,
    ) -> Result<()> {
        let (tenant, user) = (commit.tenant(), commit.aggregate_id());
        if invited.sealed_invite_code.is_empty() || invited.email.is_empty() {
            return Ok(());
        }
        let Some(expires) = invited
            .invite_expire_time
            .as_ref()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        else {
            return Ok(());
        };
        let now = self.app.clock().utc();
        if expires <= now {
            tracing::info!(tenant, user, "invite code expired; no invite e-mail");
            return Ok(());
        }
        let code = match self.key.open(tenant, user, &invited.sealed_invite_code) {
            Ok(code) => code,
            Err(e) => {
                tracing::error!(
                    tenant,
                    user,
                    error = %e,
                    "invite code not e-mailed: is BREAKROOM_INVITE_DELIVERY_KEY identity's?"
                );
                return Ok(());
            }
        };
        // The tenant precedes its users on identity's stream, so the directory (its own
        // projection) has it soon; until then, retry rather than guess the language.
        let Some(chain) = breakroom_directory::read::tenant(&mut *conn, tenant).await? else {
            return Err(Error::Unavailable(format!(
                "tenant {tenant} not yet in the directory"
            )));
        };
        let (chain, locale, zone) = (chain.display_name, chain.locale, chain.time_zone);
        let person = breakroom_directory::read::user(&mut *conn, tenant, user).await?;
        if person.is_some_and(|p| p.state != UserState::Invited) {
            tracing::info!(
                tenant,
                user,
                "already activated or offboarded; no invite e-mail"
            );
            return Ok(());
        }
        let (expires, zone) = local_time(expires, &zone);
        let (subject, body) = email::invite(
            &locale,
            &email::InviteLetter {
                name: &invited.display_name,
                chain: &chain,
                code: &code,
                expires: &expires,
                time_zone: &zone,
            },
        );
        let id = Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("invite-email/{tenant}/{user}/{}", commit.commit_id()).as_bytes(),
        );
        email::enqueue(
            &mut *conn,
            email::Outgoing {
                id,
                tenant,
                user,
                address: &invited.email,
                subject,
                body,
            },
            now,
        )
        .await?;
        // Wakes the workers when the transaction commits.
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(outbox::WAKE_CHANNEL)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// `at` as `YYYY-MM-DD HH:MM` in the IANA zone `zone`, with the zone's name (UTC when the
/// zone is unknown).
fn local_time(at: DateTime<Utc>, zone: &str) -> (String, String) {
    let local = jiff::Timestamp::from_second(at.timestamp())
        .ok()
        .and_then(|t| Some((t, jiff::tz::TimeZone::get(zone).ok()?)))
        .map(|(t, tz)| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string());
    match local {
        Some(text) => (text, zone.to_owned()),
        None => (at.format("%Y-%m-%d %H:%M").to_string(), "UTC".into()),
    }
}

#[async_trait::async_trait]
impl Projection for Invites {
    fn name(&self) -> &'static str {
        INVITES
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source {
            service: "identity",
            filter: Some("user.>"),
        }]
    }

    fn serves_reads(&self) -> bool {
        false
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        if commit.aggregate_type() != "user" {
            return Ok(());
        }
        for event in commit.events::<UserEvent>()? {
            if let Some(Ev::Invited(invited)) = event.event {
                self.email(conn, commit, &invited).await?;
            }
        }
        Ok(())
    }

    async fn reset(&self, _conn: &mut PgConnection) -> Result<()> {
        // The e-mails stay: a rebuild must never e-mail again.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_is_shown_in_the_chains_zone() {
        let at = DateTime::<Utc>::from_timestamp(1_781_610_000, 0).unwrap_or_default();
        assert_eq!(
            local_time(at, "Europe/Amsterdam"),
            ("2026-06-16 13:40".into(), "Europe/Amsterdam".into())
        );
        assert_eq!(
            local_time(at, "Nowhere/Else"),
            ("2026-06-16 11:40".into(), "UTC".into())
        );
    }
}
