//! Command handling: authorize the caller, load the aggregates, decide, append (via the
//! kit's repositories). The gRPC layer converts; this layer decides who may do what and
//! orchestrates commands that touch more than one aggregate (a user and the claim on
//! their e-mail address; a user and their credential on the secrets stream).
//!
//! A flow that writes a credential and a public aggregate writes the credential first:
//! a public fact (invited, active, logged in, created) then never names a secret that
//! is not recorded, and a flow stopped between the two writes leaves only a secret nobody
//! can use, which a retry with the same request id completes.
//!
//! - `caller`: who is calling and what they may do.
//! - `directory`: tenants and stores.
//! - `invitations`: inviting one person or a whole store, activation.
//! - `people`: profiles, roles, offboarding.
//! - `sessions`: login, logout, session revocation.
//! - `refresh`: refresh-token rotation and reuse detection.
//! - `accounts`: service accounts.
//! - `keys`: the signing key: loading, publishing, verifying.

pub mod accounts;
pub mod caller;
pub mod directory;
pub mod invitations;
pub mod keys;
pub mod people;
pub mod refresh;
pub mod sessions;

use std::sync::Arc;

use breakroom_base::{Error, Result};
use breakroom_chassis::server::Infra;
use breakroom_directory::auth::{KeySet, Signer, single_authorization};
use breakroom_events::{
    consistency::ReadModel, envelope::CommandMeta, event_store::EventStore, repository::Repository,
};
use subtle::ConstantTimeEq;

use self::caller::Caller;
use crate::{
    config::{IdentityConfig, SECRETS_SERVICE},
    domain::{
        audit::LoginAudit,
        claim::{Claim, ClaimCommand, ClaimKind, claim_id},
        credential::{Credential, CredentialCommand},
        service_account::ServiceAccount,
        signing_key::SigningKey,
        store::Store,
        tenant::Tenant,
        user::User,
    },
    projection::PROJECTION,
    secrets::{Passwords, Secrets},
    throttle::Throttle,
};

/// Identity's command side, shared by the gRPC handlers.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: IdentityConfig,
    tenants: Arc<Repository<Tenant>>,
    audit: Arc<Repository<LoginAudit>>,
    stores: Arc<Repository<Store>>,
    users: Arc<Repository<User>>,
    accounts: Arc<Repository<ServiceAccount>>,
    claims: Arc<Repository<Claim>>,
    signing_keys: Arc<Repository<SigningKey>>,
    /// Credentials, on the secrets stream `<NS>_IDENTITY_SECRETS`.
    credentials: Arc<Repository<Credential>>,
    /// Hashes and checks passwords off the runtime.
    passwords: Passwords,
    /// Derives retry-stable secrets.
    secrets: Secrets,
    /// Signs access tokens with the current key.
    signer: Signer,
    /// Verifies access tokens: the current key plus every published one.
    keys: KeySet,
    /// Failed-login counters.
    throttle: Throttle,
    /// Identity's read model (lists, gets), as far as it applied the public stream.
    read: ReadModel,
    /// The same read model as far as it applied the secrets stream (invite-code lookup).
    secrets_read: ReadModel,
}

