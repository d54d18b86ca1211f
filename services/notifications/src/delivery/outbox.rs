//! The inbox and the outbox in SQL: creating notifications with their deliveries (once per
//! source event and recipient, once per notification and device: unique keys with
//! `ON CONFLICT DO NOTHING`, so a redelivered or replayed event adds nothing), deciding
//! per recipient whether a push goes now or is held, and dropping pushes for what was
//! read or acknowledged. Called inside the routing projection's checkpointed transaction.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, SystemTime},
};

use breakroom_base::Result;
use breakroom_directory::delivery;
use chrono::{DateTime, Utc};
use jiff::tz::TimeZone;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{
    Kind, category_of,
    preferences::Settings,
    quiet::{self, Decision, Situation},
    routing::Routed,
};

/// Namespace of the ids derived here (notifications, deliveries).
const IDS: Uuid = Uuid::from_u128(0x6e6f_7469_6669_6361_7469_6f6e_7376_3031);

/// Pushes for events older than this (a first start over a long history) are not sent;
/// the inbox items are still created. Measured on the wall clock, not the service clock.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The PostgreSQL channel on which committed deliveries wake the workers.
pub const WAKE_CHANNEL: &str = "breakroom_deliveries";

/// The id of the notification of `source_key` for `user`.
pub fn notification_id(tenant: &str, source_key: &str, user: &str) -> Uuid {
    Uuid::new_v5(&IDS, format!("{tenant}/{source_key}/{user}").as_bytes())
}

/// The id of the delivery of `notification` to `device`: the idempotency key of its push.
pub fn delivery_id(notification: Uuid, device: &str) -> Uuid {
    Uuid::new_v5(&IDS, format!("{notification}/{device}").as_bytes())
}

/// What deciding a recipient's pushes needs.
#[derive(Debug, Default)]
struct Recipient {
    devices: Vec<String>,
    settings: Settings,
    zone: Option<TimeZone>,
    on_shift: bool,
    next_shift: Option<jiff::Timestamp>,
}

/// Creates the notifications in `routed` (those not created before) and their deliveries.
/// `occurred` is the source event's time, `now` the service clock, `trace` the source
/// commit's `traceparent` (the pushes continue its trace). Returns how many notifications
/// were new.
pub async fn create(
    conn: &mut PgConnection,
    tenant: &str,
    routed: &[Routed],
    occurred: SystemTime,
    now: SystemTime,
    collapse_window: Duration,
    trace: Option<&str>,
) -> Result<usize> {
    if routed.is_empty() {
        return Ok(0);
    }
    let created_at = DateTime::<Utc>::from(occurred);
    let ids: Vec<Uuid> = routed
        .iter()
        .map(|r| {
            r.id.unwrap_or_else(|| notification_id(tenant, &r.source_key, &r.recipient))
        })
        .collect();
    let users: Vec<&str> = routed.iter().map(|r| r.recipient.as_str()).collect();
    let keys: Vec<&str> = routed.iter().map(|r| r.source_key.as_str()).collect();
    let kinds: Vec<i32> = routed.iter().map(|r| r.kind as i32).collect();
    let categories: Vec<i32> = routed.iter().map(|r| category_of(r.kind) as i32).collect();
    let urgent: Vec<bool> = routed.iter().map(|r| r.urgent).collect();
    let subjects: Vec<&str> = routed.iter().map(|r| r.subject.as_str()).collect();
    let fields: Vec<serde_json::Value> = routed
        .iter()
        .map(|r| serde_json::to_value(&r.fields).unwrap_or_default())
        .collect();
    let inserted: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO notifications (id, tenant, user_id, source_key, kind, category, urgent, subject, fields, created_at) \
         SELECT id, $1, u, k, kind, c, urg, s, f, $10 \
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[], $7::bool[], $8::text[], $9::jsonb[]) \
              AS t(id, u, k, kind, c, urg, s, f) \
         ON CONFLICT (tenant, source_key, user_id) DO NOTHING RETURNING id",
    )
    .bind(tenant)
    .bind(&ids)
    .bind(&users)
    .bind(&keys)
    .bind(&kinds)
    .bind(&categories)
    .bind(&urgent)
    .bind(&subjects)
    .bind(&fields)
    .bind(created_at)
    .fetch_all(&mut *conn)
    .await?;
    if inserted.is_empty() {
        return Ok(0);
    }
    let stale = SystemTime::now()
        .duration_since(occurred)
        .is_ok_and(|age| age > STALE_AFTER);
    if stale {
        return Ok(inserted.len());
    }
    let new: HashSet<Uuid> = inserted.iter().copied().collect();
    let fresh: Vec<(Uuid, &Routed)> = ids
        .iter()
        .copied()
        .zip(routed)
        .filter(|(id, _)| new.contains(id))
        .collect();
    let mut recipients = recipients(conn, tenant, &fresh, now).await?;
    let jnow = jiff::Timestamp::try_from(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let utc = TimeZone::UTC;
    let mut rows = DeliveryRows::default();
    // Pending collapsible pushes created in this batch: (user, device, key) -> row.
    let mut collapsing: HashMap<(String, String, String), usize> = HashMap::new();
    for (id, r) in &fresh {
        let Some(who) = recipients.get_mut(r.recipient.as_str()) else {
            continue;
        };
        if who.devices.is_empty() || !who.settings.pushes(category_of(r.kind)) {
            continue;
        }
        let decision = quiet::decide(&Situation {
            now: jnow,
            zone: who.zone.as_ref().unwrap_or(&utc),
            urgent: r.urgent,
            settings: &who.settings,
            on_shift: who.on_shift,
            next_shift: who.next_shift,
        });
        for device in &who.devices {
            if let (Some(key), Decision::Now) = (&r.collapse_key, decision) {
                let slot = (r.recipient.clone(), device.clone(), key.clone());
                if let Some(row) = collapsing.get(&slot) {
                    rows.collapsed[*row] += 1;
                    continue;
                }
                if collapsed_into_pending(conn, tenant, &r.recipient, device, key).await? {
                    continue;
                }
                collapsing.insert(slot, rows.ids.len());
            }
            let (state, at) = match decision {
                Decision::Now if r.collapse_key.is_some() => ("pending", now + collapse_window),
                Decision::Now => ("pending", now),
                Decision::HoldUntil(t) => ("held", SystemTime::from(t)),
            };
            rows.push(*id, r, device, state, at);
        }
    }
    if !rows.ids.is_empty() {
        rows.insert(&mut *conn, tenant, now, trace).await?;
        // Delivered to listening workers (every replica) when the transaction commits.
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WAKE_CHANNEL)
            .execute(&mut *conn)
            .await?;
    }
    Ok(inserted.len())
}

