//! Announcements: the audience resolved from the directory at publish time and
//! snapshotted as `AudienceResolved` chunks (one obligation per reader), acknowledgements
//! per reader, who may read the report, and reminders naming exactly those who have not
//! acknowledged.

use breakroom_base::{Error, Result};
use breakroom_directory::{Caller, Role};
use breakroom_events::envelope::{CommandMeta, new_aggregate_id};
use breakroom_proto::feed::v1 as pb;
use futures::future::try_join_all;

use super::{App, access::managed_stores, derived_request_id, posts::PostRef};
use crate::{
    domain::{CHUNK, post::Post},
    queries::announcements::{self, EntryOrder::PendingFirst, Reader, ReportFilter},
};

/// What a report or reminder may cover for a caller.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The announcement.
    pub post: Post,
    /// Stores the caller may see (`None`: all).
    pub stores: Option<Vec<String>>,
}

/// A reminder sent.
#[derive(Debug, Clone)]
pub struct Reminder {
    /// Its id.
    pub id: String,
    /// Readers it reaches.
    pub recipients: usize,
    /// Sequence of its last chunk (0 when it reached nobody).
    pub sequence: u64,
}

impl App {
    /// The readers of an announcement now, refused when larger than the configured
    /// maximum (FAILED_PRECONDITION `AUDIENCE_TOO_LARGE`) rather than resolved in part.
    pub async fn audience(
        &self,
        tenant: &str,
        announcement: &pb::Announcement,
        author: &str,
    ) -> Result<Vec<Reader>> {
        let audience = announcement.audience.clone().unwrap_or_default();
        let readers = announcements::resolve(self.read().pool(), tenant, &audience, author).await?;
        if readers.len() > self.config().max_audience {
            return Err(Error::precondition(
                "AUDIENCE_TOO_LARGE",
                "post.announcement.audience",
                format!(
                    "{} readers; at most {}",
                    readers.len(),
                    self.config().max_audience
                ),
            ));
        }
        Ok(readers)
    }

    /// Snapshots `readers` as obligations on `post` at `revision`: chunks of 2,000, each
    /// its own commit with a request id derived from the post and chunk, so a retried
    /// CreatePost writes each chunk once. Returns the last sequence.
    pub async fn snapshot_audience(
        &self,
        tenant: &str,
        post: &str,
        readers: &[Reader],
        revision: i64,
        meta: &CommandMeta,
    ) -> Result<u64> {
        let chunks: Vec<&[Reader]> = if readers.is_empty() {
            vec![&[]]
        } else {
            readers.chunks(CHUNK).collect()
        };
        let count = chunks.len() as i32;
        let writes = chunks.into_iter().enumerate().map(|(i, users)| {
            let id = format!("{post}_{i}");
            let mut meta = meta.clone();
            meta.request_id = Some(derived_request_id(&[
                tenant,
                post,
                "audience",
                &i.to_string(),
            ]));
            let command = pb::AudienceResolved {
                post_id: post.to_owned(),
                chunk: i as i32,
                chunk_count: count,
                user_ids: users.iter().map(|r| r.user.clone()).collect(),
                revision,
                store_ids: users.iter().map(|r| r.store.clone()).collect(),
                roles: users
                    .iter()
                    .map(|r| r.role.map_or(0, |role| role.to_proto() as i32))
                    .collect(),
                display_names: users.iter().map(|r| r.display_name.clone()).collect(),
            };
            async move {
                self.inner
                    .audiences
                    .execute(tenant, &id, &meta, &command)
                    .await
                    .map(|c| c.sequence)
            }
        });
        Ok(try_join_all(writes).await?.into_iter().max().unwrap_or(0))
    }

