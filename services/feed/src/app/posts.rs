//! Posts: creating (announcements resolve their audience, see `announcements`), editing
//! by the author with the history kept, deleting by the author or a moderator, pinning by
//! group admins, reporting, and moderation.

use breakroom_base::{Error, Result};
use breakroom_directory::Caller;
use breakroom_events::{
    envelope::{CommandMeta, new_aggregate_id},
    repository::Committed,
};
use breakroom_proto::feed::v1 as pb;

use super::{
    App,
    access::{GroupAccess, require_announcer},
    visibility::{Freshness, Shown},
};
use crate::{
    domain::post::{Content, Post, PostCommand},
    names,
    queries::groups::GroupRow,
};

/// A post to create.
#[derive(Debug, Clone, Default)]
pub struct NewPost {
    /// Title, body, attachments, mentions.
    pub content: Content,
    /// Set for announcements.
    pub announcement: Option<pb::Announcement>,
}

/// What a moderator does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    /// Hide from every timeline.
    Hide,
    /// Restore a hidden post.
    Restore,
    /// Delete.
    Delete,
}

/// Where a post is: tenant, group and post ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRef {
    /// Tenant id.
    pub tenant: String,
    /// Group id.
    pub group: String,
    /// Post id.
    pub post: String,
}

impl PostRef {
    /// Its resource name.
    pub fn name(&self) -> String {
        names::post_name(&self.tenant, &self.group, &self.post)
    }
}

/// A post with the group it is in and the caller's access there.
#[derive(Debug, Clone)]
pub struct PostInGroup {
    /// The group.
    pub group: GroupRow,
    /// The caller's access to the group.
    pub access: GroupAccess,
    /// The post as its events say.
    pub post: Post,
}

/// A post's id: 26 base32 characters of a UUID derived from the request id (a retry
/// addresses the same post), short enough that `<post id>_<user id>` (acknowledgements,
/// reactions) stays within a subject token's 64 characters.
pub fn post_id(tenant: &str, request_id: Option<&str>) -> String {
    let uuid = new_aggregate_id(tenant, "post", request_id);
    let bytes = uuid::Uuid::parse_str(&uuid).map_or([0; 16], |u| *u.as_bytes());
    crate::domain::base32(&bytes)
}

impl App {
    /// A post of a group of the caller's tenant, as its events say, for a command on it or
    /// its comments, reactions or acknowledgements; NOT_FOUND when either is unknown, the
    /// post is in another group, or a member of the group does not see it (hidden, or an
    /// announcement for others: `visibility`). Deleted posts are returned: commands answer
    /// `POST_DELETED`. Whether a non-member may act is the command's to decide.
    pub async fn post_in(&self, caller: &Caller, at: &PostRef) -> Result<PostInGroup> {
        let found = self.post_in_group(caller, at).await?;
        if found.access.member {
            let shown = Shown {
                hidden: found.post.hidden,
                targeted: found.post.targeted(),
                author_id: &found.post.author_id,
            };
            self.require_shown(caller, at, &found.access, shown, Freshness::Latest)
                .await?;
        }
        Ok(found)
    }

    /// Like `post_in`, whoever may see the post: for the acknowledgement report, whose
    /// readers have their own rule (`report_scope`).
    pub(crate) async fn post_in_group(&self, caller: &Caller, at: &PostRef) -> Result<PostInGroup> {
        let (tenant, group, post) = (at.tenant.as_str(), at.group.as_str(), at.post.as_str());
        let (row, access) = self.group(caller, tenant, group).await?;
        let loaded = self.posts().load(tenant, post).await?;
        if !loaded.state.exists || loaded.state.group_id != group {
            return Err(Error::NotFound(names::post_name(tenant, group, post)));
        }
        Ok(PostInGroup {
            group: row,
            access,
            post: loaded.state,
        })
    }

