//! Resource names (AIP-122): `tenants/{tenant}/stores/{store}` split into their ids, each
//! checked to be a safe subject token, with an error that shows the expected pattern.

use crate::{
    error::{Error, Result},
    event_store::check_token,
};

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
