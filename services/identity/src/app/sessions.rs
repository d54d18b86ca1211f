//! Login, logout and session revocation.
//!
//! Every failure of a login looks the same to the caller (UNAUTHENTICATED) and costs the
//! same: an unknown account still has a password verified (against a decoy hash). The
//! outcome is recorded as an event either way, so adoption and attacks are both visible.
//!
//! A successful password login writes the session's first refresh token to the user's
//! credential, then `UserLoggedIn` to the user. Stopped in between, the credential holds a
//! token nobody received and no session is open (so it refreshes nothing); the retry with
//! the same request id derives the same token and opens the session. Ending a session
//! ends it on the user (what authentication checks) and then forgets its refresh tokens.

use std::time::SystemTime;

use breakroom_base::{Error, Result, names::check_token};
use breakroom_directory::auth::Principal;
use breakroom_events::envelope::{CommandMeta, new_aggregate_id};
use breakroom_proto::identity::v1::{self as pb, login_failed::Reason};

use super::{App, caller::Caller};
use crate::{
    domain::{
        claim::ClaimKind,
        credential::CredentialCommand,
        service_account::ServiceAccountCommand,
        timestamp,
        user::UserCommand,
        values::{Email, Phone},
    },
    names,
    secrets::{self, RefreshTokenParts, digest},
};

/// What the client says about itself; recorded with every login.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// `DeviceClass` as sent.
    pub device_class: i32,
    /// Client version as sent.
    pub client_version: String,
    /// The peer address of the request.
    pub source_address: String,
}

/// What proves who logs in.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A user's e-mail and password.
    Email(Email, String),
    /// A user's phone and password.
    Phone(Phone, String),
    /// A service account's API key.
    ApiKey(String),
}

/// Tokens handed out by a login or refresh.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The access token (JWT).
    pub access_token: String,
    /// When it expires.
    pub access_expires: SystemTime,
    /// The refresh token; `None` for service accounts.
    pub refresh_token: Option<String>,
    /// The session's resource name; `None` for service accounts.
    pub session: Option<String>,
    /// Stream sequence of the commit.
    pub sequence: u64,
}

pub(super) fn rejected() -> Error {
    Error::Unauthenticated("invalid credentials".into())
}

impl App {
    pub(super) fn access_token(
        &self,
        principal: &Principal,
        now: SystemTime,
    ) -> Result<(String, SystemTime)> {
        let ttl = self.inner.config.access_token_ttl;
        Ok((self.signer().sign(principal, now, ttl)?, now + ttl))
    }

    /// Starts a login attempt (counted as failed until it succeeds); refused unchecked
    /// when the account or the source is at its limit.
    fn throttled(&self, account: &str, client: &Client) -> Result<()> {
        if !self.inner.throttle.attempt(account, &client.source_address) {
            tracing::warn!(account, source = %client.source_address, "login throttled");
            return Err(Error::ResourceExhausted(
                "too many failed logins; try again later".into(),
            ));
        }
        Ok(())
    }

    /// Records a failed login for an account nobody holds (in the tenant's hourly audit).
    async fn record_unknown(&self, tenant: &str, client: &Client, meta: &CommandMeta) {
        if self.existing_tenant(tenant).await.is_err() {
            return;
        }
        let failed = pb::LoginFailed {
            reason: Reason::UnknownAccount as i32,
            device_class: client.device_class,
            client_version: client.client_version.clone(),
            source_address: client.source_address.clone(),
        };
        let hour = jiff::Timestamp::try_from(meta.now())
            .map(|t| t.strftime("%Y%m%d%H").to_string())
            .unwrap_or_default();
        if let Err(e) = self
            .inner
            .audit
            .execute(tenant, &format!("h{hour}"), meta, &failed)
            .await
        {
            tracing::warn!(tenant, error = %e, "could not record a failed login");
        }
    }