/// Adds one to a pending, never attempted push of the same collapse key for that device.
async fn collapsed_into_pending(
    conn: &mut PgConnection,
    tenant: &str,
    user: &str,
    device: &str,
    key: &str,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE deliveries SET collapsed = collapsed + 1 WHERE id = (SELECT id FROM deliveries \
         WHERE tenant = $1 AND user_id = $2 AND device_id = $3 AND collapse_key = $4 \
         AND state = 'pending' AND attempts = 0 LIMIT 1 FOR UPDATE)",
    )
    .bind(tenant)
    .bind(user)
    .bind(device)
    .bind(key)
    .execute(&mut *conn)
    .await?;
    Ok(updated.rows_affected() > 0)
}

#[derive(Default)]
struct DeliveryRows {
    ids: Vec<Uuid>,
    notifications: Vec<Uuid>,
    users: Vec<String>,
    devices: Vec<String>,
    states: Vec<&'static str>,
    collapse: Vec<Option<String>>,
    due: Vec<DateTime<Utc>>,
    collapsed: Vec<i32>,
}

impl DeliveryRows {
    fn push(&mut self, id: Uuid, r: &Routed, device: &str, state: &'static str, at: SystemTime) {
        self.ids.push(delivery_id(id, device));
        self.notifications.push(id);
        self.users.push(r.recipient.clone());
        self.devices.push(device.to_owned());
        self.states.push(state);
        self.collapse.push(r.collapse_key.clone());
        self.due.push(DateTime::<Utc>::from(at));
        self.collapsed.push(1);
    }

    async fn insert(
        self,
        conn: &mut PgConnection,
        tenant: &str,
        now: SystemTime,
        trace: Option<&str>,
    ) -> Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO deliveries (id, tenant, notification_id, user_id, device_id, state, collapse_key, next_attempt_at, collapsed, created_at, traceparent) \
             SELECT id, $1, n, u, d, s, c, t, k, $10, $11 \
             FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::int[]) \
                  AS x(id, n, u, d, s, c, t, k) \
             ON CONFLICT (notification_id, device_id) DO NOTHING",
        )
        .bind(tenant)
        .bind(&self.ids)
        .bind(&self.notifications)
        .bind(&self.users)
        .bind(&self.devices)
        .bind(&self.states)
        .bind(&self.collapse)
        .bind(&self.due)
        .bind(&self.collapsed)
        .bind(DateTime::<Utc>::from(now))
        .bind(trace)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Devices, preferences, zone and shifts of the recipients, in four statements.
