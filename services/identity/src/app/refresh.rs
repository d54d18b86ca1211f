//! Refresh-token rotation and reuse detection.
//!
//! The refresh token's family lives in the user's credential (secrets stream); whether the
//! session is open lives in the user (public stream), which is what every authenticated
//! call checks. A refresh therefore
//!
//! 1. checks that the user is active and the session open (refused otherwise, without
//!    touching the credential);
//! 2. rotates the token in the credential, or finds a used one there (reuse);
//! 3. records the outcome on the user: `SessionRefreshed` (which is refused, and so is
//!    the refresh, if the session ended meanwhile) or `SessionFamilyRevoked`.
//!
//! Stopped between 2 and 3: a rotation nobody received is answered by the retry with the
//! same request id (the same next token is derived from it); a detected reuse is reported
//! to whoever presents any token of the family next, which ends the session then.

use std::time::Duration;

use breakroom_base::{Error, Result, names::check_token};
use breakroom_directory::auth::Principal;
use breakroom_events::envelope::CommandMeta;
use breakroom_proto::identity::v1 as pb;

use super::{
    App,
    sessions::{Client, Tokens},
};
use crate::{
    domain::{
        credential::{CredentialCommand, RefreshOutcome},
        timestamp,
        user::UserCommand,
    },
    names,
    secrets::{self, RefreshTokenParts, digest},
};

/// How long after a refresh a retry with the same request id is answered again.
const REPLAY_WINDOW: Duration = Duration::from_secs(60);

fn invalid() -> Error {
    Error::Unauthenticated("refresh token is invalid or expired".into())
}

impl App {
    /// Exchanges a refresh token; an already-used one ends its whole session.
    pub async fn refresh(&self, token: &str, client: Client, meta: &CommandMeta) -> Result<Tokens> {
        let parts = secrets::parse_refresh_token(token)
            .filter(|p| {
                [&p.tenant, &p.user, &p.session]
                    .iter()
                    .all(|t| check_token("refresh_token", t).is_ok())
            })
            .ok_or_else(invalid)?;
        let RefreshTokenParts {
            tenant,
            user,
            session,
        } = &parts;
        let current = self.inner.users.load_current(tenant, user).await?.state;
        if !current.is_active() || !current.sessions.contains_key(session) {
            return Err(invalid());
        }
        let request_id = meta.request_id.as_deref();
        let secret =
            self.inner
                .secrets
                .token("refresh", &[tenant, user, session, token], request_id);
        let next_token = secrets::refresh_token(&parts, &secret);
        let next_hash = digest(&next_token);
        let now = meta.now();
        let ttl = self.inner.config.refresh_token_ttl;
        let command = CredentialCommand::Refresh {
            session_id: session.clone(),
            presented_hash: digest(token),
            next_hash: next_hash.clone(),
            next_expires: now + ttl,
            now,
        };
        let rotated = self.credential(tenant, user, meta, &command).await?;
        let family = rotated.state.families.get(session);
        match rotated.state.refresh_outcome(session, &next_hash) {
            RefreshOutcome::Reused => {
                tracing::warn!(tenant, user, session, "refresh token reused; session ended");
                let end = UserCommand::RevokeFamily {
                    session_id: session.clone(),
                    source_address: client.source_address,
                };
                self.inner.users.execute(tenant, user, meta, &end).await?;
                return Err(Error::Unauthenticated(
                    "refresh token was already used; the session has ended".into(),
                ));
            }
            RefreshOutcome::Invalid => return Err(invalid()),
            RefreshOutcome::Rotated => {}
        }
        // A replayed request id is answered again only shortly after the rotation it made
        // (a client retrying a lost reply); later, the old token is plain reuse.
        let fresh = !rotated.replayed
            || family
                .and_then(|f| f.expires.checked_sub(ttl))
                .is_some_and(|rotated_at| rotated_at + REPLAY_WINDOW > now);
        if !fresh {
            return Err(invalid());
        }
        let expires = family.map_or(now + ttl, |f| f.expires);
        let record = UserCommand::Refresh(pb::SessionRefreshed {
            session_id: session.clone(),
            refresh_token_expire_time: Some(timestamp(expires)),
        });
        let committed = self
            .inner
            .users
            .execute(tenant, user, meta, &record)
            .await?;
        let principal = Principal {
            user: user.clone(),
            tenant: tenant.clone(),
            session: session.clone(),
            service_account: false,
        };
        let (access_token, access_expires) = self.access_token(&principal, now)?;
        Ok(Tokens {
            access_token,
            access_expires,
            refresh_token: Some(next_token),
            session: Some(names::session_name(tenant, user, session)),
            sequence: committed.sequence,
        })
    }
}
