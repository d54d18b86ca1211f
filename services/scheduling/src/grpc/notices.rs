//! Change-notice handlers: AcknowledgeShiftChange, ListMyChangeNotices.

use breakroom_base::paging::Page;
use breakroom_events::consistency::reply;
use breakroom_proto::scheduling::v1 as pb;
use tonic::{Request, Response};

use super::{Reply, convert, token};
use crate::{app::App, names, queries};

/// `AcknowledgeShiftChange`.
pub async fn acknowledge(
    app: &App,
    request: Request<pb::AcknowledgeShiftChangeRequest>,
) -> Reply<pb::ShiftChangeNotice> {
    let caller = app.caller(&request).await?;
    let (tenant, user, notice) = names::shift_change("name", &request.get_ref().name)?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let (notice, sequence) = app
        .acknowledge(&caller, &tenant, &user, &notice, &meta)
        .await?;
    Ok(reply(
        convert::notice(&tenant, &user, &notice),
        token(sequence),
    ))
}

/// `ListMyChangeNotices`.
pub async fn list_mine(
    app: &App,
    request: Request<pb::ListMyChangeNoticesRequest>,
) -> Reply<pb::ListMyChangeNoticesResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let page = Page::parse(body.page_size, &body.page_token, "notices")?;
    let (notices, next_page_token) =
        queries::notices::mine(app.read().pool(), caller.tenant(), caller.id(), &page).await?;
    Ok(Response::new(pb::ListMyChangeNoticesResponse {
        shift_change_notices: notices
            .iter()
            .map(|n| convert::notice(caller.tenant(), caller.id(), n))
            .collect(),
        next_page_token,
    }))
}