async fn recipients<'a>(
    conn: &mut PgConnection,
    tenant: &str,
    fresh: &[(Uuid, &'a Routed)],
    now: SystemTime,
) -> Result<HashMap<&'a str, Recipient>> {
    let mut map: HashMap<&'a str, Recipient> = HashMap::new();
    for (_, r) in fresh {
        map.entry(r.recipient.as_str()).or_default();
    }
    let users: Vec<&str> = map.keys().copied().collect();
    let devices: Vec<(String, String)> = sqlx::query_as(
        "SELECT user_id, id FROM devices WHERE tenant = $1 AND user_id = ANY($2) ORDER BY id",
    )
    .bind(tenant)
    .bind(&users)
    .fetch_all(&mut *conn)
    .await?;
    // Offboarded people get nothing pushed (their inbox items stay for the record).
    let with_devices: HashSet<&str> = devices.iter().map(|(user, _)| user.as_str()).collect();
    let with_devices: Vec<&str> = with_devices.into_iter().collect();
    let offboarded: HashSet<String> =
        delivery::deactivated_among(&mut *conn, tenant, &with_devices)
            .await?
            .into_iter()
            .collect();
    for (user, device) in devices {
        if offboarded.contains(&user) {
            continue;
        }
        if let Some(r) = map.get_mut(user.as_str()) {
            r.devices.push(device);
        }
    }
    let prefs = crate::queries::settings_of(&mut *conn, tenant, &users).await?;
    let mut quiet_users = Vec::new();
    for (user, settings) in prefs {
        if let Some(r) = map.get_mut(user.as_str()) {
            if settings.quiet.is_some() || settings.off_shift_quiet {
                quiet_users.push(user.clone());
            }
            r.settings = settings;
        }
    }
    if quiet_users.is_empty() {
        return Ok(map);
    }
    for (user, zone) in crate::queries::zones_of(&mut *conn, tenant, &quiet_users).await? {
        if let Some(r) = map.get_mut(user.as_str()) {
            r.zone = TimeZone::get(&zone).ok();
        }
    }
    let shifts: Vec<(String, bool, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT employee_id, bool_or(start_time <= $3 AND end_time > $3), \
                min(start_time) FILTER (WHERE start_time > $3) \
         FROM route_shifts WHERE tenant = $1 AND employee_id = ANY($2) GROUP BY employee_id",
    )
    .bind(tenant)
    .bind(&quiet_users)
    .bind(DateTime::<Utc>::from(now))
    .fetch_all(&mut *conn)
    .await?;
    for (user, on_shift, next) in shifts {
        if let Some(r) = map.get_mut(user.as_str()) {
            r.on_shift = on_shift;
            r.next_shift =
                next.and_then(|t| jiff::Timestamp::from_millisecond(t.timestamp_millis()).ok());
        }
    }
    Ok(map)
}

/// Marks `user`'s notifications about `subject` read (an acknowledged announcement or
/// change notice) and drops their pushes not yet sent.
pub async fn acknowledged(
    conn: &mut PgConnection,
    tenant: &str,
    user: &str,
    subject: &str,
    at: SystemTime,
) -> Result<()> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE notifications SET read_at = coalesce(read_at, $4) \
         WHERE tenant = $1 AND user_id = $2 AND subject = $3 RETURNING id",
    )
    .bind(tenant)
    .bind(user)
    .bind(subject)
    .bind(DateTime::<Utc>::from(at))
    .fetch_all(&mut *conn)
    .await?;
    drop_pushes(conn, &ids, at).await
}

/// Drops the pending and held pushes of `notifications`.
pub async fn drop_pushes(
    conn: &mut PgConnection,
    notifications: &[Uuid],
    at: SystemTime,
) -> Result<()> {
    if notifications.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE deliveries SET state = 'dropped', finished_at = $2 \
         WHERE notification_id = ANY($1) AND state IN ('pending', 'held')",
    )
    .bind(notifications)
    .bind(DateTime::<Utc>::from(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The kinds that are pushed with high urgency and a long TTL.
pub fn is_high(kind: Kind, urgent: bool) -> bool {
    urgent || kind == Kind::Announcement
}
