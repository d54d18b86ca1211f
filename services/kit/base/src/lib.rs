//! The ground every other kit crate stands on: the words Breakroom's services share
//! before any of them touches NATS or serves a request.
//!
//! - `error`: the one error type and its single mapping to gRPC statuses.
//! - `names`: resource names (AIP-122) and the words safe in NATS subjects and headers.
//! - `namespace`: the deployment namespace that prefixes streams, subjects and databases.
//! - `paging`: page sizes and opaque page tokens (AIP-158).
//! - `text`: what text every request field may hold (the chassis checks it in a layer).
//! - `descriptors`: every message's descriptor, and an event's type name read from them.
//! - `retry`: the one retry policy (backon) of every loop that tries again.
#![forbid(unsafe_code)]

pub mod descriptors;
pub mod error;
pub mod names;
pub mod namespace;
pub mod paging;
pub mod retry;
pub mod text;

pub use error::{Error, Result};
