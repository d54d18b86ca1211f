//! The deployment namespace (`BREAKROOM_NAMESPACE`): read by a service's configuration,
//! it prefixes the event store's streams and subjects, the projectors' consumers and
//! leases, and the test support's databases.

use crate::error::{Error, Result};

/// A deployment namespace: prefixes streams, subjects, consumers and KV buckets so that
/// environments and tests can share one NATS server without touching each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace(String);

impl Namespace {
    /// Accepts 1..=32 characters of `[a-z0-9_]`, starting with a letter (valid in subjects,
    /// stream names and database identifiers alike).
    pub fn parse(value: &str) -> Result<Self> {
        let ok = !value.is_empty()
            && value.len() <= 32
            && value.starts_with(|c: char| c.is_ascii_lowercase())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::invalid(
                "BREAKROOM_NAMESPACE",
                "1-32 characters of [a-z0-9_], starting with a letter",
            ))
        }
    }

    /// The namespace as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn namespaces_must_be_usable_as_subject_tokens_and_identifiers() {
        assert!(Namespace::parse("dev").is_ok());
        assert!(Namespace::parse("t_0192ab").is_ok());
        for bad in ["", "Dev", "a.b", "a-b", "1abc", "a*", &"a".repeat(33)] {
            assert!(Namespace::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
