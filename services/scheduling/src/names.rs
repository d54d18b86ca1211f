//! Scheduling's resource names: parsing at the API boundary and formatting back.

use breakroom_base::{
    Result,
    names::{parse, parse2},
};

use crate::domain::time::Week;

/// `tenants/{tenant}` -> tenant.
pub fn tenant(field: &str, name: &str) -> Result<String> {
    Ok(parse(field, name, &["tenants"], "tenants/{tenant}")?
        .pop()
        .unwrap_or_default())
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

/// `tenants/{tenant}/stores/{store}/shifts/{shift}` -> (tenant, store, shift).
pub fn shift(field: &str, name: &str) -> Result<(String, String, String)> {
    let mut ids = parse(
        field,
        name,
        &["tenants", "stores", "shifts"],
        "tenants/{tenant}/stores/{store}/shifts/{shift}",
    )?
    .into_iter();
    Ok((
        ids.next().unwrap_or_default(),
        ids.next().unwrap_or_default(),
        ids.next().unwrap_or_default(),
    ))
}

/// The parent of a list of claims or swaps: one shift,
/// `tenants/{tenant}/stores/{store}/shifts/{shift}`, or every shift of a store,
/// `tenants/{tenant}/stores/{store}/shifts/-` (AIP-159) -> (tenant, store, shift or `None`).
/// Only the shift may be `-`: listing across stores or tenants is refused.
pub fn shifts_parent(field: &str, name: &str) -> Result<(String, String, Option<String>)> {
    let pattern = "tenants/{tenant}/stores/{store}/shifts/{shift} or \
                   tenants/{tenant}/stores/{store}/shifts/-";
    if name.is_empty() {
        return Err(breakroom_base::Error::invalid(
            field,
            format!("is required: {pattern}"),
        ));
    }
    let (tenant, store, shift) = shift(field, name)
        .map_err(|_| breakroom_base::Error::invalid(field, format!("must be {pattern}")))?;
    if tenant == "-" || store == "-" {
        return Err(breakroom_base::Error::invalid(
            field,
            "must name one store: only the shift may be `-`",
        ));
    }
    Ok((tenant, store, Some(shift).filter(|s| s != "-")))
}

/// `tenants/{tenant}/stores/{store}/shifts/{shift}/claims/{claim}` -> (tenant, store, shift, claim).
pub fn claim(field: &str, name: &str) -> Result<(String, String, String, String)> {
    let mut ids = parse(
        field,
        name,
        &["tenants", "stores", "shifts", "claims"],
        "tenants/{tenant}/stores/{store}/shifts/{shift}/claims/{claim}",
    )?
    .into_iter();
    let mut next = || ids.next().unwrap_or_default();
    Ok((next(), next(), next(), next()))
}

/// `tenants/{tenant}/stores/{store}/shifts/{shift}/swaps/{swap}` -> (tenant, store, shift, swap).
pub fn swap(field: &str, name: &str) -> Result<(String, String, String, String)> {
    let mut ids = parse(
        field,
        name,
        &["tenants", "stores", "shifts", "swaps"],
        "tenants/{tenant}/stores/{store}/shifts/{shift}/swaps/{swap}",
    )?
    .into_iter();
    let mut next = || ids.next().unwrap_or_default();
    Ok((next(), next(), next(), next()))
}

/// `tenants/{tenant}/users/{user}/shiftChanges/{change}` -> (tenant, user, change).
pub fn shift_change(field: &str, name: &str) -> Result<(String, String, String)> {
    let mut ids = parse(
        field,
        name,
        &["tenants", "users", "shiftChanges"],
        "tenants/{tenant}/users/{user}/shiftChanges/{change}",
    )?
    .into_iter();
    let mut next = || ids.next().unwrap_or_default();
    Ok((next(), next(), next()))
}

/// `tenants/{tenant}/users/{user}/timeOffRequests/{request}` -> (tenant, user, request).
pub fn time_off(field: &str, name: &str) -> Result<(String, String, String)> {
    let mut ids = parse(
        field,
        name,
        &["tenants", "users", "timeOffRequests"],
        "tenants/{tenant}/users/{user}/timeOffRequests/{request}",
    )?
    .into_iter();
    let mut next = || ids.next().unwrap_or_default();
    Ok((next(), next(), next()))
}

/// `tenants/{tenant}/stores/{store}/rosters/{week}` -> (tenant, store, week).
pub fn roster(field: &str, name: &str) -> Result<(String, String, Week)> {
    let pattern = "tenants/{tenant}/stores/{store}/rosters/{week}, week like 2026-W49";
    let parts: Vec<&str> = name.split('/').collect();
    let (tenant, store) = match parts.as_slice() {
        ["tenants", tenant, "stores", store, "rosters", _] => parse2(
            field,
            &format!("tenants/{tenant}/stores/{store}"),
            ["tenants", "stores"],
            pattern,
        )?,
        _ => {
            return Err(breakroom_base::Error::invalid(
                field,
                format!("must be {pattern}"),
            ));
        }
    };
    let week = Week::parse(field, parts[5])?;
    Ok((tenant, store, week))
}

/// `tenants/{tenant}/users/{user}/calendarFeed` -> (tenant, user).
pub fn calendar_feed(field: &str, name: &str) -> Result<(String, String)> {
    let pattern = "tenants/{tenant}/users/{user}/calendarFeed";
    match name.strip_suffix("/calendarFeed") {
        Some(user_name) => parse2(field, user_name, ["tenants", "users"], pattern),
        None => Err(breakroom_base::Error::invalid(
            field,
            format!("must be {pattern}"),
        )),
    }
}

/// Formats a tenant name.
pub fn tenant_name(tenant: &str) -> String {
    format!("tenants/{tenant}")
}

/// Formats a store name.
pub fn store_name(tenant: &str, store: &str) -> String {
    format!("tenants/{tenant}/stores/{store}")
}

/// Formats a user name.
pub fn user_name(tenant: &str, user: &str) -> String {
    format!("tenants/{tenant}/users/{user}")
}

/// Formats a shift name.
pub fn shift_name(tenant: &str, store: &str, shift: &str) -> String {
    format!("tenants/{tenant}/stores/{store}/shifts/{shift}")
}

/// Formats a roster name.
pub fn roster_name(tenant: &str, store: &str, week: &Week) -> String {
    format!("tenants/{tenant}/stores/{store}/rosters/{week}")
}