impl App {
    /// Builds the command side on `infra` with the signing key of `config`.
    pub fn new(config: IdentityConfig, infra: &Infra) -> Result<Self> {
        let signer = keys::load_signer(&config)?;
        let keys = KeySet::new();
        keys.insert(signer.kid(), &signer.public_x())?;
        let cache = infra.config.cache_size;
        let secrets = EventStore::new(
            infra.js.clone(),
            infra.config.namespace.clone(),
            SECRETS_SERVICE,
            infra.config.duplicate_window,
        )
        .with_replicas(infra.config.stream_replicas);
        let concurrency = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            inner: Arc::new(Inner {
                tenants: Repository::new(infra.store.clone(), cache),
                audit: Repository::new(infra.store.clone(), 64),
                stores: Repository::new(infra.store.clone(), cache),
                users: Repository::new(infra.store.clone(), cache),
                accounts: Repository::new(infra.store.clone(), cache),
                claims: Repository::new(infra.store.clone(), cache),
                signing_keys: Repository::new(infra.store.clone(), 16),
                secrets_read: ReadModel::new(
                    infra.pool.clone(),
                    PROJECTION,
                    secrets.stream_name().to_owned(),
                ),
                credentials: Repository::new(secrets, cache),
                passwords: Passwords::new(config.argon2, concurrency)?,
                secrets: Secrets::new(&signer.seed()),
                throttle: Throttle::new(config.failures_per_account, config.failures_per_source),
                read: ReadModel::new(
                    infra.pool.clone(),
                    PROJECTION,
                    infra.store.stream_name().to_owned(),
                ),
                signer,
                keys,
                config,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &IdentityConfig {
        &self.inner.config
    }

    /// The key set verifying access tokens.
    pub fn keys(&self) -> &KeySet {
        &self.inner.keys
    }

    /// The read model.
    pub fn read(&self) -> &ReadModel {
        &self.inner.read
    }

    /// The secrets stream's event store (created at start-up next to the main stream).
    pub fn secrets_store(&self) -> &EventStore {
        self.inner.credentials.store()
    }

    /// Authenticates a request's bearer credential: the operator token, or an access token
    /// whose user is still active with that session open (or whose service account exists).
    /// A request with more than one `authorization` entry is refused whatever they hold.
    pub async fn caller<T>(&self, request: &tonic::Request<T>) -> Result<Caller> {
        let presented = bearer(request)?;
        if let Some(expected) = &self.inner.config.operator_token
            && let Some(presented) = presented
            && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
        {
            return Ok(Caller::Operator);
        }
        let principal = self.inner.keys.authenticate(request)?;
        let ended = || Error::Unauthenticated("the session has ended".into());
        if principal.service_account {
            let account = self
                .inner
                .accounts
                .load_current(&principal.tenant, &principal.user)
                .await?;
            if !account.state.exists || account.state.deleted {
                return Err(ended());
            }
            return Ok(Caller::ServiceAccount {
                tenant: principal.tenant,
                id: principal.user,
            });
        }
        let user = self
            .inner
            .users
            .load_current(&principal.tenant, &principal.user)
            .await?;
        if !user.state.is_active() || !user.state.sessions.contains_key(&principal.session) {
            return Err(ended());
        }
        Ok(Caller::User {
            tenant: principal.tenant,
            id: principal.user,
            session: principal.session,
            user: Box::new(user.state),
        })
    }

    /// Takes the unique `value` of `kind` for `owner`; ALREADY_EXISTS when another owner
    /// holds it. True when this call took it (false: the owner held it already).
    async fn claim(
        &self,
        tenant: &str,
        kind: ClaimKind,
        value: &str,
        owner: &str,
        meta: &CommandMeta,
    ) -> Result<bool> {
        let command = ClaimCommand::Take {
            owner: owner.to_owned(),
            kind,
        };
        self.inner
            .claims
            .execute(tenant, &claim_id(kind, value), meta, &command)
            .await
            .map(|committed| !committed.events.is_empty())
    }

    /// The current holder of a unique value.
    async fn claim_owner(
        &self,
        tenant: &str,
        kind: ClaimKind,
        value: &str,
    ) -> Result<Option<String>> {
        Ok(self
            .inner
            .claims
            .load_current(tenant, &claim_id(kind, value))
            .await?
            .state
            .owner)
    }

    /// Gives up a unique value; failures are logged, not returned: a stale claim only
    /// blocks that value until released by hand, it never corrupts anything.
    async fn release(&self, tenant: &str, kind: ClaimKind, value: &str, owner: &str, actor: &str) {
        let command = ClaimCommand::Release {
            owner: owner.to_owned(),
        };
        let meta = CommandMeta::new(actor);
        if let Err(e) = self
            .inner
            .claims
            .execute(tenant, &claim_id(kind, value), &meta, &command)
            .await
        {
            tracing::warn!(tenant, ?kind, owner, error = %e, "could not release a claim");
        }
    }

    /// Runs a command on the credential of account `id`.
    async fn credential(
        &self,
        tenant: &str,
        id: &str,
        meta: &CommandMeta,
        command: &CredentialCommand,
    ) -> Result<breakroom_events::repository::Committed<Credential>> {
        self.inner
            .credentials
            .execute(tenant, id, meta, command)
            .await
    }

    /// Tidies a credential after the public aggregate already decided (a session ended,
    /// an account offboarded). Failures are logged, not returned: the public aggregate is
    /// what authentication checks, so a leftover secret opens nothing; it expires or goes
    /// with the next revocation.
    async fn tidy_credential(
        &self,
        tenant: &str,
        id: &str,
        meta: &CommandMeta,
        command: &CredentialCommand,
    ) {
        if let Err(e) = self.credential(tenant, id, meta, command).await {
            tracing::warn!(tenant, id, error = %e, "could not tidy a credential");
        }
    }
}

/// Whether a failed command certainly wrote nothing, so that what was claimed for it can
/// be given back. A timeout or an unreachable server may have written after all, and
/// "already exists" may be the very aggregate a retry is about: keep the claim then.
fn unwritten(error: &Error) -> bool {
    matches!(
        error,
        Error::Invalid(_)
            | Error::NotFound(_)
            | Error::FailedPrecondition { .. }
            | Error::PermissionDenied { .. }
            | Error::Unauthenticated(_)
    )
}

/// The bearer token of a request, if any; UNAUTHENTICATED when it has two.
fn bearer<T>(request: &tonic::Request<T>) -> Result<Option<&str>> {
    Ok(single_authorization(request.metadata())?
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim))
}
