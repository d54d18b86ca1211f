//! Feed's own events into the read model.

use breakroom_base::Result;
use breakroom_directory::Role;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::feed::v1::{
    self as pb, acknowledgement_event::Event as Ack, audience_event::Event as Aud,
    group_event::Event as Gr, post_event::Event as Po, read_state_event::Event as Rs,
};
use prost::Message;
use sqlx::PgConnection;

use super::{occurred, read_markers};
use crate::{domain::post::targeted, queries::groups::kind_name};

/// Applies one commit of feed's stream.
pub async fn apply(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    match commit.aggregate_type() {
        "group" => {
            for event in commit.events::<pb::GroupEvent>()? {
                group(conn, commit, event).await?;
            }
        }
        "post" => {
            for event in commit.events::<pb::PostEvent>()? {
                post(conn, commit, event).await?;
            }
        }
        "audience" => {
            for event in commit.events::<pb::AudienceEvent>()? {
                if let Some(Aud::Resolved(e)) = event.event {
                    obligations(conn, commit.tenant(), &e).await?;
                }
            }
        }
        "acknowledgement" => {
            for event in commit.events::<pb::AcknowledgementEvent>()? {
                if let Some(Ack::Acknowledged(e)) = event.event {
                    sqlx::query(
                        "UPDATE obligations SET acknowledged_revision = $4, acknowledge_time = $5 \
                         WHERE tenant = $1 AND post_id = $2 AND user_id = $3 \
                         AND acknowledged_revision < $4",
                    )
                    .bind(commit.tenant())
                    .bind(&e.post_id)
                    .bind(&e.user_id)
                    .bind(e.revision)
                    .bind(occurred(commit))
                    .execute(&mut *conn)
                    .await?;
                }
            }
        }
        "comment" => {
            for event in commit.events::<pb::CommentEvent>()? {
                super::social::comment(conn, commit, event).await?;
            }
        }
        "reaction" => {
            for event in commit.events::<pb::ReactionEvent>()? {
                super::social::reaction(conn, commit, event).await?;
            }
        }
        "read_state" => {
            for event in commit.events::<pb::ReadStateEvent>()? {
                if let Some(Rs::Read(e)) = event.event {
                    let through = super::cards::instant(e.read_through_time.as_ref());
                    read_markers::advance(
                        &mut *conn,
                        commit.tenant(),
                        commit.aggregate_id(),
                        &e.group_id,
                        through,
                    )
                    .await?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// One obligation per reader of an `AudienceResolved` chunk, with the store, role and
/// name the event snapshotted. Chunks recorded before the event carried them (the arrays
/// do not line up with the readers) take them from the directory replica instead.
async fn obligations(
    conn: &mut PgConnection,
    tenant: &str,
    resolved: &pb::AudienceResolved,
) -> Result<()> {
    let readers = resolved.user_ids.len();
    let (users, stores, roles, names) = if resolved.store_ids.len() == readers
        && resolved.roles.len() == readers
        && resolved.display_names.len() == readers
    {
        let roles: Vec<&str> = resolved
            .roles
            .iter()
            .map(|r| Role::from_proto(*r).map_or("", Role::as_str))
            .collect();
        (
            resolved.user_ids.clone(),
            resolved.store_ids.clone(),
            roles,
            resolved.display_names.clone(),
        )
    } else {
        let found =
            breakroom_directory::read::readers(&mut *conn, tenant, &resolved.user_ids).await?;
        let roles = found
            .iter()
            .map(|r| r.role.map_or("", Role::as_str))
            .collect();
        let (stores, names) = found
            .iter()
            .map(|r| (r.store.clone(), r.display_name.clone()))
            .unzip();
        (
            found.into_iter().map(|r| r.user).collect(),
            stores,
            roles,
            names,
        )
    };
    sqlx::query(
        "INSERT INTO obligations (tenant, post_id, user_id, store_id, role, display_name) \
         SELECT $1, $2, u, s, r, n FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[]) \
           AS t(u, s, r, n) \
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(&resolved.post_id)
    .bind(&users)
    .bind(&stores)
    .bind(&roles)
    .bind(&names)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts a group unless it exists (derived groups arrive from identity's events and
/// from the reaction's `GroupCreated`; either may come first).
pub async fn insert_group(
    conn: &mut PgConnection,
    tenant: &str,
    id: &str,
    created: &pb::GroupCreated,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let kind = pb::GroupKind::try_from(created.kind).unwrap_or(pb::GroupKind::Custom);
    sqlx::query(
        "INSERT INTO groups (tenant, id, kind, display_name, description, store_id, \
         department_id, posting_policy, create_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (tenant, id) DO NOTHING",
    )
    .bind(tenant)
    .bind(id)
    .bind(kind_name(kind))
    .bind(&created.display_name)
    .bind(&created.description)
    .bind(&created.store_id)
    .bind(&created.department_id)
    .bind(created.posting_policy)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn group(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    event: pb::GroupEvent,
) -> Result<()> {
    let (tenant, id) = (commit.tenant(), commit.aggregate_id());
    match event.event {
        Some(Gr::Created(e)) => {
            insert_group(conn, tenant, id, &e, occurred(commit)).await?;
            sqlx::query(
                "INSERT INTO group_members (tenant, group_id, user_id) \
                 SELECT $1, $2, u FROM UNNEST($3::text[]) AS u ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.member_ids)
            .execute(&mut *conn)
            .await?;
        }
        Some(Gr::Updated(e)) => {
            sqlx::query(
                "UPDATE groups SET display_name = $3, description = $4, posting_policy = $5 \
                 WHERE tenant = $1 AND id = $2",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.display_name)
            .bind(&e.description)
            .bind(e.posting_policy)
            .execute(&mut *conn)
            .await?;
        }
        Some(Gr::MembersAdded(e)) => {
            sqlx::query(
                "INSERT INTO group_members (tenant, group_id, user_id, admin) \
                 SELECT $1, $2, u, $4 FROM UNNEST($3::text[]) AS u \
                 ON CONFLICT (tenant, group_id, user_id) DO UPDATE SET admin = EXCLUDED.admin",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.user_ids)
            .bind(e.admins)
            .execute(&mut *conn)
            .await?;
        }
        Some(Gr::MembersRemoved(e)) => {
            sqlx::query(
                "DELETE FROM group_members WHERE tenant = $1 AND group_id = $2 AND user_id = ANY($3)",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.user_ids)
            .execute(&mut *conn)
            .await?;
        }
        None => {}
    }
    Ok(())
}

fn attachments(list: &[pb::Attachment]) -> Vec<u8> {
    pb::Post {
        attachments: list.to_vec(),
        ..Default::default()
    }
    .encode_to_vec()
}

async fn post(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    event: pb::PostEvent,
) -> Result<()> {
    let (tenant, id, at) = (commit.tenant(), commit.aggregate_id(), occurred(commit));
    let set = |column: &str| format!("UPDATE posts SET {column} WHERE tenant = $1 AND id = $2");
    match event.event {
        Some(Po::Created(e)) => {
            let announcement = e.announcement.as_ref();
            let targeted = targeted(announcement);
            sqlx::query(
                "INSERT INTO posts (tenant, id, group_id, kind, author_id, title, body, attachments, \
                 mention_ids, announcement, targeted, requires_ack, create_time) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (tenant, id) DO NOTHING",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.group_id)
            .bind(if announcement.is_some() { "announcement" } else { "post" })
            .bind(&e.author_id)
            .bind(&e.title)
            .bind(&e.body)
            .bind(attachments(&e.attachments))
            .bind(&e.mention_ids)
            .bind(announcement.map(Message::encode_to_vec))
            .bind(targeted)
            .bind(announcement.is_some_and(|a| a.requires_acknowledgement))
            .bind(at)
            .execute(&mut *conn)
            .await?;
            revision(conn, tenant, id, 1, &e.title, &e.body, at).await?;
        }
        Some(Po::Edited(e)) => {
            sqlx::query(sqlx::AssertSqlSafe(set(
                "title = $3, body = $4, attachments = $5, mention_ids = $6, revision = $7, \
                 ack_revision = CASE WHEN $8 THEN $7 ELSE ack_revision END, update_time = $9",
            )))
            .bind(tenant)
            .bind(id)
            .bind(&e.title)
            .bind(&e.body)
            .bind(attachments(&e.attachments))
            .bind(&e.mention_ids)
            .bind(e.revision)
            .bind(e.material_change)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            revision(conn, tenant, id, e.revision, &e.title, &e.body, at).await?;
        }
        Some(Po::Deleted(_)) => {
            sqlx::query(sqlx::AssertSqlSafe(set("deleted = TRUE")))
                .bind(tenant)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Some(Po::Pinned(e)) => {
            sqlx::query(sqlx::AssertSqlSafe(set("pinned = $3")))
                .bind(tenant)
                .bind(id)
                .bind(e.pinned)
                .execute(&mut *conn)
                .await?;
        }
        Some(Po::Moderated(e)) => {
            sqlx::query(sqlx::AssertSqlSafe(set("hidden = $3")))
                .bind(tenant)
                .bind(id)
                .bind(e.hidden)
                .execute(&mut *conn)
                .await?;
        }
        Some(Po::Reported(e)) => {
            sqlx::query(
                "INSERT INTO reports (tenant, post_id, reporter_id, reason, report_time) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.reporter_id)
            .bind(&e.reason)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        }
        None => {}
    }
    Ok(())
}

async fn revision(
    conn: &mut PgConnection,
    tenant: &str,
    post: &str,
    revision: i64,
    title: &str,
    body: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO post_revisions (tenant, post_id, revision, title, body, edit_time) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(post)
    .bind(revision)
    .bind(title)
    .bind(body)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
