//! Announcement handlers: AcknowledgePost, SendAcknowledgementReminder (the report is
//! `report`).

use breakroom_base::Result;
use breakroom_proto::feed::v1 as pb;
use tonic::Request;

use super::{Reply, posts::view, written};
use crate::{
    app::{App, posts::PostRef},
    names,
};

/// The announcement named by a request's `name`.
pub(super) fn post_ref(name: &str) -> Result<PostRef> {
    let (tenant, group, post) = names::post("name", name)?;
    Ok(PostRef {
        tenant,
        group,
        post,
    })
}

/// `AcknowledgePost`.
pub async fn acknowledge(
    app: &App,
    request: Request<pb::AcknowledgePostRequest>,
) -> Reply<pb::Post> {
    let caller = app.caller(&request).await?;
    let at = post_ref(&request.get_ref().name)?;
    app.may_take_part(&caller, &at).await?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let sequence = app.acknowledge(&caller, &at, &meta).await?;
    Ok(written(view(app, &caller, &at, sequence).await?, sequence))
}

/// `SendAcknowledgementReminder`.
pub async fn remind(
    app: &App,
    request: Request<pb::SendAcknowledgementReminderRequest>,
) -> Reply<pb::SendAcknowledgementReminderResponse> {
    let caller = app.caller(&request).await?;
    let at = post_ref(&request.get_ref().name)?;
    app.report_scope(&caller, &at).await?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let reminder = app.send_reminder(&caller, &at, &meta).await?;
    Ok(written(
        pb::SendAcknowledgementReminderResponse {
            reminder_id: reminder.id,
            recipient_count: reminder.recipients as i64,
        },
        reminder.sequence,
    ))
}
