//! Calendar feed URLs: one secret URL per employee, replaced on creation, revocable.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use breakroom_base::{Error, Result};
use breakroom_directory::Caller;
use breakroom_events::envelope::CommandMeta;
use sha2::{Digest, Sha256};

use super::App;
use crate::{domain::calendar::CalendarFeedCommand, names};

/// SHA-256 of a feed token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl App {
    /// The feed token for a request: derived from the request id with the service's key
    /// (a retry gets the same URL), random without one.
    fn feed_token(&self, tenant: &str, user: &str, request_id: Option<&str>) -> String {
        let bytes: [u8; 32] = match request_id {
            Some(request_id) => {
                let mut hasher = Sha256::new();
                hasher.update(self.inner.config.calendar_token_key);
                for part in [tenant, user, request_id] {
                    hasher.update((part.len() as u64).to_be_bytes());
                    hasher.update(part.as_bytes());
                }
                hasher.finalize().into()
            }
            None => rand::random(),
        };
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The public URL of a token.
    pub fn feed_url(&self, token: &str) -> String {
        let base = self
            .inner
            .calendar_base_url
            .read()
            .map(|b| b.clone())
            .unwrap_or_default();
        format!("{base}/calendar/{token}.ics")
    }

    /// Creates (or replaces) the caller's feed and returns its URL.
    pub async fn create_calendar_feed(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
        meta: &CommandMeta,
    ) -> Result<(String, u64)> {
        let name = names::user_name(tenant, user);
        caller.see_tenant(tenant, &name)?;
        if caller.is_integration() || caller.id() != user {
            return Err(Error::denied(
                "NOT_YOURSELF",
                "a calendar feed is made by its own employee",
            ));
        }
        let token = self.feed_token(tenant, user, meta.request_id.as_deref());
        let command = CalendarFeedCommand::Create {
            token_hash: token_hash(&token),
        };
        let committed = self
            .inner
            .feeds
            .execute(tenant, user, meta, &command)
            .await?;
        Ok((self.feed_url(&token), committed.sequence))
    }

    /// Revokes the caller's feed.
    pub async fn revoke_calendar_feed(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
        meta: &CommandMeta,
    ) -> Result<u64> {
        let name = format!("{}/calendarFeed", names::user_name(tenant, user));
        caller.see_tenant(tenant, &name)?;
        if caller.is_integration() || caller.id() != user {
            return Err(Error::denied(
                "NOT_YOURSELF",
                "a calendar feed is revoked by its own employee",
            ));
        }
        let committed = self
            .inner
            .feeds
            .execute(tenant, user, meta, &CalendarFeedCommand::Revoke)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound(name),
                other => other,
            })?;
        Ok(committed.sequence)
    }
}
