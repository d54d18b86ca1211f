//! Releasing held pushes (quiet hours, off shift) when they are due: one held
//! notification goes out as it is; several become one digest push per device ("3 new
//! notifications"), a notification of its own that is not an inbox item. Each person is
//! released in one transaction with `SKIP LOCKED`, so replicas never release twice.

use breakroom_base::Result;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    app::App,
    delivery::outbox::{self, delivery_id, notification_id},
    domain::{Category, Kind},
};

/// Releases every person's due held pushes; returns how many people were released.
pub async fn release_due(app: &App) -> Result<usize> {
    let now = app.clock().utc();
    let people: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT tenant, user_id FROM deliveries WHERE state = 'held' AND next_attempt_at <= $1 LIMIT 100",
    )
    .bind(now)
    .fetch_all(app.pool())
    .await?;
    for (tenant, user) in &people {
        release(app, tenant, user, now).await?;
    }
    Ok(people.len())
}

async fn release(app: &App, tenant: &str, user: &str, now: DateTime<Utc>) -> Result<()> {
    let mut tx = app.pool().begin().await?;
    let held: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT id, notification_id, device_id FROM deliveries \
         WHERE tenant = $1 AND user_id = $2 AND state = 'held' AND next_attempt_at <= $3 \
         ORDER BY id FOR UPDATE SKIP LOCKED",
    )
    .bind(tenant)
    .bind(user)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    if held.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = held.iter().map(|h| h.0).collect();
    let mut notifications: Vec<Uuid> = held.iter().map(|h| h.1).collect();
    notifications.sort_unstable();
    notifications.dedup();
    if notifications.len() == 1 {
        sqlx::query(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = $2 WHERE id = ANY($1)",
        )
        .bind(&ids)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    } else {
        let key = format!("digest:{}", ids[0]);
        let digest = notification_id(tenant, &key, user);
        sqlx::query(
            "INSERT INTO notifications (id, tenant, user_id, source_key, kind, category, urgent, subject, fields, in_inbox, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, false, '', $7, false, $8) ON CONFLICT DO NOTHING",
        )
        .bind(digest)
        .bind(tenant)
        .bind(user)
        .bind(&key)
        .bind(Kind::Digest as i32)
        .bind(Category::System as i32)
        .bind(serde_json::json!({ "count": notifications.len().to_string() }))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut devices: Vec<String> = held.iter().map(|h| h.2.clone()).collect();
        devices.sort_unstable();
        devices.dedup();
        let delivery_ids: Vec<Uuid> = devices.iter().map(|d| delivery_id(digest, d)).collect();
        sqlx::query(
            "INSERT INTO deliveries (id, tenant, notification_id, user_id, device_id, state, next_attempt_at, created_at) \
             SELECT id, $1, $2, $3, d, 'pending', $6, $6 FROM unnest($4::uuid[], $5::text[]) AS x(id, d) \
             ON CONFLICT (notification_id, device_id) DO NOTHING",
        )
        .bind(tenant)
        .bind(digest)
        .bind(user)
        .bind(&delivery_ids)
        .bind(&devices)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE deliveries SET state = 'digested', finished_at = $2 WHERE id = ANY($1)",
        )
        .bind(&ids)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if app.mailer().is_some() {
            email_digest(&mut tx, tenant, user, digest, &notifications, now).await?;
        }
    }
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(outbox::WAKE_CHANNEL)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Writes the e-mail of a digest (same id) for a person with an address, in their chain's
/// language, with the categories they want e-mailed.
async fn email_digest(
    tx: &mut sqlx::PgConnection,
    tenant: &str,
    user: &str,
    digest: Uuid,
    notifications: &[Uuid],
    now: DateTime<Utc>,
) -> Result<()> {
    let who = breakroom_directory::delivery::mail_address(&mut *tx, tenant, user).await?;
    let Some((address, locale)) = who.filter(|(address, _)| !address.is_empty()) else {
        return Ok(());
    };
    let email_off = crate::queries::settings_of(&mut *tx, tenant, &[user])
        .await?
        .into_iter()
        .next()
        .map(|(_, s)| s.email_off)
        .unwrap_or_default();
    let rows: Vec<(i32, i32, serde_json::Value)> = sqlx::query_as(
        "SELECT kind, category, fields FROM notifications WHERE id = ANY($1) ORDER BY created_at, id",
    )
    .bind(notifications)
    .fetch_all(&mut *tx)
    .await?;
    let items: Vec<(Kind, serde_json::Value)> = rows
        .into_iter()
        .filter(|(_, category, _)| !email_off.contains(category))
        .map(|(kind, _, fields)| (Kind::try_from(kind).unwrap_or(Kind::Unspecified), fields))
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    let (subject, body) = crate::email::digest(&locale, &items);
    crate::email::enqueue(
        &mut *tx,
        crate::email::Outgoing {
            id: digest,
            tenant,
            user,
            address: &address,
            subject,
            body,
        },
        now,
    )
    .await?;
    Ok(())
}
