//! The small aggregates, one per fact so that thousands of people acting at once never
//! contend: audience chunks (`audience`, `<post>_<chunk>`), acknowledgements
//! (`acknowledgement`, `<post>_<user>`), reminder chunks (`reminder`,
//! `<reminder>_<chunk>`), comments (`comment`), reactions (`reaction`, `<post>_<user>`)
//! and read state (`read_state`, user id).

use std::collections::BTreeMap;

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::feed::v1::{
    self as pb, acknowledgement_event::Event as Ack, audience_event::Event as Aud,
    comment_event::Event as Com, reaction_event::Event as Rea, read_state_event::Event as Rs,
    reminder_event::Event as Rem,
};

/// One chunk of an announcement's snapshotted readers; written once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudienceChunk {
    /// Written.
    pub exists: bool,
}

impl Aggregate for AudienceChunk {
    const TYPE: &'static str = "audience";
    type Command = pb::AudienceResolved;
    type Event = pb::AudienceEvent;

    fn decide(&self, command: &pb::AudienceResolved) -> Result<Vec<pb::AudienceEvent>> {
        if self.exists {
            return Ok(vec![]);
        }
        Ok(vec![pb::AudienceEvent {
            event: Some(Aud::Resolved(command.clone())),
        }])
    }

    fn apply(mut self, _: &pb::AudienceEvent) -> Self {
        self.exists = true;
        self
    }
}

/// One reminder chunk; written once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReminderChunk {
    /// Written.
    pub exists: bool,
}

impl Aggregate for ReminderChunk {
    const TYPE: &'static str = "reminder";
    type Command = pb::AcknowledgementReminderSent;
    type Event = pb::ReminderEvent;

    fn decide(&self, command: &pb::AcknowledgementReminderSent) -> Result<Vec<pb::ReminderEvent>> {
        if self.exists {
            return Ok(vec![]);
        }
        Ok(vec![pb::ReminderEvent {
            event: Some(Rem::Sent(command.clone())),
        }])
    }

    fn apply(mut self, _: &pb::ReminderEvent) -> Self {
        self.exists = true;
        self
    }
}

/// One reader's acknowledgement of one announcement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Acknowledgement {
    /// Highest revision acknowledged (0 = none).
    pub revision: i64,
}

impl Aggregate for Acknowledgement {
    const TYPE: &'static str = "acknowledgement";
    type Command = pb::PostAcknowledged;
    type Event = pb::AcknowledgementEvent;

    fn decide(&self, command: &pb::PostAcknowledged) -> Result<Vec<pb::AcknowledgementEvent>> {
        if command.revision <= self.revision {
            return Ok(vec![]);
        }
        Ok(vec![pb::AcknowledgementEvent {
            event: Some(Ack::Acknowledged(command.clone())),
        }])
    }

    fn apply(mut self, event: &pb::AcknowledgementEvent) -> Self {
        if let Some(Ack::Acknowledged(e)) = &event.event {
            self.revision = self.revision.max(e.revision);
        }
        self
    }
}

/// A comment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comment {
    /// Added.
    pub exists: bool,
    /// Its post.
    pub post_id: String,
    /// Author.
    pub author_id: String,
    /// The comment it replies to.
    pub parent_comment_id: String,
    /// Deleted.
    pub deleted: bool,
}

/// What can be asked of a comment.
#[derive(Debug, Clone)]
pub enum CommentCommand {
    /// Add it.
    Add(pb::CommentAdded),
    /// Delete it.
    Delete {
        /// Who.
        by: String,
    },
}

impl Aggregate for Comment {
    const TYPE: &'static str = "comment";
    type Command = CommentCommand;
    type Event = pb::CommentEvent;

    fn decide(&self, command: &CommentCommand) -> Result<Vec<pb::CommentEvent>> {
        match command {
            CommentCommand::Add(_) if self.exists => {
                Err(Error::exists("COMMENT_EXISTS", "comment"))
            }
            CommentCommand::Add(added) => Ok(vec![pb::CommentEvent {
                event: Some(Com::Added(added.clone())),
            }]),
            CommentCommand::Delete { .. } if !self.exists => Err(Error::NotFound("comment".into())),
            CommentCommand::Delete { .. } if self.deleted => Ok(vec![]),
            CommentCommand::Delete { by } => Ok(vec![pb::CommentEvent {
                event: Some(Com::Deleted(pb::CommentDeleted {
                    post_id: self.post_id.clone(),
                    deleted_by: by.clone(),
                })),
            }]),
        }
    }

    fn apply(mut self, event: &pb::CommentEvent) -> Self {
        match &event.event {
            Some(Com::Added(e)) => {
                self.exists = true;
                self.post_id = e.post_id.clone();
                self.author_id = e.author_id.clone();
                self.parent_comment_id = e.parent_comment_id.clone();
            }
            Some(Com::Deleted(_)) => self.deleted = true,
            None => {}
        }
        self
    }
}

/// One person's reaction to one post.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reaction {
    /// The current kind; `None` when cleared or never set.
    pub kind: Option<i32>,
}

