//! The post aggregate (type `post`): a post or announcement, its edits (the history is
//! the sequence of `PostEdited`), pinning, deletion, reports and moderation.

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::feed::v1::{self as pb, post_event::Event as Ev};

/// A post.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Post {
    /// Created.
    pub exists: bool,
    /// The group it is in.
    pub group_id: String,
    /// Author.
    pub author_id: String,
    /// Current content.
    pub title: String,
    /// Current body.
    pub body: String,
    /// Current attachments.
    pub attachments: Vec<pb::Attachment>,
    /// Current mentions.
    pub mention_ids: Vec<String>,
    /// Set for announcements.
    pub announcement: Option<pb::Announcement>,
    /// 1 as created, +1 per edit.
    pub revision: i64,
    /// The revision readers must acknowledge (raised by material edits).
    pub acknowledgement_revision: i64,
    /// Pinned.
    pub pinned: bool,
    /// Hidden by a moderator.
    pub hidden: bool,
    /// Deleted.
    pub deleted: bool,
    /// Reported since a moderator last acted on it: hiding or restoring then settles the
    /// reports even when it does not change `hidden` (the moderation queue).
    pub open_reports: bool,
}

/// New content of a post.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Content {
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Attachments.
    pub attachments: Vec<pb::Attachment>,
    /// Mentioned user ids.
    pub mention_ids: Vec<String>,
}

/// What can be asked of a post.
#[derive(Debug, Clone)]
pub enum PostCommand {
    /// Create it.
    Create(pb::PostCreated),
    /// Replace its content.
    Edit {
        /// The new content.
        content: Content,
        /// Announcements: ask for a new acknowledgement.
        material_change: bool,
    },
    /// Delete it.
    Delete {
        /// Who.
        by: String,
        /// A moderator rather than the author.
        by_moderator: bool,
    },
    /// Pin or unpin.
    Pin(bool),
    /// Report to moderators.
    Report {
        /// Reporter.
        reporter_id: String,
        /// Why.
        reason: String,
    },
    /// Hide or restore.
    Moderate {
        /// Hide (true) or restore.
        hidden: bool,
        /// Why.
        reason: String,
    },
}

fn event(event: Ev) -> pb::PostEvent {
    pb::PostEvent { event: Some(event) }
}

/// Whether an announcement names an audience (any of its lists non-empty): then only its
/// readers and author see it. One with every list empty is for the whole group.
pub fn targeted(announcement: Option<&pb::Announcement>) -> bool {
    announcement
        .and_then(|a| a.audience.as_ref())
        .is_some_and(|a| {
            !(a.store_ids.is_empty()
                && a.regions.is_empty()
                && a.roles.is_empty()
                && a.department_ids.is_empty())
        })
}

impl Post {
    /// Whether it is an announcement naming an audience (see `targeted`).
    pub fn targeted(&self) -> bool {
        targeted(self.announcement.as_ref())
    }

    /// Whether readers must acknowledge it.
    pub fn requires_acknowledgement(&self) -> bool {
        self.announcement
            .as_ref()
            .is_some_and(|a| a.requires_acknowledgement)
    }

    fn alive(&self) -> Result<()> {
        if !self.exists {
            return Err(Error::NotFound("post".into()));
        }
        if self.deleted {
            return Err(Error::precondition(
                "POST_DELETED",
                "post",
                "the post was deleted",
            ));
        }
        Ok(())
    }
}

impl Aggregate for Post {
    const TYPE: &'static str = "post";
    type Command = PostCommand;
    type Event = pb::PostEvent;

    fn decide(&self, command: &PostCommand) -> Result<Vec<pb::PostEvent>> {
        if let PostCommand::Create(created) = command {
            if self.exists {
                return Err(Error::exists("POST_EXISTS", "post"));
            }
            return Ok(vec![event(Ev::Created(created.clone()))]);
        }
        if let PostCommand::Delete { by, by_moderator } = command {
            if !self.exists {
                return Err(Error::NotFound("post".into()));
            }
            if self.deleted {
                return Ok(vec![]);
            }
            return Ok(vec![event(Ev::Deleted(pb::PostDeleted {
                deleted_by: by.clone(),
                by_moderator: *by_moderator,
            }))]);
        }
        self.alive()?;
        Ok(match command {
            PostCommand::Edit {
                content,
                material_change,
            } => {
                let same = content.title == self.title
                    && content.body == self.body
                    && content.attachments == self.attachments
                    && content.mention_ids == self.mention_ids;
                if same && !material_change {
                    return Ok(vec![]);
                }
                vec![event(Ev::Edited(pb::PostEdited {
                    title: content.title.clone(),
                    body: content.body.clone(),
                    attachments: content.attachments.clone(),
                    mention_ids: content.mention_ids.clone(),
                    revision: self.revision + 1,
                    material_change: *material_change && self.requires_acknowledgement(),
                }))]
            }
            PostCommand::Pin(pinned) if *pinned == self.pinned => vec![],
            PostCommand::Pin(pinned) => vec![event(Ev::Pinned(pb::PostPinned { pinned: *pinned }))],
            PostCommand::Report {
                reporter_id,
                reason,
            } => vec![event(Ev::Reported(pb::PostReported {
                reporter_id: reporter_id.clone(),
                reason: reason.clone(),
            }))],
            PostCommand::Moderate { hidden, .. }
                if *hidden == self.hidden && !self.open_reports =>
            {
                vec![]
            }
            PostCommand::Moderate { hidden, reason } => {
                vec![event(Ev::Moderated(pb::PostModerated {
                    hidden: *hidden,
                    reason: reason.clone(),
                }))]
            }
            PostCommand::Create(_) | PostCommand::Delete { .. } => vec![],
        })
    }

