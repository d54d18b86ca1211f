//! Time-off handlers: RequestTimeOff, DecideTimeOff, ListTimeOffRequests.

use breakroom_base::{Error, paging::Page};
use breakroom_events::consistency::reply;
use breakroom_proto::scheduling::v1 as pb;
use tonic::{Request, Response};

use super::{Reply, convert, token};
use crate::{app::App, names};

/// `RequestTimeOff`.
pub async fn request(
    app: &App,
    request: Request<pb::RequestTimeOffRequest>,
) -> Reply<pb::TimeOffRequest> {
    let caller = app.caller(&request).await?;
    let (tenant, user) = names::user("parent", &request.get_ref().parent)?;
    let body = request.get_ref();
    let wanted = body.time_off_request.clone().unwrap_or_default();
    let (store_tenant, store) = names::store("time_off_request.store", &wanted.store)?;
    if store_tenant != tenant {
        return Err(
            Error::invalid("time_off_request.store", "must be a store of this tenant").into(),
        );
    }
    let meta = caller.meta(&body.request_id)?;
    let period = (
        wanted.start_date.as_str(),
        wanted.end_date.as_str(),
        wanted.reason.as_str(),
    );
    let created = app
        .request_time_off(&caller, &tenant, &user, &store, period, &meta)
        .await?;
    Ok(reply(
        convert::time_off(&tenant, &created),
        token(created.sequence),
    ))
}

/// `DecideTimeOff`.
pub async fn decide(
    app: &App,
    request: Request<pb::DecideTimeOffRequest>,
) -> Reply<pb::TimeOffRequest> {
    let caller = app.caller(&request).await?;
    let (tenant, user, id) = names::time_off("name", &request.get_ref().name)?;
    let body = request.get_ref();
    let meta = caller.meta(&body.request_id)?;
    let decided = app
        .decide_time_off(&caller, &tenant, &user, &id, body.approve, &meta)
        .await?;
    Ok(reply(
        convert::time_off(&tenant, &decided),
        token(decided.sequence),
    ))
}

/// `ListTimeOffRequests`.
pub async fn list(
    app: &App,
    request: Request<pb::ListTimeOffRequestsRequest>,
) -> Reply<pb::ListTimeOffRequestsResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let (tenant, store, employee) = if body.parent.contains("/stores/") {
        let (tenant, store) = names::store("parent", &body.parent)?;
        (tenant, Some(store), None)
    } else {
        let (tenant, user) = names::user("parent", &body.parent)?;
        (tenant, None, Some(user))
    };
    caller.see_tenant(&tenant, &body.parent)?;
    let page = Page::parse(body.page_size, &body.page_token, &body.parent)?;
    let (rows, next_page_token) = app
        .list_time_off(
            &caller,
            &tenant,
            store.as_deref(),
            employee.as_deref(),
            &page,
        )
        .await?;
    Ok(Response::new(pb::ListTimeOffRequestsResponse {
        time_off_requests: rows
            .into_iter()
            .map(|row| convert::time_off_row(&tenant, row))
            .collect(),
        next_page_token,
    }))
}