/// Set (`Some`) or clear (`None`) a reaction of `user` on `post`.
#[derive(Debug, Clone)]
pub struct React {
    /// Post id.
    pub post_id: String,
    /// User id.
    pub user_id: String,
    /// The reaction, or none to clear.
    pub kind: Option<pb::ReactionKind>,
}

impl Aggregate for Reaction {
    const TYPE: &'static str = "reaction";
    type Command = React;
    type Event = pb::ReactionEvent;

    fn decide(&self, command: &React) -> Result<Vec<pb::ReactionEvent>> {
        let wanted = command.kind.map(|k| k as i32);
        if wanted == self.kind {
            return Ok(vec![]);
        }
        let event = match command.kind {
            Some(kind) => Rea::Set(pb::ReactionSet {
                post_id: command.post_id.clone(),
                user_id: command.user_id.clone(),
                kind: kind as i32,
            }),
            None => Rea::Cleared(pb::ReactionCleared {
                post_id: command.post_id.clone(),
                user_id: command.user_id.clone(),
            }),
        };
        Ok(vec![pb::ReactionEvent { event: Some(event) }])
    }

    fn apply(mut self, event: &pb::ReactionEvent) -> Self {
        self.kind = match &event.event {
            Some(Rea::Set(e)) => Some(e.kind),
            _ => None,
        };
        self
    }
}

/// Coalescing window of read-state events per person and group.
pub const READ_COALESCE_SECS: i64 = 3600;

/// One person's recorded read state: per group (`""` = timeline), the last recorded
/// marker and when it was recorded (unix seconds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadState {
    /// group -> (read through, recorded at).
    pub groups: BTreeMap<String, (i64, i64)>,
}

/// Record that a person read `group_id` through `through` (unix seconds) at `now`.
#[derive(Debug, Clone)]
pub struct MarkRead {
    /// Group id, `""` for the timeline.
    pub group_id: String,
    /// Read through (unix seconds).
    pub through: i64,
    /// The handler's now (unix seconds).
    pub now: i64,
}

impl Aggregate for ReadState {
    const TYPE: &'static str = "read_state";
    type Command = MarkRead;
    type Event = pb::ReadStateEvent;

    /// Records only a marker that moves forward, and at most once per window and group:
    /// reading does not flood the log, yet every active reader shows once an hour.
    fn decide(&self, command: &MarkRead) -> Result<Vec<pb::ReadStateEvent>> {
        if let Some((through, at)) = self.groups.get(&command.group_id)
            && (command.through <= *through || command.now - at < READ_COALESCE_SECS)
        {
            return Ok(vec![]);
        }
        Ok(vec![pb::ReadStateEvent {
            event: Some(Rs::Read(pb::TimelineRead {
                group_id: command.group_id.clone(),
                read_through_time: Some(prost_types::Timestamp {
                    seconds: command.through,
                    nanos: 0,
                }),
            })),
        }])
    }

    fn apply(mut self, event: &pb::ReadStateEvent) -> Self {
        // The event's own time is in the envelope, not here; the read-through instant
        // stands in for it (a marker is never ahead of when it was recorded).
        if let Some(Rs::Read(e)) = &event.event {
            let through = e.read_through_time.as_ref().map_or(0, |t| t.seconds);
            self.groups.insert(e.group_id.clone(), (through, through));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use breakroom_events::aggregate::given;

    use super::*;

    fn react(kind: Option<pb::ReactionKind>) -> React {
        React {
            post_id: "p".into(),
            user_id: "u".into(),
            kind,
        }
    }

    #[test]
    fn setting_the_same_reaction_or_clearing_none_records_nothing() {
        given::<Reaction>([]).when(react(None)).then([]);
        let set = given::<Reaction>([])
            .when(react(Some(pb::ReactionKind::Like)))
            .then_events();
        given::<Reaction>(set.clone())
            .when(react(Some(pb::ReactionKind::Like)))
            .then([]);
        assert_eq!(
            given::<Reaction>(set)
                .when(react(Some(pb::ReactionKind::Love)))
                .then_events()
                .len(),
            1
        );
    }

    #[test]
    fn read_state_is_recorded_at_most_once_an_hour_per_group() {
        let first = given::<ReadState>([])
            .when(MarkRead {
                group_id: "g".into(),
                through: 1_000,
                now: 1_000,
            })
            .then_events();
        assert_eq!(first.len(), 1);
        given::<ReadState>(first.clone())
            .when(MarkRead {
                group_id: "g".into(),
                through: 2_000,
                now: 2_000,
            })
            .then([]);
        assert_eq!(
            given::<ReadState>(first)
                .when(MarkRead {
                    group_id: "g".into(),
                    through: 5_000,
                    now: 5_000,
                })
                .then_events()
                .len(),
            1
        );
    }

    #[test]
    fn acknowledging_a_revision_twice_records_it_once() {
        let ack = pb::PostAcknowledged {
            post_id: "p".into(),
            user_id: "u".into(),
            revision: 1,
        };
        let first = given::<Acknowledgement>([]).when(ack.clone()).then_events();
        given::<Acknowledgement>(first.clone())
            .when(ack.clone())
            .then([]);
        given::<Acknowledgement>(first)
            .when(pb::PostAcknowledged { revision: 2, ..ack })
            .then_events();
    }
}
