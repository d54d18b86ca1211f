//! Calendar feed handlers: CreateCalendarFeed, RevokeCalendarFeed.

use breakroom_events::consistency::reply;
use breakroom_proto::scheduling::v1 as pb;
use tonic::Request;

use super::{Reply, token};
use crate::{app::App, names};

/// `CreateCalendarFeed`.
pub async fn create(
    app: &App,
    request: Request<pb::CreateCalendarFeedRequest>,
) -> Reply<pb::CalendarFeed> {
    let caller = app.caller(&request).await?;
    let (tenant, user) = names::user("parent", &request.get_ref().parent)?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let (url, sequence) = app
        .create_calendar_feed(&caller, &tenant, &user, &meta)
        .await?;
    Ok(reply(
        pb::CalendarFeed {
            name: format!("{}/calendarFeed", names::user_name(&tenant, &user)),
            url,
            create_time: Some(meta.now().into()),
        },
        token(sequence),
    ))
}

/// `RevokeCalendarFeed`.
pub async fn revoke(app: &App, request: Request<pb::RevokeCalendarFeedRequest>) -> Reply<()> {
    let caller = app.caller(&request).await?;
    let (tenant, user) = names::calendar_feed("name", &request.get_ref().name)?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let sequence = app
        .revoke_calendar_feed(&caller, &tenant, &user, &meta)
        .await?;
    Ok(reply((), token(sequence)))
}