    /// Posts in a group. An announcement's audience is resolved and snapshotted right
    /// after the post is committed; the returned sequence covers both.
    pub async fn create_post(
        &self,
        caller: &Caller,
        tenant: &str,
        group: &str,
        post: NewPost,
        meta: &CommandMeta,
    ) -> Result<(String, u64, Committed<Post>)> {
        let (row, access) = self.group(caller, tenant, group).await?;
        access.require_member()?;
        if !access.can_post(&row) {
            return Err(Error::denied(
                "POSTING_RESTRICTED",
                "only the group's admins may post here",
            ));
        }
        if let Some(announcement) = &post.announcement {
            require_announcer(caller, announcement)?;
        }
        let readers = match &post.announcement {
            Some(announcement) => Some(self.audience(tenant, announcement, caller.id()).await?),
            None => None,
        };
        let id = post_id(tenant, meta.request_id.as_deref());
        let created = pb::PostCreated {
            group_id: group.to_owned(),
            author_id: caller.id().to_owned(),
            title: post.content.title,
            body: post.content.body,
            attachments: post.content.attachments,
            mention_ids: post.content.mention_ids,
            announcement: post.announcement,
        };
        let committed = self
            .posts()
            .execute(tenant, &id, meta, &PostCommand::Create(created))
            .await?;
        let mut sequence = committed.sequence;
        if let Some(readers) = readers {
            let snapshot = self
                .snapshot_audience(tenant, &id, &readers, 1, meta)
                .await?;
            sequence = sequence.max(snapshot);
        }
        Ok((id, sequence, committed))
    }

    /// Edits a post: its author only, while still a member.
    pub async fn update_post(
        &self,
        caller: &Caller,
        at: &PostRef,
        content: Content,
        material_change: bool,
        meta: &CommandMeta,
    ) -> Result<Committed<Post>> {
        let found = self.post_in(caller, at).await?;
        found.access.require_member()?;
        if found.post.author_id != caller.id() {
            return Err(Error::denied(
                "NOT_THE_AUTHOR",
                "only the author edits a post",
            ));
        }
        let command = PostCommand::Edit {
            content,
            material_change,
        };
        self.posts()
            .execute(&at.tenant, &at.post, meta, &command)
            .await
    }

    /// Whether the caller may delete the post, and as whom: its author (still a member)
    /// deletes their own, a moderator of the group (`true`) anyone's. PERMISSION_DENIED
    /// `NOT_A_MODERATOR` otherwise.
    pub async fn may_delete_post(&self, caller: &Caller, at: &PostRef) -> Result<bool> {
        let found = self.post_in(caller, at).await?;
        let author = found.post.author_id == caller.id() && found.access.member;
        if !author {
            found.access.require_moderator()?;
        }
        Ok(!author)
    }

    /// Deletes a post: its author (still a member) or a moderator of the group.
    pub async fn delete_post(
        &self,
        caller: &Caller,
        at: &PostRef,
        meta: &CommandMeta,
    ) -> Result<Committed<Post>> {
        let by_moderator = self.may_delete_post(caller, at).await?;
        let command = PostCommand::Delete {
            by: caller.id().to_owned(),
            by_moderator,
        };
        self.posts()
            .execute(&at.tenant, &at.post, meta, &command)
            .await
    }

    /// PERMISSION_DENIED `NOT_A_GROUP_ADMIN` unless the caller may pin the post.
    pub async fn may_pin_post(&self, caller: &Caller, at: &PostRef) -> Result<()> {
        self.post_in(caller, at).await?.access.require_admin()
    }

    /// Pins or unpins: group admins.
    pub async fn pin_post(
        &self,
        caller: &Caller,
        at: &PostRef,
        pinned: bool,
        meta: &CommandMeta,
    ) -> Result<Committed<Post>> {
        self.may_pin_post(caller, at).await?;
        self.posts()
            .execute(&at.tenant, &at.post, meta, &PostCommand::Pin(pinned))
            .await
    }

    /// Reports a post to the moderators: members.
    pub async fn report_post(
        &self,
        caller: &Caller,
        at: &PostRef,
        reason: String,
        meta: &CommandMeta,
    ) -> Result<Committed<Post>> {
        let found = self.post_in(caller, at).await?;
        found.access.require_member()?;
        let command = PostCommand::Report {
            reporter_id: caller.id().to_owned(),
            reason,
        };
        self.posts()
            .execute(&at.tenant, &at.post, meta, &command)
            .await
    }

    /// Hides, restores or deletes a post: moderators of the group.
    pub async fn moderate_post(
        &self,
        caller: &Caller,
        at: &PostRef,
        action: Moderation,
        reason: String,
        meta: &CommandMeta,
    ) -> Result<Committed<Post>> {
        let found = self.post_in(caller, at).await?;
        found.access.require_moderator()?;
        let command = match action {
            Moderation::Hide => PostCommand::Moderate {
                hidden: true,
                reason,
            },
            Moderation::Restore => PostCommand::Moderate {
                hidden: false,
                reason,
            },
            Moderation::Delete => PostCommand::Delete {
                by: caller.id().to_owned(),
                by_moderator: true,
            },
        };
        self.posts()
            .execute(&at.tenant, &at.post, meta, &command)
            .await
    }
}
