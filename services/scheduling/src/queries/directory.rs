//! Reads of the kit's directory replica that scheduling makes beyond `Directory`'s own
//! API: who may be scheduled in a store, stores by code and people by e-mail (the CSV
//! import).

use std::collections::{HashMap, HashSet};

use breakroom_kit::Result;
use sqlx::PgPool;

/// The people who may be scheduled in a store: holding a role there and not
/// offboarded (invited people count: the WFM plans them before they open the app).
pub async fn store_members(pool: &PgPool, tenant: &str, store: &str) -> Result<HashSet<String>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT u.id FROM kit_directory_users u JOIN kit_directory_memberships m \
         ON m.tenant = u.tenant AND m.user_id = u.id \
         WHERE u.tenant = $1 AND m.store_id = $2 AND u.state <> 'deactivated'",
    )
    .bind(tenant)
    .bind(store)
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().collect())
}

/// The tenant's store ids by upper-case store code.
pub async fn stores_by_code(pool: &PgPool, tenant: &str) -> Result<HashMap<String, String>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT upper(store_code), id FROM kit_directory_stores WHERE tenant = $1",
    )
    .bind(tenant)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect())
}

/// Ids of the tenant's people who are not offboarded, by lower-case e-mail, for the
/// lower-case `emails` given (every employee of a file in one statement).
pub async fn people_by_email(
    pool: &PgPool,
    tenant: &str,
    emails: &[String],
) -> Result<HashMap<String, String>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT lower(email), id FROM kit_directory_users \
         WHERE tenant = $1 AND lower(email) = ANY($2) AND state <> 'deactivated'",
    )
    .bind(tenant)
    .bind(emails)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect())
}
