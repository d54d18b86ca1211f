//! Identity as every other service sees it: who is calling, and what identity's directory
//! says about them. One replica per service, built from identity's events into the
//! service's own database, the lookups that turn a verified token into a caller with
//! stores, departments and roles, and the typed reads services make of it.
//!
//! - `auth`: EdDSA access tokens, the caller's `Principal`, the `KeySet` that verifies
//!   them and the `Signer` identity issues them with.
//! - `signing_keys`: the key set followed from identity's signing-key events.
//! - `projection`: the read model (`kit_directory_*` tables, migration in
//!   `migrations-directory`) and how identity's events land in it.
//! - `role`: typed roles, memberships and a person's state (identity's own `Role` too).
//! - `caller`: the `Caller` and the offboarding rule.
//! - `read`: every read a service makes of the replica, as functions returning domain
//!   types (`read::inline`: the few SQL pieces a hot statement embeds).
//! - `delivery`: what notifications' delivery reads of it (offboarded recipients, e-mail
//!   addresses and locales).
//! - `callers`: the callers a replica looked up, kept until the projection's next batch.
//! - `invite_delivery`: invite codes identity seals for notifications to e-mail.
//! - this crate's root: `Directory` (the replica in one pool, the key set that verifies
//!   tokens, catching up with identity).
//!
//! A service attaches it with `Server::with_directory(&directory)` (the chassis): that
//! adds the projection (and its migration) and keeps the key set in step with identity's
//! signing keys. The tables are the directory's own: no other crate names them, and a
//! service never writes them.
#![forbid(unsafe_code)]

pub mod auth;
mod caller;
pub mod callers;
pub mod delivery;
pub mod invite_delivery;
mod projection;
pub mod read;
mod role;
pub mod signing_keys;

use std::time::Duration;

use breakroom_base::error::{Error, Result};
use sqlx::PgPool;

pub use caller::{Caller, refuse_offboarded};
pub use callers::Callers;
pub use projection::{DirectoryProjection, IDENTITY, PROJECTION};
pub use read::{Audience, Member, Reader, Store, Tenant, User};
pub use role::{Membership, Role, UserState};

use crate::auth::{KeySet, Principal};

/// The directory's migration (run by `Server::with_directory`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-directory");

/// The directory replica of one service: lookups and the verifier of access tokens.
#[derive(Debug, Clone)]
pub struct Directory {
    pool: PgPool,
    keys: KeySet,
    callers: Callers,
}

impl Directory {
    /// The directory in `pool`, verifying tokens with `keys` (kept in step with identity's
    /// signing keys once attached to a server with `Server::with_directory`).
    pub fn new(pool: PgPool, keys: KeySet) -> Self {
        Self {
            pool,
            keys,
            callers: Callers::default(),
        }
    }

    /// The key set verifying access tokens.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The callers looked up, kept until the replica changes (`Server::with_directory`
    /// listens for its changes; until then nothing is kept).
    pub fn callers(&self) -> &Callers {
        &self.callers
    }

    /// The database the replica lives in.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Authenticates a request and looks up the caller's roles. Offboarded people and
    /// deleted service accounts are refused at once (UNAUTHENTICATED), whatever their
    /// token's lifetime.
    ///
    /// A call that waits for a write to identity (a `breakroom-min-sequence` token of
    /// identity's stream) reads the caller afresh: it may have come to see an offboarding
    /// or a new role whose notification has not reached this replica yet (`callers`).
    pub async fn caller<T>(&self, request: &tonic::Request<T>) -> Result<Caller> {
        let principal = self.keys.authenticate(request)?;
        let after_identity = breakroom_events::consistency::min_tokens(request.metadata(), "")
            .is_ok_and(|tokens| tokens.iter().any(|t| t.service == IDENTITY));
        if after_identity {
            return self.look_up(principal).await;
        }
        self.caller_of(principal).await
    }

    /// Authenticates a request without looking the caller up: for a read whose own
    /// statement also reads the caller's state (`read::inline::state_of`), so that the
    /// offboarding check costs no statement of its own. The read must then call
    /// `refuse_offboarded` with that state, and `caller_of` when it read no row (or on
    /// any other error, so that an offboarded caller hears UNAUTHENTICATED first).
    pub fn authenticate<T>(&self, request: &tonic::Request<T>) -> Result<Principal> {
        self.keys.authenticate(request)
    }

    /// The caller a verified `principal` is.
    pub async fn caller_of(&self, principal: Principal) -> Result<Caller> {
        if principal.service_account {
            let deleted =
                read::service_account_deleted(&self.pool, &principal.tenant, &principal.user)
                    .await?;
            if deleted == Some(true) {
                return Err(Error::Unauthenticated(
                    "the service account was deleted".into(),
                ));
            }
            return Ok(Caller {
                principal,
                memberships: vec![],
            });
        }
        if let Some((state, memberships)) = self.callers.get(&principal.tenant, &principal.user) {
            refuse_offboarded(state.as_deref())?;
            return Ok(Caller {
                principal,
                memberships,
            });
        }
        self.look_up(principal).await
    }

    /// The caller `principal` is, read from the replica (and kept, see `callers`).
    async fn look_up(&self, principal: Principal) -> Result<Caller> {
        // One round trip: the person's state with every membership.
        let generation = self.callers.generation();
        let (state, memberships) =
            read::state_and_memberships(&self.pool, &principal.tenant, &principal.user).await?;
        self.callers.put(
            generation,
            &principal.tenant,
            &principal.user,
            state.as_deref(),
            &memberships,
        );
        refuse_offboarded(state.as_deref())?;
        Ok(Caller {
            principal,
            memberships,
        })
    }

    /// A chain; `None` when the replica does not know it (yet).
    pub async fn tenant(&self, tenant: &str) -> Result<Option<Tenant>> {
        read::tenant(&self.pool, tenant).await
    }

    /// A store with its departments; `None` when unknown.
    pub async fn store(&self, tenant: &str, store: &str) -> Result<Option<Store>> {
        read::store(&self.pool, tenant, store).await
    }

    /// A store by the chain's store code (case-insensitive); `None` when unknown.
    pub async fn store_by_code(&self, tenant: &str, code: &str) -> Result<Option<Store>> {
        read::store_by_code(&self.pool, tenant, code).await
    }

    /// A person; `None` when unknown.
    pub async fn user(&self, tenant: &str, user: &str) -> Result<Option<User>> {
        read::user(&self.pool, tenant, user).await
    }

    /// Everyone holding a role in `store`, offboarded people included (callers filter by
    /// state), ordered by user id.
    pub async fn store_members(&self, tenant: &str, store: &str) -> Result<Vec<Member>> {
        read::store_members(&self.pool, tenant, store).await
    }

    /// The memberships of a person.
    pub async fn memberships(&self, tenant: &str, user: &str) -> Result<Vec<Membership>> {
        read::memberships(&self.pool, tenant, user).await
    }

    /// Waits (at most `timeout`) until the replica has applied identity's stream up to
    /// `sequence`.
    pub async fn wait_for(&self, sequence: u64, stream: &str, timeout: Duration) -> Result<()> {
        breakroom_events::projector::wait_for(&self.pool, PROJECTION, stream, sequence, timeout)
            .await
    }
}
