//! Comments (one level of replies), reactions (set/clear idempotent) and read markers.

use breakroom_base::{Error, Result};
use breakroom_directory::Caller;
use breakroom_events::envelope::{CommandMeta, new_aggregate_id};
use breakroom_proto::feed::v1 as pb;
use chrono::{DateTime, Utc};

use super::{App, posts::PostRef};
use crate::{
    domain::records::{CommentCommand, MarkRead, React},
    names, projection,
    queries::comments,
};

/// A comment to add.
#[derive(Debug, Clone, Default)]
pub struct NewComment {
    /// Text.
    pub body: String,
    /// Mentioned user ids.
    pub mention_ids: Vec<String>,
    /// The comment replied to (its id), empty for top level.
    pub parent_comment_id: String,
}

impl App {
    /// Adds a comment or a reply; members of the post's group.
    pub async fn add_comment(
        &self,
        caller: &Caller,
        at: &PostRef,
        comment: NewComment,
        meta: &CommandMeta,
    ) -> Result<(String, u64)> {
        let found = self.post_in(caller, at).await?;
        found.access.require_member()?;
        if found.post.deleted {
            return Err(Error::precondition(
                "POST_DELETED",
                at.name(),
                "the post was deleted",
            ));
        }
        let mut parent_author_id = String::new();
        if !comment.parent_comment_id.is_empty() {
            let parent_name =
                names::comment_name(&at.tenant, &at.group, &at.post, &comment.parent_comment_id);
            let mut parent =
                comments::get(self.read().pool(), &at.tenant, &comment.parent_comment_id).await?;
            if parent.is_none() {
                self.catch_up().await?;
                parent = comments::get(self.read().pool(), &at.tenant, &comment.parent_comment_id)
                    .await?;
            }
            let parent = parent
                .filter(|p| p.post_id == at.post)
                .ok_or_else(|| Error::NotFound(parent_name.clone()))?;
            if parent.deleted {
                return Err(Error::precondition(
                    "COMMENT_DELETED",
                    parent_name,
                    "the comment replied to was deleted",
                ));
            }
            if !parent.parent_id.is_empty() {
                return Err(Error::precondition(
                    "REPLY_TO_REPLY",
                    parent_name,
                    "replies have one level: reply to the top-level comment",
                ));
            }
            parent_author_id = parent.author_id;
        }
        let id = new_aggregate_id(&at.tenant, "comment", meta.request_id.as_deref());
        let added = pb::CommentAdded {
            post_id: at.post.clone(),
            group_id: at.group.clone(),
            post_author_id: found.post.author_id.clone(),
            parent_comment_id: comment.parent_comment_id,
            parent_author_id,
            author_id: caller.id().to_owned(),
            body: comment.body,
            mention_ids: comment.mention_ids,
        };
        let committed = self
            .inner
            .comments
            .execute(&at.tenant, &id, meta, &CommentCommand::Add(added))
            .await?;
        Ok((id, committed.sequence))
    }

    /// Whether the caller may delete a comment of the post: its author (still a member)
    /// or a moderator of the group (PERMISSION_DENIED `NOT_A_MODERATOR` otherwise);
    /// NOT_FOUND when the comment is not one of the post's.
    pub async fn may_delete_comment(
        &self,
        caller: &Caller,
        at: &PostRef,
        comment: &str,
    ) -> Result<()> {
        let found = self.post_in(caller, at).await?;
        let loaded = self.inner.comments.load(&at.tenant, comment).await?;
        if !loaded.state.exists || loaded.state.post_id != at.post {
            let name = names::comment_name(&at.tenant, &at.group, &at.post, comment);
            return Err(Error::NotFound(name));
        }
        if !(loaded.state.author_id == caller.id() && found.access.member) {
            found.access.require_moderator()?;
        }
        Ok(())
    }

    /// Deletes a comment: its author (still a member) or a moderator of the group.
    pub async fn delete_comment(
        &self,
        caller: &Caller,
        at: &PostRef,
        comment: &str,
        meta: &CommandMeta,
    ) -> Result<u64> {
        self.may_delete_comment(caller, at, comment).await?;
        let command = CommentCommand::Delete {
            by: caller.id().to_owned(),
        };
        Ok(self
            .inner
            .comments
            .execute(&at.tenant, comment, meta, &command)
            .await?
            .sequence)
    }

    /// PERMISSION_DENIED `NOT_A_MEMBER` unless the caller may react to, comment on,
    /// acknowledge or report the post (members of its group who see it).
    pub async fn may_take_part(&self, caller: &Caller, at: &PostRef) -> Result<()> {
        self.post_in(caller, at).await?.access.require_member()
    }

    /// Sets (`Some`) or clears (`None`) the caller's reaction; members only.
    pub async fn react(
        &self,
        caller: &Caller,
        at: &PostRef,
        kind: Option<pb::ReactionKind>,
        meta: &CommandMeta,
    ) -> Result<u64> {
        let found = self.post_in(caller, at).await?;
        found.access.require_member()?;
        if kind.is_some() && found.post.deleted {
            return Err(Error::precondition(
                "POST_DELETED",
                at.name(),
                "the post was deleted",
            ));
        }
        let command = React {
            post_id: at.post.clone(),
            user_id: caller.id().to_owned(),
            kind,
        };
        let id = format!("{}_{}", at.post, caller.id());
        Ok(self
            .inner
            .reactions
            .execute(&at.tenant, &id, meta, &command)
            .await?
            .sequence)
    }

    /// Moves the caller's read marker of `group` (`None`: the timeline) to `through` at
    /// once, and records it (coalesced: at most once an hour per group).
    pub async fn mark_read(
        &self,
        caller: &Caller,
        tenant: &str,
        group: Option<&str>,
        through: DateTime<Utc>,
        meta: &CommandMeta,
    ) -> Result<u64> {
        caller.see_tenant(tenant, &names::tenant_name(tenant))?;
        if let Some(group) = group {
            let (_, access) = self.group(caller, tenant, group).await?;
            access.require_member()?;
        }
        let group = group.unwrap_or_default();
        // The marker itself is UI state a person moves many times a minute: written
        // directly (only ever forward); the log keeps the coalesced record.
        projection::read_markers::advance(self.read().pool(), tenant, caller.id(), group, through)
            .await?;
        let command = MarkRead {
            group_id: group.to_owned(),
            through: through.timestamp(),
            now: meta
                .now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        };
        Ok(self
            .inner
            .read_states
            .execute(tenant, caller.id(), meta, &command)
            .await?
            .sequence)
    }
}
