//! Shift handlers: UpsertShift, DeleteShift, ListMyShifts, ListStoreShifts, ListOpenShifts.

use breakroom_base::{Error, error::Violations, paging::Page};
use breakroom_events::consistency::reply;
use breakroom_proto::scheduling::v1 as pb;
use tonic::{Request, Response};

use super::{Reply, convert, token};
use crate::{
    app::{App, access::Access},
    domain::time::Week,
    names, queries,
};

/// Shifts per page when the client names no size.
pub const DEFAULT_PAGE: i32 = 100;

/// `UpsertShift`.
pub async fn upsert(app: &App, request: Request<pb::UpsertShiftRequest>) -> Reply<pb::Shift> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    let shift = body.shift.unwrap_or_default();
    let (tenant, store, shift_id) = if shift.name.is_empty() {
        let (tenant, store) = names::store("parent", &body.parent)?;
        (tenant, store, None)
    } else {
        let (tenant, store, id) = names::shift("shift.name", &shift.name)?;
        (tenant, store, Some(id))
    };
    let input = convert::shift_input(&tenant, "shift", &shift, shift_id)?;
    let meta = caller.meta(&body.request_id)?;
    let (data, committed) = app
        .upsert_shift(&caller, &tenant, &store, input, &meta)
        .await?;
    let week = Week::of(crate::domain::time::parse_local(
        "shift",
        &data.start_local,
    )?);
    Ok(reply(
        convert::shift(&tenant, &store, &week, &data, committed.state.published),
        token(committed.sequence),
    ))
}

/// `DeleteShift`.
pub async fn delete(app: &App, request: Request<pb::DeleteShiftRequest>) -> Reply<()> {
    let caller = app.caller(&request).await?;
    let (tenant, store, id) = names::shift("name", &request.get_ref().name)?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let sequence = app
        .delete_shift(&caller, &tenant, &store, &id, &meta)
        .await?;
    Ok(reply((), token(sequence)))
}

/// `ListMyShifts`.
pub async fn list_mine(
    app: &App,
    request: Request<pb::ListMyShiftsRequest>,
) -> Reply<pb::ListMyShiftsResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let mut v = Violations::new();
    let range = v.check(convert::range(
        body.start_time.as_ref(),
        body.end_time.as_ref(),
    ));
    if pb::ShiftView::try_from(body.view).is_err() {
        v.add(
            "view",
            "must be SHIFT_VIEW_UNSPECIFIED, SHIFT_VIEW_BASIC or SHIFT_VIEW_FULL",
        );
    }
    let filter = format!("{:?}|{:?}", body.start_time, body.end_time);
    let page = v.check(Page::parse_with_default(
        body.page_size,
        &body.page_token,
        &filter,
        DEFAULT_PAGE,
    ));
    v.finish()?;
    let (Some(range), Some(page)) = (range, page) else {
        return Err(Error::invalid("start_time", "invalid range").into());
    };
    let pool = app.read().pool();
    let (tenant, me) = (caller.tenant(), caller.id());
    if body.view() != pb::ShiftView::Full {
        let (shifts, next_page_token) =
            queries::shifts::my_shifts(pool, tenant, me, range, &page).await?;
        return Ok(Response::new(pb::ListMyShiftsResponse {
            shifts: shifts
                .into_iter()
                .map(|row| convert::shift_row(tenant, row))
                .collect(),
            next_page_token,
        }));
    }
    let (shifts, next_page_token) =
        queries::shifts::my_shifts_with_colleagues(pool, tenant, me, range, &page).await?;
    Ok(Response::new(pb::ListMyShiftsResponse {
        shifts: shifts
            .into_iter()
            .map(|row| {
                // Colleagues only where the caller sees the store (a shift kept from a
                // store they have left shows no one there).
                let colleagues = if caller.sees(&row.shift.store_id) {
                    row.colleagues
                        .iter()
                        .map(|user| names::user_name(tenant, user))
                        .collect()
                } else {
                    Vec::new()
                };
                pb::Shift {
                    colleagues,
                    ..convert::shift_row(tenant, row.shift)
                }
            })
            .collect(),
        next_page_token,
    }))
}

/// `ListStoreShifts`.
pub async fn list_store(
    app: &App,
    request: Request<pb::ListStoreShiftsRequest>,
) -> Reply<pb::ListStoreShiftsResponse> {
    let caller = app.caller(&request).await?;
    let (tenant, store) = names::store("parent", &request.get_ref().parent)?;
    caller.see_tenant(&tenant, &request.get_ref().parent)?;
    caller.require_sees(&store, "only people of the store see its shifts")?;
    let body = request.get_ref();
    let mut v = Violations::new();
    let range = v.check(convert::range(
        body.start_time.as_ref(),
        body.end_time.as_ref(),
    ));
    let filter = format!("{}|{:?}|{:?}", body.parent, body.start_time, body.end_time);
    let page = v.check(Page::parse_with_default(
        body.page_size,
        &body.page_token,
        &filter,
        DEFAULT_PAGE,
    ));
    v.finish()?;
    let (Some(range), Some(page)) = (range, page) else {
        return Err(Error::invalid("start_time", "invalid range").into());
    };
    app.store(&tenant, &store).await?;
    let (shifts, next_page_token) =
        queries::shifts::store_shifts(app.read().pool(), &tenant, &store, range, &page).await?;
    Ok(Response::new(pb::ListStoreShiftsResponse {
        shifts: shifts
            .into_iter()
            .map(|row| convert::shift_row(&tenant, row))
            .collect(),
        next_page_token,
    }))
}

/// `ListOpenShifts`.
pub async fn list_open(
    app: &App,
    request: Request<pb::ListOpenShiftsRequest>,
) -> Reply<pb::ListOpenShiftsResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let stores: Vec<String> = if body.parent.is_empty() {
        caller.stores().into_iter().map(str::to_owned).collect()
    } else {
        let (tenant, store) = names::store("parent", &body.parent)?;
        caller.see_tenant(&tenant, &body.parent)?;
        caller.require_sees(&store, "only people of the store see its open shifts")?;
        vec![store]
    };
    let scope = caller.open_shift_scope(stores);
    let page =
        Page::parse_with_default(body.page_size, &body.page_token, &body.parent, DEFAULT_PAGE)?;
    let (shifts, next_page_token) =
        queries::shifts::open_shifts(app.read().pool(), caller.tenant(), &scope, &page).await?;
    Ok(Response::new(pb::ListOpenShiftsResponse {
        shifts: shifts
            .into_iter()
            .map(|row| convert::shift_row(caller.tenant(), row))
            .collect(),
        next_page_token,
    }))
}