    /// Acknowledges an announcement at its current revision (readers holding an
    /// obligation). Returns the sequence (of the acknowledgement, or of nothing new).
    pub async fn acknowledge(
        &self,
        caller: &Caller,
        at: &PostRef,
        meta: &CommandMeta,
    ) -> Result<u64> {
        let found = self.post_in(caller, at).await?;
        found.access.require_member()?;
        let post = require_announcement(found.post)?;
        if post.deleted {
            return Err(Error::precondition(
                "POST_DELETED",
                at.name(),
                "the post was deleted",
            ));
        }
        let mut obligation =
            announcements::obligation(self.read().pool(), &at.tenant, &at.post, caller.id())
                .await?;
        if obligation.is_none() {
            // The snapshot may have been written a moment ago.
            self.catch_up().await?;
            obligation =
                announcements::obligation(self.read().pool(), &at.tenant, &at.post, caller.id())
                    .await?;
        }
        if obligation.is_none() {
            return Err(Error::precondition(
                "NO_OBLIGATION",
                at.name(),
                "the caller was not in the announcement's audience when it was published",
            ));
        }
        let command = pb::PostAcknowledged {
            post_id: at.post.clone(),
            user_id: caller.id().to_owned(),
            revision: post.acknowledgement_revision,
        };
        let id = format!("{}_{}", at.post, caller.id());
        Ok(self
            .inner
            .acknowledgements
            .execute(&at.tenant, &id, meta, &command)
            .await?
            .sequence)
    }

    /// Who may see an announcement's report (and remind): its author and HQ admins
    /// everything, store managers and team leads the stores they manage.
    pub async fn report_scope(&self, caller: &Caller, at: &PostRef) -> Result<Scope> {
        let found = self.post_in_group(caller, at).await?;
        let post = require_announcement(found.post)?;
        if post.author_id == caller.id() || caller.is_hq_admin() {
            return Ok(Scope { post, stores: None });
        }
        let stores = managed_stores(caller);
        if stores.is_empty() {
            return Err(Error::denied(
                "NOT_A_MANAGER",
                "the report is for the author, HQ admins and the managers of the stores",
            ));
        }
        Ok(Scope {
            post,
            stores: Some(stores),
        })
    }

    /// Sends a reminder to the readers (within the caller's scope) who have not
    /// acknowledged the current revision.
    pub async fn send_reminder(
        &self,
        caller: &Caller,
        at: &PostRef,
        meta: &CommandMeta,
    ) -> Result<Reminder> {
        let scope = self.report_scope(caller, at).await?;
        if scope.post.deleted {
            return Err(Error::precondition(
                "POST_DELETED",
                at.name(),
                "the post was deleted",
            ));
        }
        // Acknowledgements of a moment ago must not be reminded.
        self.catch_up().await?;
        let filter = ReportFilter {
            revision: scope.post.acknowledgement_revision,
            scope: scope.stores,
            pending_only: true,
            ..Default::default()
        };
        let pending: Vec<String> = announcements::entries(
            self.read().pool(),
            &at.tenant,
            &at.post,
            &filter,
            &PendingFirst(None),
            None,
        )
        .await?
        .into_iter()
        .map(|e| e.user_id)
        .collect();
        let id = new_aggregate_id(&at.tenant, "reminder", meta.request_id.as_deref());
        let chunks: Vec<&[String]> = pending.chunks(CHUNK).collect();
        let count = chunks.len() as i32;
        let writes = chunks.into_iter().enumerate().map(|(i, users)| {
            let chunk_id = format!("{id}_{i}");
            let mut meta = meta.clone();
            meta.request_id = Some(derived_request_id(&[&at.tenant, &id, &i.to_string()]));
            let command = pb::AcknowledgementReminderSent {
                reminder_id: id.clone(),
                post_id: at.post.clone(),
                chunk: i as i32,
                chunk_count: count,
                user_ids: users.to_vec(),
            };
            async move {
                self.inner
                    .reminders
                    .execute(&at.tenant, &chunk_id, &meta, &command)
                    .await
                    .map(|c| c.sequence)
            }
        });
        let sequence = try_join_all(writes).await?.into_iter().max().unwrap_or(0);
        Ok(Reminder {
            id,
            recipients: pending.len(),
            sequence,
        })
    }
}

/// FAILED_PRECONDITION `NOT_AN_ANNOUNCEMENT` unless the post asks for acknowledgement.
fn require_announcement(post: Post) -> Result<Post> {
    if post.requires_acknowledgement() {
        Ok(post)
    } else {
        Err(Error::precondition(
            "NOT_AN_ANNOUNCEMENT",
            "post",
            "the post is not an announcement that asks for acknowledgement",
        ))
    }
}

/// A role's stored name from identity's enum value; `None` for 0 or unknown values.
pub fn role_name(value: i32) -> Option<&'static str> {
    Role::from_proto(value).map(Role::as_str)
}