    fn apply(mut self, event: &pb::PostEvent) -> Self {
        match &event.event {
            Some(Ev::Created(e)) => {
                self.exists = true;
                self.group_id = e.group_id.clone();
                self.author_id = e.author_id.clone();
                self.title = e.title.clone();
                self.body = e.body.clone();
                self.attachments = e.attachments.clone();
                self.mention_ids = e.mention_ids.clone();
                self.announcement = e.announcement.clone();
                self.revision = 1;
                self.acknowledgement_revision = 1;
            }
            Some(Ev::Edited(e)) => {
                self.title = e.title.clone();
                self.body = e.body.clone();
                self.attachments = e.attachments.clone();
                self.mention_ids = e.mention_ids.clone();
                self.revision = e.revision;
                if e.material_change {
                    self.acknowledgement_revision = e.revision;
                }
            }
            Some(Ev::Deleted(_)) => {
                self.deleted = true;
                self.open_reports = false;
            }
            Some(Ev::Pinned(e)) => self.pinned = e.pinned,
            Some(Ev::Moderated(e)) => {
                self.hidden = e.hidden;
                self.open_reports = false;
            }
            Some(Ev::Reported(_)) => self.open_reports = true,
            None => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use breakroom_events::aggregate::given;

    use super::*;

    fn announcement() -> pb::PostEvent {
        event(Ev::Created(pb::PostCreated {
            group_id: "news".into(),
            author_id: "hq".into(),
            title: "New fridge rules".into(),
            body: "Label everything.".into(),
            announcement: Some(pb::Announcement {
                requires_acknowledgement: true,
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    fn content(body: &str) -> Content {
        Content {
            title: "New fridge rules".into(),
            body: body.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_material_edit_raises_the_revision_readers_must_acknowledge() {
        let state = given::<Post>([announcement()])
            .when(PostCommand::Edit {
                content: content("Label everything with a date."),
                material_change: true,
            })
            .then([event(Ev::Edited(pb::PostEdited {
                title: "New fridge rules".into(),
                body: "Label everything with a date.".into(),
                revision: 2,
                material_change: true,
                ..Default::default()
            }))]);
        assert_eq!(state.acknowledgement_revision, 2);
    }

    #[test]
    fn a_typo_fix_keeps_acknowledgements() {
        let state = given::<Post>([announcement()])
            .when(PostCommand::Edit {
                content: content("Label everything!"),
                material_change: false,
            })
            .then([event(Ev::Edited(pb::PostEdited {
                title: "New fridge rules".into(),
                body: "Label everything!".into(),
                revision: 2,
                material_change: false,
                ..Default::default()
            }))]);
        assert_eq!((state.revision, state.acknowledgement_revision), (2, 1));
    }

    #[test]
    fn a_deleted_post_cannot_be_edited_and_deleting_again_changes_nothing() {
        let deleted = event(Ev::Deleted(pb::PostDeleted {
            deleted_by: "hq".into(),
            by_moderator: false,
        }));
        let error = given::<Post>([announcement(), deleted.clone()])
            .when(PostCommand::Pin(true))
            .then_error();
        assert_eq!(error.reason(), "POST_DELETED");
        given::<Post>([announcement(), deleted])
            .when(PostCommand::Delete {
                by: "hq".into(),
                by_moderator: false,
            })
            .then([]);
    }

    #[test]
    fn pinning_and_hiding_twice_change_nothing() {
        given::<Post>([
            announcement(),
            event(Ev::Pinned(pb::PostPinned { pinned: true })),
        ])
        .when(PostCommand::Pin(true))
        .then([]);
        given::<Post>([announcement()])
            .when(PostCommand::Moderate {
                hidden: false,
                reason: String::new(),
            })
            .then([]);
    }

    fn reported() -> pb::PostEvent {
        event(Ev::Reported(pb::PostReported {
            reporter_id: "ann".into(),
            reason: "rude".into(),
        }))
    }

    fn moderated(hidden: bool) -> pb::PostEvent {
        event(Ev::Moderated(pb::PostModerated {
            hidden,
            reason: "checked".into(),
        }))
    }

    #[test]
    fn restoring_a_reported_post_that_is_not_hidden_settles_its_reports() {
        given::<Post>([announcement(), reported()])
            .when(PostCommand::Moderate {
                hidden: false,
                reason: "checked".into(),
            })
            .then([moderated(false)]);
    }

    #[test]
    fn once_settled_moderating_again_changes_nothing_until_a_new_report() {
        given::<Post>([announcement(), reported(), moderated(true)])
            .when(PostCommand::Moderate {
                hidden: true,
                reason: "checked".into(),
            })
            .then([]);
        given::<Post>([announcement(), reported(), moderated(true), reported()])
            .when(PostCommand::Moderate {
                hidden: true,
                reason: "checked".into(),
            })
            .then([moderated(true)]);
    }
}
