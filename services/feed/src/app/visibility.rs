//! Who sees a post: one rule behind every path that returns a post or anything of it —
//! GetPost, ListGroupPosts, ListTimeline, ListComments, the unread counts, and every
//! mutation on a post or its comments, reactions and acknowledgements (which reply with
//! the post) — so a post kept from someone is kept from them everywhere.
//!
//! A member of a post's group sees it unless
//! - it is hidden by a moderator, and they do not moderate the group, or
//! - it is an announcement naming an audience (`domain::post::targeted`), and they are
//!   neither its author nor one of the readers snapshotted when it was published (they
//!   hold no obligation). Managers outside the audience included: the architecture
//!   promises such announcements are "shown only to their readers and author".
//!
//! Not seeing a post is NOT_FOUND, as for a post that does not exist (non-members are
//! told `NOT_A_MEMBER` first, as before). A deleted post is NOT_FOUND to reads, while
//! mutations answer `POST_DELETED`. Lists apply the rule in their SQL
//! (`queries::posts::for_reader`) over indexes that hold no hidden post, so a moderator
//! finds a hidden post by name only. The acknowledgement report is not a view of the post:
//! it has its own rule (`App::report_scope`: the author, HQ admins, store managers and
//! team leads for their stores).

use breakroom_base::{Error, Result};
use breakroom_directory::Caller;

use super::{App, access::GroupAccess, posts::PostRef};
use crate::queries::{announcements, posts, posts::PostRow};

/// What the rule looks at of a post.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    /// Hidden by a moderator.
    pub hidden: bool,
    /// An announcement naming an audience.
    pub targeted: bool,
    /// Its author.
    pub author_id: &'a str,
}

/// How fresh the obligation a reader holds must be looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// As the read model holds it now: reads, answered at the read model's position (a
    /// client that just wrote passes its consistency token).
    ReadModel,
    /// Caught up with everything recorded so far when it is missing: commands, decided on
    /// the post's events, whose audience snapshot may have been written a moment ago.
    Latest,
}

impl App {
    /// NOT_FOUND (named `at`) unless `caller`, with `access` to the post's group, sees the
    /// post described by `post`.
    pub async fn require_shown(
        &self,
        caller: &Caller,
        at: &PostRef,
        access: &GroupAccess,
        post: Shown<'_>,
        freshness: Freshness,
    ) -> Result<()> {
        if self.shown(caller, at, access, post, freshness).await? {
            Ok(())
        } else {
            Err(Error::NotFound(at.name()))
        }
    }

    async fn shown(
        &self,
        caller: &Caller,
        at: &PostRef,
        access: &GroupAccess,
        post: Shown<'_>,
        freshness: Freshness,
    ) -> Result<bool> {
        if !access.member || (post.hidden && !access.moderator) {
            return Ok(false);
        }
        if !post.targeted || post.author_id == caller.id() {
            return Ok(true);
        }
        let obligation =
            || announcements::obligation(self.read().pool(), &at.tenant, &at.post, caller.id());
        if obligation().await?.is_some() {
            return Ok(true);
        }
        if freshness == Freshness::ReadModel {
            return Ok(false);
        }
        self.catch_up().await?;
        Ok(obligation().await?.is_some())
    }

    /// A post as the read model holds it, with the caller's access to its group, when the
    /// caller sees it: PERMISSION_DENIED `NOT_A_MEMBER` outside the group, NOT_FOUND when
    /// unknown, deleted or not shown to them.
    pub async fn visible_post(
        &self,
        caller: &Caller,
        at: &PostRef,
    ) -> Result<(PostRow, GroupAccess)> {
        let (_, access) = self.group(caller, &at.tenant, &at.group).await?;
        access.require_member()?;
        let row = posts::get(self.read().pool(), &at.tenant, &at.post, caller.id())
            .await?
            .filter(|r| r.group_id == at.group && r.kind != "card" && !r.deleted)
            .ok_or_else(|| Error::NotFound(at.name()))?;
        let post = Shown {
            hidden: row.hidden,
            targeted: row.targeted,
            author_id: &row.author_id,
        };
        self.require_shown(caller, at, &access, post, Freshness::ReadModel)
            .await?;
        Ok((row, access))
    }
}
