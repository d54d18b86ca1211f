//! Feed's resource names (AIP-122) and their parsing into ids.

use breakroom_base::{Result, names};

/// `tenants/{t}`.
pub fn tenant(field: &str, name: &str) -> Result<String> {
    Ok(names::parse(field, name, &["tenants"], "tenants/{tenant}")?.remove(0))
}

/// `tenants/{t}/groups/{g}` -> (tenant, group).
pub fn group(field: &str, name: &str) -> Result<(String, String)> {
    names::parse2(
        field,
        name,
        ["tenants", "groups"],
        "tenants/{tenant}/groups/{group}",
    )
}

/// `tenants/{t}/groups/{g}/posts/{p}` -> (tenant, group, post).
pub fn post(field: &str, name: &str) -> Result<(String, String, String)> {
    let mut ids = names::parse(
        field,
        name,
        &["tenants", "groups", "posts"],
        "tenants/{tenant}/groups/{group}/posts/{post}",
    )?
    .into_iter();
    Ok((
        ids.next().unwrap_or_default(),
        ids.next().unwrap_or_default(),
        ids.next().unwrap_or_default(),
    ))
}

/// `tenants/{t}/groups/{g}/posts/{p}/comments/{c}` -> (tenant, group, post, comment).
pub fn comment(field: &str, name: &str) -> Result<(String, String, String, String)> {
    let ids = names::parse(
        field,
        name,
        &["tenants", "groups", "posts", "comments"],
        "tenants/{tenant}/groups/{group}/posts/{post}/comments/{comment}",
    )?;
    Ok((
        ids[0].clone(),
        ids[1].clone(),
        ids[2].clone(),
        ids[3].clone(),
    ))
}

/// `tenants/{t}/users/{u}` -> (tenant, user).
pub fn user(field: &str, name: &str) -> Result<(String, String)> {
    names::parse2(
        field,
        name,
        ["tenants", "users"],
        "tenants/{tenant}/users/{user}",
    )
}

/// `tenants/{t}/stores/{s}` -> (tenant, store).
pub fn store(field: &str, name: &str) -> Result<(String, String)> {
    names::parse2(
        field,
        name,
        ["tenants", "stores"],
        "tenants/{tenant}/stores/{store}",
    )
}

/// Name of a group.
pub fn group_name(tenant: &str, group: &str) -> String {
    format!("tenants/{tenant}/groups/{group}")
}

/// Name of a post.
pub fn post_name(tenant: &str, group: &str, post: &str) -> String {
    format!("tenants/{tenant}/groups/{group}/posts/{post}")
}

/// Name of a comment.
pub fn comment_name(tenant: &str, group: &str, post: &str, comment: &str) -> String {
    format!("tenants/{tenant}/groups/{group}/posts/{post}/comments/{comment}")
}

/// Name of a user.
pub fn user_name(tenant: &str, user: &str) -> String {
    format!("tenants/{tenant}/users/{user}")
}

/// Name of a store (empty for none).
pub fn store_name(tenant: &str, store: &str) -> String {
    if store.is_empty() {
        String::new()
    } else {
        format!("tenants/{tenant}/stores/{store}")
    }
}

/// Name of a card: in its group, or the recipient's.
pub fn card_name(tenant: &str, group: &str, recipient: &str, card: &str) -> String {
    if group.is_empty() {
        format!("tenants/{tenant}/users/{recipient}/cards/{card}")
    } else {
        format!("tenants/{tenant}/groups/{group}/cards/{card}")
    }
}

/// Name of a tenant.
pub fn tenant_name(tenant: &str) -> String {
    format!("tenants/{tenant}")
}
