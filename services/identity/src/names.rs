//! Resource names (AIP-122): parsing them at the API boundary and formatting them back.

use breakroom_base::Result;

use crate::domain::values::TenantId;

use breakroom_base::names::{parse, parse2};

fn one(ids: Vec<String>) -> String {
    ids.into_iter().next().unwrap_or_default()
}

/// `tenants/{tenant}` -> tenant id.
pub fn tenant(field: &str, name: &str) -> Result<String> {
    let id = one(parse(field, name, &["tenants"], "tenants/{tenant}")?);
    TenantId::parse(field, &id)?;
    Ok(id)
}

/// `tenants/{tenant}/stores/{store}` -> (tenant, store).
pub fn store(field: &str, name: &str) -> Result<(String, String)> {
    parse2(
        field,
        name,
        ["tenants", "stores"],
        "tenants/{tenant}/stores/{store}",
    )
}

/// `tenants/{tenant}/users/{user}` -> (tenant, user).
pub fn user(field: &str, name: &str) -> Result<(String, String)> {
    parse2(
        field,
        name,
        ["tenants", "users"],
        "tenants/{tenant}/users/{user}",
    )
}

/// `tenants/{tenant}/serviceAccounts/{service_account}` -> (tenant, id).
pub fn service_account(field: &str, name: &str) -> Result<(String, String)> {
    parse2(
        field,
        name,
        ["tenants", "serviceAccounts"],
        "tenants/{tenant}/serviceAccounts/{service_account}",
    )
}

/// `tenants/{tenant}/users/{user}/sessions/{session}` -> (tenant, user, session).
pub fn session(field: &str, name: &str) -> Result<(String, String, String)> {
    let ids = parse(
        field,
        name,
        &["tenants", "users", "sessions"],
        "tenants/{tenant}/users/{user}/sessions/{session}",
    )?;
    let mut ids = ids.into_iter();
    Ok((
        ids.next().unwrap_or_default(),
        ids.next().unwrap_or_default(),
        ids.next().unwrap_or_default(),
    ))
}

/// Formats `tenants/{tenant}`.
pub fn tenant_name(tenant: &str) -> String {
    format!("tenants/{tenant}")
}

/// Formats `tenants/{tenant}/stores/{store}`.
pub fn store_name(tenant: &str, store: &str) -> String {
    format!("tenants/{tenant}/stores/{store}")
}

/// Formats `tenants/{tenant}/users/{user}`.
pub fn user_name(tenant: &str, user: &str) -> String {
    format!("tenants/{tenant}/users/{user}")
}

/// Formats `tenants/{tenant}/serviceAccounts/{id}`.
pub fn service_account_name(tenant: &str, id: &str) -> String {
    format!("tenants/{tenant}/serviceAccounts/{id}")
}

/// Formats `tenants/{tenant}/users/{user}/sessions/{session}`.
pub fn session_name(tenant: &str, user: &str, session: &str) -> String {
    format!("tenants/{tenant}/users/{user}/sessions/{session}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_parse_into_ids_and_wrong_shapes_name_the_pattern() {
        assert_eq!(
            store("name", "tenants/acme/stores/s1").unwrap(),
            ("acme".into(), "s1".into())
        );
        assert_eq!(tenant("parent", "tenants/acme").unwrap(), "acme");
        let err = store("name", "tenants/acme/users/s1").unwrap_err();
        assert!(
            err.to_string().contains("tenants/{tenant}/stores/{store}"),
            "{err}"
        );
        assert!(user("name", "tenants/acme/users/a.b").is_err());
        assert!(user("name", "tenants/acme/users/").is_err());
        assert!(
            tenant("parent", "")
                .unwrap_err()
                .to_string()
                .contains("required")
        );
    }
}
