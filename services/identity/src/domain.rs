//! Identity's aggregates: pure `decide` and `apply`, no I/O, no clock, no randomness.
//! The handlers in `app` put "now", new ids, hashes and verification results into the
//! commands.
//!
//! - `tenant`: a chain.
//! - `audit`: failed logins for accounts nobody holds, per tenant and hour.
//! - `store`: a store with its departments.
//! - `user`: a person, their memberships and their open login sessions.
//! - `service_account`: an integration.
//! - `credential`: the secrets of a user or service account (invite code, password,
//!   refresh tokens, API key); the only aggregate on the secrets stream.
//! - `claim`: the one holder of a value unique per tenant (e-mail, phone, store code).
//! - `signing_key`: a public key that verifies access tokens.
//! - `values`, `role`: value types built by parsing.

pub mod audit;
pub mod claim;
pub mod credential;
pub mod role;
pub mod service_account;
pub mod signing_key;
pub mod store;
pub mod tenant;
pub mod user;
pub mod values;

use std::time::SystemTime;

/// A protobuf timestamp for an instant.
pub fn timestamp(at: SystemTime) -> prost_types::Timestamp {
    at.into()
}

/// The instant of a protobuf timestamp; the epoch when unset or out of range.
pub fn instant(at: Option<&prost_types::Timestamp>) -> SystemTime {
    at.and_then(|t| SystemTime::try_from(*t).ok())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}
