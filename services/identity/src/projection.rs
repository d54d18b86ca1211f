//! Identity's read model, projected from its own two streams: from the public one
//! tenants, stores, users with their memberships, sessions, service accounts and signing
//! keys; from the secrets stream only the pending invite codes' hashes (activation looks
//! the user up by them). Queries and lists read it; commands never do (they decide on
//! aggregates), except activation's lookup.
//!
//! - `directory`: tenants, stores, service accounts, signing keys.
//! - `people`: users, memberships, sessions.
//! - `credentials`: pending invite codes.

mod credentials;
mod directory;
mod people;

use breakroom_base::Result;
use breakroom_events::{
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::config::{SECRETS_SERVICE, SERVICE};

/// Name of the projection (checkpoint, lease, consumer).
pub const PROJECTION: &str = "identity_directory";

/// The read model.
#[derive(Debug, Default)]
pub struct IdentityProjection;

/// A commit's time as a database timestamp.
fn at(commit: &RecordedCommit) -> DateTime<Utc> {
    DateTime::<Utc>::from(commit.occurred_at())
}

/// A protobuf timestamp as a database timestamp (the epoch when unset).
fn ts(value: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    DateTime::<Utc>::from(crate::domain::instant(value))
}

#[async_trait::async_trait]
impl Projection for IdentityProjection {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all(SERVICE), Source::all(SECRETS_SERVICE)]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        match commit.aggregate_type() {
            "tenant" => directory::tenant(conn, commit).await,
            "store" => directory::store(conn, commit).await,
            "service_account" => directory::service_account(conn, commit).await,
            "signing_key" => directory::signing_key(conn, commit).await,
            "user" => people::user(conn, commit).await,
            // Only on the secrets stream.
            "credential" => credentials::credential(conn, commit).await,
            // Claims only guard uniqueness; the read model does not need them.
            _ => Ok(()),
        }
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        sqlx::query(
            "TRUNCATE tenants, stores, users, memberships, sessions, service_accounts, signing_keys, \
             invite_codes",
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
