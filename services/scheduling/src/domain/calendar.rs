//! An employee's private calendar feed URL: created (replacing the previous one) and
//! revoked. Only the SHA-256 of the URL's secret is recorded.

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::scheduling::v1::{self as pb, calendar_feed_event::Event as Ev};

/// State of a feed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalendarFeed {
    /// SHA-256 of the live token, if any.
    pub token_hash: Option<Vec<u8>>,
}

/// What can be asked of a feed.
#[derive(Debug, Clone)]
pub enum CalendarFeedCommand {
    /// Make a new URL (the old one stops working).
    Create {
        /// SHA-256 of the new token.
        token_hash: Vec<u8>,
    },
    /// Revoke the URL.
    Revoke,
}

impl Aggregate for CalendarFeed {
    const TYPE: &'static str = "calendar_feed";
    type Command = CalendarFeedCommand;
    type Event = pb::CalendarFeedEvent;

    fn decide(&self, command: &CalendarFeedCommand) -> Result<Vec<pb::CalendarFeedEvent>> {
        let event = match command {
            CalendarFeedCommand::Create { token_hash } => Ev::Created(pb::CalendarFeedCreated {
                token_hash: token_hash.clone(),
            }),
            CalendarFeedCommand::Revoke => {
                if self.token_hash.is_none() {
                    return Err(Error::NotFound("calendar feed".into()));
                }
                Ev::Revoked(pb::CalendarFeedRevoked {})
            }
        };
        Ok(vec![pb::CalendarFeedEvent { event: Some(event) }])
    }

    fn apply(mut self, event: &pb::CalendarFeedEvent) -> Self {
        match &event.event {
            Some(Ev::Created(e)) => self.token_hash = Some(e.token_hash.clone()),
            Some(Ev::Revoked(_)) => self.token_hash = None,
            None => {}
        }
        self
    }
}
