//! The routing projection (`notifications_routing`): scheduling's and feed's events in,
//! inbox items and pending pushes out, in the projector's checkpointed transaction.
//!
//! Why a projection rather than commands on the own stream: a chain-wide announcement is
//! 60,000 notifications; as rows written in bulk (one statement per 2,000-reader chunk)
//! inside the transaction that also moves the checkpoint, each source event is routed
//! exactly once however often it is delivered, and a crash rolls back rows and checkpoint
//! together. The unique keys (source key, recipient) and (notification, device) make a
//! replay — after a rebuild, or by a second holder that has not noticed it lost the lease
//! — add nothing, so nothing is pushed twice. The person's own actions (devices,
//! preferences, read marks) are events on the own stream.
//!
//! - `scheduling`: rosters, amendments, open shifts, swaps, claims, time off.
//! - `feed`: announcements (audience chunks), reminders, comments, mentions, acks.

mod feed;
mod scheduling;

use breakroom_base::Result;
use breakroom_events::{
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use sqlx::PgConnection;

use crate::{app::App, delivery::outbox, domain::routing::Routed};

/// Name of the routing projection (checkpoint, lease, consumer).
pub const ROUTING: &str = "notifications_routing";

/// Routes the other services' events to people.
#[derive(Debug)]
pub struct Routing {
    app: App,
}

impl Routing {
    /// The projection; `app` gives the clock and the collapse window.
    pub fn new(app: App) -> Self {
        Self { app }
    }

    async fn create(
        &self,
        conn: &mut PgConnection,
        commit: &RecordedCommit,
        routed: &[Routed],
    ) -> Result<()> {
        outbox::create(
            conn,
            commit.tenant(),
            routed,
            commit.occurred_at(),
            self.app.clock().now(),
            self.app.config().delivery.collapse_window,
            commit
                .trace_context()
                .get("traceparent")
                .map(String::as_str),
        )
        .await?;
        Ok(())
    }
}

/// The user id of a commit's actor (`tenants/t/users/u`); empty for anyone else.
pub fn actor_user(commit: &RecordedCommit) -> String {
    let actor = commit.actor();
    let prefix = format!("tenants/{}/users/", commit.tenant());
    actor.strip_prefix(&prefix).unwrap_or("").to_owned()
}

#[async_trait::async_trait]
impl Projection for Routing {
    fn name(&self) -> &'static str {
        ROUTING
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all("scheduling"), Source::all("feed")]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        let routed = match commit.service() {
            "scheduling" => scheduling::route(conn, commit).await?,
            "feed" => feed::route(conn, commit).await?,
            _ => Vec::new(),
        };
        self.create(conn, commit, &routed).await
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        // Inbox items and deliveries stay: a rebuild must never push again.
        sqlx::query("TRUNCATE route_posts, route_requests, route_shifts")
            .execute(conn)
            .await?;
        Ok(())
    }
}