    /// Logs in with a password or an API key.
    pub async fn login(
        &self,
        tenant: &str,
        credential: Credential,
        client: Client,
        meta: &CommandMeta,
    ) -> Result<Tokens> {
        let (kind, identifier, password) = match credential {
            Credential::ApiKey(key) => {
                return self.login_service_account(tenant, &key, client, meta).await;
            }
            Credential::Email(email, password) => (ClaimKind::Email, email.into_inner(), password),
            Credential::Phone(phone, password) => (ClaimKind::Phone, phone.into_inner(), password),
        };
        let account = format!("{tenant}/{identifier}");
        self.throttled(&account, &client)?;
        let owner = self.claim_owner(tenant, kind, &identifier).await?;
        let (user, credential) = match &owner {
            Some(id) => {
                // Two streams, one round trip.
                let (user, credential) = tokio::try_join!(
                    self.inner.users.load_current(tenant, id),
                    self.inner.credentials.load_current(tenant, id),
                )?;
                (Some(user.state), Some(credential.state))
            }
            None => (None, None),
        };
        let stored = credential.as_ref().map(|c| c.password_hash.as_str());
        let password_ok = self.inner.passwords.verify(&password, stored).await?;
        let (Some(user_id), Some(user)) = (owner, user) else {
            self.record_unknown(tenant, &client, meta).await;
            return Err(rejected());
        };
        let request_id = meta.request_id.as_deref();
        let session = new_aggregate_id(tenant, "session", request_id);
        let parts = RefreshTokenParts {
            tenant: tenant.to_owned(),
            user: user_id.clone(),
            session: session.clone(),
        };
        let secret = self
            .inner
            .secrets
            .token("refresh", &[tenant, &user_id, &session], request_id);
        let refresh_token = secrets::refresh_token(&parts, &secret);
        let refresh_hash = digest(&refresh_token);
        let now = meta.now();
        let expires = now + self.inner.config.refresh_token_ttl;
        // The secret first: only then may the public record say a session is open. An
        // inactive user's login is recorded as failed without touching the credential.
        let issued = if password_ok && user.is_active() {
            let family = CredentialCommand::OpenFamily {
                session_id: session.clone(),
                refresh_hash: refresh_hash.clone(),
                expires,
                now,
            };
            let committed = self.credential(tenant, &user_id, meta, &family).await?;
            committed.state.issued(&session, &refresh_hash)
        } else {
            false
        };
        let login = pb::UserLoggedIn {
            session_id: session.clone(),
            device_class: client.device_class,
            client_version: client.client_version.clone(),
            source_address: client.source_address.clone(),
            refresh_token_expire_time: Some(timestamp(expires)),
        };
        let command = UserCommand::Login {
            password_ok,
            login,
            now,
        };
        let committed = self
            .inner
            .users
            .execute(tenant, &user_id, meta, &command)
            .await?;
        // The password is checked here too: a replayed request id must not hand out the
        // session it opened for whoever sent the right password the first time; and the
        // token must still be the session's current one (not rotated since).
        let opened = password_ok && issued && committed.state.sessions.contains_key(&session);
        if !opened {
            return Err(rejected());
        }
        self.inner
            .throttle
            .succeeded(&account, &client.source_address);
        let principal = Principal {
            user: user_id.clone(),
            tenant: tenant.to_owned(),
            session: session.clone(),
            service_account: false,
        };
        let (access_token, access_expires) = self.access_token(&principal, now)?;
        Ok(Tokens {
            access_token,
            access_expires,
            refresh_token: Some(refresh_token),
            session: Some(names::session_name(tenant, &user_id, &session)),
            sequence: committed.sequence,
        })
    }

    async fn login_service_account(
        &self,
        tenant: &str,
        key: &str,
        client: Client,
        meta: &CommandMeta,
    ) -> Result<Tokens> {
        let Some((key_tenant, account_id)) = secrets::parse_api_key(key)
            .filter(|(t, a)| t == tenant && check_token("api_key", a).is_ok())
        else {
            self.throttled(&format!("{tenant}/malformed-key"), &client)?;
            self.record_unknown(tenant, &client, meta).await;
            return Err(rejected());
        };
        let account_key = format!("{key_tenant}/service-account/{account_id}");
        self.throttled(&account_key, &client)?;
        let account = self
            .inner
            .accounts
            .load_current(tenant, &account_id)
            .await?
            .state;
        if !account.exists {
            self.record_unknown(tenant, &client, meta).await;
            return Err(rejected());
        }
        let key_matches = self
            .inner
            .credentials
            .load_current(tenant, &account_id)
            .await?
            .state
            .api_key_matches(&digest(key));
        let session = new_aggregate_id(tenant, "session", meta.request_id.as_deref());
        let command = ServiceAccountCommand::Login {
            key_matches,
            login: pb::UserLoggedIn {
                session_id: session.clone(),
                device_class: client.device_class,
                client_version: client.client_version.clone(),
                source_address: client.source_address.clone(),
                ..Default::default()
            },
        };
        let committed = self
            .inner
            .accounts
            .execute(tenant, &account_id, meta, &command)
            .await?;
        if !key_matches || committed.state.deleted {
            return Err(rejected());
        }
        self.inner
            .throttle
            .succeeded(&account_key, &client.source_address);
        let principal = Principal {
            user: account_id,
            tenant: tenant.to_owned(),
            session,
            service_account: true,
        };
        let (access_token, access_expires) = self.access_token(&principal, meta.now())?;
        Ok(Tokens {
            access_token,
            access_expires,
            refresh_token: None,
            session: None,
            sequence: committed.sequence,
        })
    }

    /// Ends the caller's own session.
    pub async fn logout(&self, caller: &Caller, meta: &CommandMeta) -> Result<u64> {
        let (tenant, id, session) = caller.session()?;
        self.end_session(tenant, id, session, meta).await
    }

    /// Ends a session of a user: the user themselves or an admin of the tenant.
    pub async fn revoke_session(
        &self,
        caller: &Caller,
        tenant: &str,
        user: &str,
        session: &str,
        meta: &CommandMeta,
    ) -> Result<u64> {
        let name = names::session_name(tenant, user, session);
        caller.require_sessions_of(tenant, user, &name)?;
        self.end_session(tenant, user, session, meta)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound(name),
                other => other,
            })
    }

    async fn end_session(
        &self,
        tenant: &str,
        user: &str,
        session: &str,
        meta: &CommandMeta,
    ) -> Result<u64> {
        let command = UserCommand::RevokeSession {
            session_id: session.to_owned(),
        };
        let sequence = self
            .inner
            .users
            .execute(tenant, user, meta, &command)
            .await?
            .sequence;
        let forget = CredentialCommand::EndFamily {
            session_id: session.to_owned(),
        };
        self.tidy_credential(tenant, user, meta, &forget).await;
        Ok(sequence)
    }
}
