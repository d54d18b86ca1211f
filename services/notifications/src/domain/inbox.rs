//! A person's inbox as an aggregate: what they marked read and the test notifications they
//! asked for. The items themselves are derived from the source events (the routing
//! projection); only the person's own actions are events here.

use breakroom_base::Result;
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::notifications::v1::{
    InboxEvent, NotificationsRead, TestNotificationRequested, inbox_event::Event as Ev,
};

/// The inbox aggregate: nothing to remember beyond the history (the kit keeps request
/// ids); every command is recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inbox;

/// What can be asked of an inbox.
#[derive(Debug, Clone)]
pub enum InboxCommand {
    /// Mark notifications (ids) or all read.
    MarkRead {
        /// Notification ids (UUIDs).
        ids: Vec<String>,
        /// Everything up to now.
        all: bool,
    },
    /// Create a test notification with this id.
    RequestTest {
        /// The notification id (derived from the request id).
        notification_id: String,
    },
}

impl Aggregate for Inbox {
    const TYPE: &'static str = "inbox";
    type Command = InboxCommand;
    type Event = InboxEvent;

    fn decide(&self, command: &InboxCommand) -> Result<Vec<InboxEvent>> {
        let event = match command {
            InboxCommand::MarkRead { ids, all } => Ev::Read(NotificationsRead {
                notification_ids: ids.clone(),
                all: *all,
            }),
            InboxCommand::RequestTest { notification_id } => {
                Ev::TestRequested(TestNotificationRequested {
                    notification_id: notification_id.clone(),
                })
            }
        };
        Ok(vec![InboxEvent { event: Some(event) }])
    }

    fn apply(self, _: &InboxEvent) -> Self {
        self
    }
}
