//! Announcements' readers: an audience resolved from the directory, and the first
//! membership and name of given people (what an announcement's roll-up snapshots).

use breakroom_base::error::Result;
use sqlx::PgExecutor;

use crate::Role;

/// A reader of an announcement with what its roll-up snapshots: their first membership
/// (by store, chain-wide last, then role) and their name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// User id.
    pub user: String,
    /// Store of their first membership (empty: chain-wide, or none).
    pub store: String,
    /// That membership's role (`None`: no membership).
    pub role: Option<Role>,
    /// Display name (empty when the directory does not know them).
    pub display_name: String,
}

/// Who an announcement is for: people with a membership matching every non-empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    /// Store ids.
    pub stores: Vec<String>,
    /// Regions of stores.
    pub regions: Vec<String>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Department ids (a whole-store membership counts in every department).
    pub departments: Vec<String>,
}

/// A reader's row: user, first store, first role, name.
type ReaderRow = (String, String, String, String);

fn reader_of((user, store, role, display_name): ReaderRow) -> Reader {
    Reader {
        user,
        store,
        role: Role::parse(&role),
        display_name,
    }
}

/// Each of `users`, in order, as an announcement's reader (`Reader`); people the
/// directory does not know come with an empty store, no role and an empty name.
pub async fn readers<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    users: &[String],
) -> Result<Vec<Reader>> {
    let rows: Vec<ReaderRow> = sqlx::query_as(
        "SELECT x.u, COALESCE(m.store_id, ''), COALESCE(m.role, ''), \
           COALESCE(du.display_name, '') \
         FROM UNNEST($2::text[]) WITH ORDINALITY AS x(u, i) \
         LEFT JOIN LATERAL (SELECT store_id, role FROM kit_directory_memberships \
           WHERE tenant = $1 AND user_id = x.u ORDER BY store_id = '', store_id, role \
           LIMIT 1) m ON TRUE \
         LEFT JOIN kit_directory_users du ON du.tenant = $1 AND du.id = x.u \
         ORDER BY x.i",
    )
    .bind(tenant)
    .bind(users)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(reader_of).collect())
}

/// Resolves an audience: people of the tenant who are not offboarded, with a membership
/// matching every non-empty list (a whole-store membership counts in every department,
/// as for department groups; chain-wide roles match only audiences naming no store,
/// region or department), `author` excluded; each as a `Reader`. Ordered by user id.
pub async fn audience<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    audience: &Audience,
    author: &str,
) -> Result<Vec<Reader>> {
    let roles: Vec<&str> = audience.roles.iter().map(|r| r.as_str()).collect();
    let rows: Vec<ReaderRow> = sqlx::query_as(
        "SELECT r.user_id, COALESCE(f.store_id, ''), COALESCE(f.role, ''), r.display_name \
         FROM (SELECT DISTINCT m.user_id, u.display_name FROM kit_directory_memberships m \
           JOIN kit_directory_users u ON u.tenant = m.tenant AND u.id = m.user_id \
           LEFT JOIN kit_directory_stores s ON s.tenant = m.tenant AND s.id = m.store_id \
           WHERE m.tenant = $1 AND u.state <> 'deactivated' AND m.user_id <> $2 \
           AND (cardinality($3::text[]) = 0 OR m.store_id = ANY($3)) \
           AND (cardinality($4::text[]) = 0 OR s.region = ANY($4)) \
           AND (cardinality($5::text[]) = 0 OR m.role = ANY($5)) \
           AND (cardinality($6::text[]) = 0 OR m.department_id = ANY($6) \
                OR (m.department_id = '' AND m.store_id <> '')) \
           AND (m.store_id <> '' OR (cardinality($3) = 0 AND cardinality($4) = 0 \
                AND cardinality($6) = 0))) r \
         LEFT JOIN LATERAL (SELECT store_id, role FROM kit_directory_memberships \
           WHERE tenant = $1 AND user_id = r.user_id ORDER BY store_id = '', store_id, role \
           LIMIT 1) f ON TRUE \
         ORDER BY r.user_id",
    )
    .bind(tenant)
    .bind(author)
    .bind(&audience.stores)
    .bind(&audience.regions)
    .bind(&roles)
    .bind(&audience.departments)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(reader_of).collect())
}
