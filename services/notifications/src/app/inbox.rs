//! The inbox: read marks (which also drop the pushes not yet sent) and test
//! notifications (pushed at once, whatever the quiet hours).

use breakroom_base::Result;
use breakroom_directory::Caller;
use breakroom_events::repository::Committed;

use super::App;
use crate::domain::inbox::{Inbox, InboxCommand};

impl App {
    /// Marks notifications (or all) of the caller read.
    pub async fn mark_read(
        &self,
        caller: &Caller,
        tenant: &str,
        ids: Vec<String>,
        all: bool,
        request_id: &str,
    ) -> Result<Committed<Inbox>> {
        let meta = caller.meta(request_id)?;
        self.inboxes()
            .execute(
                tenant,
                caller.id(),
                &meta,
                &InboxCommand::MarkRead { ids, all },
            )
            .await
    }

    /// Asks for a test notification; its id is derived from the request id.
    pub async fn request_test(
        &self,
        caller: &Caller,
        tenant: &str,
        request_id: &str,
    ) -> Result<(String, Committed<Inbox>)> {
        let meta = caller.meta(request_id)?;
        let id = crate::delivery::outbox::notification_id(
            tenant,
            &format!("test:{request_id}"),
            caller.id(),
        );
        let committed = self
            .inboxes()
            .execute(
                tenant,
                caller.id(),
                &meta,
                &InboxCommand::RequestTest {
                    notification_id: id.to_string(),
                },
            )
            .await?;
        Ok((id.to_string(), committed))
    }
}
