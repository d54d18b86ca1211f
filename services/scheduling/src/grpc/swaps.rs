//! Swap handlers: OfferShift, AcceptShiftOffer, DecideSwap, ListShiftSwaps.

use breakroom_base::{Error, error::Violations, paging::Page};
use breakroom_events::consistency::reply;
use breakroom_proto::scheduling::v1 as pb;
use tonic::{Request, Response};

use super::{Reply, convert, filter, token};
use crate::{
    app::{App, claims::ClaimRef},
    names,
    queries::claims_swaps::ListScope,
};

/// `OfferShift`.
pub async fn offer(app: &App, request: Request<pb::OfferShiftRequest>) -> Reply<pb::ShiftSwap> {
    let caller = app.caller(&request).await?;
    let (tenant, store, shift) = names::shift("shift", &request.get_ref().shift)?;
    let body = request.get_ref();
    let offered_to = if body.offered_to.is_empty() {
        None
    } else {
        let (to_tenant, user) = names::user("offered_to", &body.offered_to)?;
        if to_tenant != tenant {
            return Err(Error::invalid("offered_to", "must be a user of this tenant").into());
        }
        Some(user)
    };
    let meta = caller.meta(&body.request_id)?;
    let place = ClaimRef {
        tenant,
        store,
        shift,
        claim: String::new(),
    };
    let swap = app.offer_shift(&caller, &place, offered_to, &meta).await?;
    Ok(reply(
        convert::swap(&place.tenant, &place.store, &swap, meta.now()),
        token(swap.sequence),
    ))
}

/// `AcceptShiftOffer`.
pub async fn accept(
    app: &App,
    request: Request<pb::AcceptShiftOfferRequest>,
) -> Reply<pb::ShiftSwap> {
    let caller = app.caller(&request).await?;
    let (tenant, store, shift, swap) = names::swap("name", &request.get_ref().name)?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let place = ClaimRef {
        tenant,
        store,
        shift,
        claim: swap,
    };
    let swap = app.accept_offer(&caller, &place, &meta).await?;
    Ok(reply(
        convert::swap(&place.tenant, &place.store, &swap, meta.now()),
        token(swap.sequence),
    ))
}

/// `DecideSwap`.
pub async fn decide(app: &App, request: Request<pb::DecideSwapRequest>) -> Reply<pb::ShiftSwap> {
    let caller = app.caller(&request).await?;
    let (tenant, store, shift, swap) = names::swap("name", &request.get_ref().name)?;
    let body = request.get_ref();
    let meta = caller.meta(&body.request_id)?;
    let place = ClaimRef {
        tenant,
        store,
        shift,
        claim: swap,
    };
    let swap = app
        .decide_swap(&caller, &place, body.approve, &meta)
        .await?;
    Ok(reply(
        convert::swap(&place.tenant, &place.store, &swap, meta.now()),
        token(swap.sequence),
    ))
}

/// `ListShiftSwaps`.
pub async fn list(
    app: &App,
    request: Request<pb::ListShiftSwapsRequest>,
) -> Reply<pb::ListShiftSwapsResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let mut v = Violations::new();
    let parent = v.check(names::shifts_parent("parent", &body.parent));
    let states = v.check(filter::states(&body.filter, &convert::SWAP_STATES));
    let bound = format!("{}|{:?}", body.parent, states);
    let page = v.check(Page::parse(body.page_size, &body.page_token, &bound));
    v.finish()?;
    let (Some((tenant, store, shift)), Some(states), Some(page)) = (parent, states, page) else {
        return Err(Error::invalid("parent", "invalid request").into());
    };
    let scope = ListScope {
        tenant: &tenant,
        store: &store,
        shift: shift.as_deref(),
    };
    let (rows, next_page_token) = app.list_swaps(&caller, &scope, &states, &page).await?;
    Ok(Response::new(pb::ListShiftSwapsResponse {
        shift_swaps: rows
            .into_iter()
            .map(|row| convert::swap_row(&tenant, row))
            .collect(),
        next_page_token,
    }))
}
