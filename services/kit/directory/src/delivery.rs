//! What delivering to people needs from the directory replica: who no longer gets
//! anything pushed (offboarded), and where and in which language to e-mail someone.

use breakroom_base::error::Result;

/// Those of `users` of `tenant` who are offboarded (deactivated); people the replica does
/// not know are not among them.
pub async fn deactivated_among<'e>(
    db: impl sqlx::PgExecutor<'e>,
    tenant: &str,
    users: &[&str],
) -> Result<Vec<String>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(
        "SELECT id FROM kit_directory_users \
         WHERE tenant = $1 AND id = ANY($2) AND state = 'deactivated'",
    )
    .bind(tenant)
    .bind(users)
    .fetch_all(db)
    .await?)
}

/// The e-mail address of `user` of `tenant` (empty when they have none) and their chain's
/// locale (`en` until the replica knows the chain); `None` for someone it does not know.
pub async fn mail_address<'e>(
    db: impl sqlx::PgExecutor<'e>,
    tenant: &str,
    user: &str,
) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.email, coalesce(t.locale, 'en') FROM kit_directory_users u \
         LEFT JOIN kit_directory_tenants t ON t.tenant = u.tenant WHERE u.tenant = $1 AND u.id = $2",
    )
    .bind(tenant)
    .bind(user)
    .fetch_optional(db)
    .await?)
}
