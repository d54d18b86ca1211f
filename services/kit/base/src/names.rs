//! Resource names (AIP-122): `tenants/{tenant}/stores/{store}` split into their ids, each
//! checked to be a safe subject token, with an error that shows the expected pattern; and
//! the check of the words that travel in NATS subjects and headers (ids, request ids).

use crate::error::{Error, Result};

/// Splits `name` by the literal `collections` and returns the ids in order, or an
/// INVALID_ARGUMENT for `field` naming `pattern`.
pub fn parse(field: &str, name: &str, collections: &[&str], pattern: &str) -> Result<Vec<String>> {
    let parts: Vec<&str> = name.split('/').collect();
    let invalid = || Error::invalid(field, format!("must be {pattern}"));
    if name.is_empty() {
        return Err(Error::invalid(field, format!("is required: {pattern}")));
    }
    if parts.len() != collections.len() * 2 {
        return Err(invalid());
    }
    let mut ids = Vec::with_capacity(collections.len());
    for (pair, collection) in parts.chunks(2).zip(collections) {
        if pair[0] != *collection || pair[1].is_empty() {
            return Err(invalid());
        }
        check_token(field, pair[1]).map_err(|_| invalid())?;
        ids.push(pair[1].to_owned());
    }
    Ok(ids)
}

/// Two ids of a name, e.g. `(tenant, store)`.
pub fn parse2(
    field: &str,
    name: &str,
    collections: [&str; 2],
    pattern: &str,
) -> Result<(String, String)> {
    let mut ids = parse(field, name, &collections, pattern)?.into_iter();
    Ok((
        ids.next().unwrap_or_default(),
        ids.next().unwrap_or_default(),
    ))
}

/// Checks that `value` can be one subject token (tenant or aggregate id).
pub fn check_token(field: &str, value: &str) -> Result<()> {
    check_word(field, value, 64)
}

/// Checks a client request id (a UUID fits); it travels in a NATS header.
pub fn check_request_id(request_id: &str) -> Result<()> {
    check_word("request_id", request_id, 128)
}

/// 1..=`max` characters of letters, digits, '-' or '_': safe as a subject token and in
/// a header, so `.`, `*`, `>`, spaces and line breaks cannot change what is addressed.
fn check_word(field: &str, value: &str, max: usize) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("must be 1-{max} characters of letters, digits, '-' or '_'"),
        ))
    }
}
