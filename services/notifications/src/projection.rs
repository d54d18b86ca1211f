//! Notifications' projections.
//!
//! - this module: `StateProjection` (`notifications_state`) over its own stream: devices,
//!   preferences, read marks and test notifications.
//! - `routing`: `Routing` (`notifications_routing`) over scheduling's and feed's streams:
//!   computes recipients and writes inbox items and pending pushes in the checkpointed
//!   transaction.
//! - `invites`: `Invites` (`notifications_invites`) over identity's users: the e-mail
//!   with the activation code of each invite identity sealed for notifications.
//!
//! Routing and state write notifications and deliveries with unique keys and `ON CONFLICT DO NOTHING`,
//! and a reset clears only what they can rebuild (devices, preferences, routing's
//! memory): inbox items and deliveries stay, so a rebuild replays into rows that exist and
//! never pushes again.

pub mod invites;
pub mod routing;

use breakroom_base::Result;
use breakroom_events::{
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use breakroom_proto::notifications::v1::{
    DeviceEvent, InboxEvent, PreferencesEvent, device_event::Event as Dev,
    inbox_event::Event as Inb, preferences_event::Event as Pref,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    app::App,
    config::SERVICE,
    delivery::outbox,
    domain::{Kind, routing::Routed},
};

/// Name of the state projection (checkpoint, lease, consumer).
pub const STATE: &str = "notifications_state";

/// Devices, preferences, read marks and test notifications from the own stream.
#[derive(Debug)]
pub struct StateProjection {
    app: App,
}

impl StateProjection {
    /// The projection; `app` gives the clock and settings for test notifications.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[async_trait::async_trait]
impl Projection for StateProjection {
    fn name(&self) -> &'static str {
        STATE
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all(SERVICE)]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        let (tenant, id) = (commit.tenant(), commit.aggregate_id());
        let at = DateTime::<Utc>::from(commit.occurred_at());
        match commit.aggregate_type() {
            "device" => {
                for event in commit.events::<DeviceEvent>()? {
                    match event.event {
                        Some(Dev::Registered(r)) => {
                            sqlx::query(
                                "INSERT INTO devices (tenant, id, user_id, endpoint, p256dh, auth, display_name, registered_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant, id) DO UPDATE SET \
                                 user_id = $3, endpoint = $4, p256dh = $5, auth = $6, display_name = $7, registered_at = $8",
                            )
                            .bind(tenant)
                            .bind(id)
                            .bind(&r.user_id)
                            .bind(&r.endpoint)
                            .bind(&r.p256dh)
                            .bind(&r.auth)
                            .bind(&r.display_name)
                            .bind(at)
                            .execute(&mut *conn)
                            .await?;
                            // A browser handed to a colleague: the previous owner's pushes stop.
                            sqlx::query(
                                "UPDATE deliveries SET state = 'dropped', finished_at = $4 WHERE tenant = $1 \
                                 AND device_id = $2 AND user_id <> $3 AND state IN ('pending', 'held')",
                            )
                            .bind(tenant)
                            .bind(id)
                            .bind(&r.user_id)
                            .bind(at)
                            .execute(&mut *conn)
                            .await?;
                        }
                        Some(Dev::Unregistered(_)) => {
                            sqlx::query("DELETE FROM devices WHERE tenant = $1 AND id = $2")
                                .bind(tenant)
                                .bind(id)
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query(
                                "UPDATE deliveries SET state = 'gone', finished_at = $3 WHERE tenant = $1 \
                                 AND device_id = $2 AND state IN ('pending', 'held')",
                            )
                            .bind(tenant)
                            .bind(id)
                            .bind(at)
                            .execute(&mut *conn)
                            .await?;
                        }
                        None => {}
                    }
                }
            }
            "preferences" => {
                for event in commit.events::<PreferencesEvent>()? {
                    if let Some(Pref::Updated(p)) = event.event {
                        sqlx::query(
                            "INSERT INTO preferences (tenant, user_id, push_off, email_off, quiet_enabled, \
                             quiet_start_minute, quiet_end_minute, off_shift_quiet, digest_minute, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant, user_id) DO UPDATE SET \
                             push_off = $3, email_off = $4, quiet_enabled = $5, quiet_start_minute = $6, \
                             quiet_end_minute = $7, off_shift_quiet = $8, digest_minute = $9, updated_at = $10",
                        )
                        .bind(tenant)
                        .bind(id)
                        .bind(&p.push_off)
                        .bind(&p.email_off)
                        .bind(p.quiet_enabled)
                        .bind(p.quiet_start_minute)
                        .bind(p.quiet_end_minute)
                        .bind(p.off_shift_quiet)
                        .bind(p.digest_minute)
                        .bind(at)
                        .execute(&mut *conn)
                        .await?;
                    }
                }
            }
            "inbox" => {
                for event in commit.events::<InboxEvent>()? {
                    match event.event {
                        Some(Inb::Read(read)) => {
                            mark_read(conn, tenant, id, &read.notification_ids, read.all, at)
                                .await?
                        }
                        Some(Inb::TestRequested(t)) => {
                            let mut routed = crate::domain::routing::direct(
                                format!("test:{}", t.notification_id),
                                id,
                                "",
                                Kind::Test,
                                Default::default(),
                            );
                            if let Some(r) = routed.as_mut() {
                                r.urgent = true;
                                r.id = Uuid::parse_str(&t.notification_id).ok();
                            }
                            let routed: Vec<Routed> = routed.into_iter().collect();
                            outbox::create(
                                conn,
                                tenant,
                                &routed,
                                commit.occurred_at(),
                                self.app.clock().now(),
                                self.app.config().delivery.collapse_window,
                                commit
                                    .trace_context()
                                    .get("traceparent")
                                    .map(String::as_str),
                            )
                            .await?;
                        }
                        None => {}
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        sqlx::query("TRUNCATE devices, preferences")
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// Marks `ids` (or everything created up to `at`) read and drops their pending pushes.
async fn mark_read(
    conn: &mut PgConnection,
    tenant: &str,
    user: &str,
    ids: &[String],
    all: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    let ids: Vec<Uuid> = ids.iter().filter_map(|i| Uuid::parse_str(i).ok()).collect();
    let marked: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE notifications SET read_at = coalesce(read_at, $5) WHERE tenant = $1 AND user_id = $2 \
         AND (id = ANY($3) OR ($4 AND created_at <= $5)) RETURNING id",
    )
    .bind(tenant)
    .bind(user)
    .bind(&ids)
    .bind(all)
    .bind(at)
    .fetch_all(&mut *conn)
    .await?;
    outbox::drop_pushes(conn, &marked, at.into()).await
}
