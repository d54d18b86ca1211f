//! Routing feed's events: an announcement's audience chunks (after its `PostCreated`,
//! which routing remembers), acknowledgement reminders, comments and replies, mentions in
//! posts and comments; and acknowledgements, which clear the announcement's items.

use breakroom_base::Result;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::feed::v1::{
    AcknowledgementEvent, AudienceEvent, CommentEvent, PostEvent, ReminderEvent,
    acknowledgement_event::Event as Ack, audience_event::Event as Aud, comment_event::Event as Com,
    post_event::Event as Post, reminder_event::Event as Rem,
};
use sqlx::PgConnection;

use super::actor_user;
use crate::{
    delivery::outbox,
    domain::routing::{self, AnnouncementSummary, Routed},
};

/// The notifications one feed commit makes (and routing's memory of posts).
pub async fn route(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<Vec<Routed>> {
    let tenant = commit.tenant();
    let mut out = Vec::new();
    match commit.aggregate_type() {
        "post" => {
            let post_id = commit.aggregate_id();
            for event in commit.events::<PostEvent>()? {
                match event.event {
                    Some(Post::Created(c)) => {
                        let a = c.announcement.as_ref();
                        sqlx::query(
                            "INSERT INTO route_posts (tenant, post_id, author_id, title, announcement, urgent, requires_ack) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant, post_id) DO UPDATE SET \
                             author_id = $3, title = $4, announcement = $5, urgent = $6, requires_ack = $7",
                        )
                        .bind(tenant)
                        .bind(post_id)
                        .bind(&c.author_id)
                        .bind(&c.title)
                        .bind(a.is_some())
                        .bind(a.is_some_and(|a| a.urgent))
                        .bind(a.is_some_and(|a| a.requires_acknowledgement))
                        .execute(&mut *conn)
                        .await?;
                        out.extend(routing::post_mentions(
                            post_id,
                            &c.author_id,
                            &c.title,
                            &c.mention_ids,
                        ));
                    }
                    Some(Post::Edited(e)) => {
                        sqlx::query(
                            "UPDATE route_posts SET title = $3 WHERE tenant = $1 AND post_id = $2",
                        )
                        .bind(tenant)
                        .bind(post_id)
                        .bind(&e.title)
                        .execute(&mut *conn)
                        .await?;
                        let author = post(conn, tenant, post_id, commit).await?.author;
                        out.extend(routing::post_mentions(
                            post_id,
                            &author,
                            &e.title,
                            &e.mention_ids,
                        ));
                    }
                    _ => {}
                }
            }
        }
        "audience" => {
            for event in commit.events::<AudienceEvent>()? {
                if let Some(Aud::Resolved(r)) = event.event {
                    let a = post(conn, tenant, &r.post_id, commit).await?;
                    out.extend(routing::announcement(&a, r.revision, &r.user_ids));
                }
            }
        }
        "reminder" => {
            for event in commit.events::<ReminderEvent>()? {
                if let Some(Rem::Sent(s)) = event.event {
                    let a = post(conn, tenant, &s.post_id, commit).await?;
                    out.extend(routing::reminder(&a, &s.reminder_id, &s.user_ids));
                }
            }
        }
        "comment" => {
            for event in commit.events::<CommentEvent>()? {
                if let Some(Com::Added(added)) = event.event {
                    let title = post(conn, tenant, &added.post_id, commit).await?.title;
                    out.extend(routing::comment(commit.aggregate_id(), &added, &title));
                }
            }
        }
        "acknowledgement" => {
            for event in commit.events::<AcknowledgementEvent>()? {
                if let Some(Ack::Acknowledged(a)) = event.event {
                    outbox::acknowledged(
                        conn,
                        tenant,
                        &a.user_id,
                        &a.post_id,
                        commit.occurred_at(),
                    )
                    .await?;
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// What routing remembers of a post; a post it never saw (created before notifications
/// existed) is routed without a title, its author taken from the commit's actor.
async fn post(
    conn: &mut PgConnection,
    tenant: &str,
    post_id: &str,
    commit: &RecordedCommit,
) -> Result<AnnouncementSummary> {
    let row: Option<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT author_id, title, urgent, requires_ack FROM route_posts WHERE tenant = $1 AND post_id = $2",
    )
    .bind(tenant)
    .bind(post_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (author, title, urgent, requires_ack) =
        row.unwrap_or_else(|| (actor_user(commit), String::new(), false, false));
    Ok(AnnouncementSummary {
        post_id: post_id.to_owned(),
        author,
        title,
        urgent,
        requires_ack,
    })
}
