//! Open-shift claim handlers: ClaimOpenShift, DecideClaim, ListShiftClaims.

use breakroom_base::{error::Violations, paging::Page};
use breakroom_events::consistency::reply;
use breakroom_proto::scheduling::v1 as pb;
use tonic::{Request, Response};

use super::{Reply, convert, filter, token};
use crate::{
    app::{App, claims::ClaimRef},
    names,
    queries::claims_swaps::ListScope,
};

/// `ClaimOpenShift`.
pub async fn claim(
    app: &App,
    request: Request<pb::ClaimOpenShiftRequest>,
) -> Reply<pb::ShiftClaim> {
    let caller = app.caller(&request).await?;
    let (tenant, store, shift) = names::shift("shift", &request.get_ref().shift)?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let claim = app
        .claim_open_shift(&caller, &tenant, &store, &shift, &meta)
        .await?;
    Ok(reply(
        convert::claim(&tenant, &store, &claim, meta.now()),
        token(claim.sequence),
    ))
}

/// `DecideClaim`.
pub async fn decide(app: &App, request: Request<pb::DecideClaimRequest>) -> Reply<pb::ShiftClaim> {
    let caller = app.caller(&request).await?;
    let (tenant, store, shift, claim) = names::claim("name", &request.get_ref().name)?;
    let body = request.get_ref();
    let meta = caller.meta(&body.request_id)?;
    let place = ClaimRef {
        tenant,
        store,
        shift,
        claim,
    };
    let claim = app
        .decide_claim(&caller, &place, body.approve, &meta)
        .await?;
    Ok(reply(
        convert::claim(&place.tenant, &place.store, &claim, meta.now()),
        token(claim.sequence),
    ))
}

/// `ListShiftClaims`.
pub async fn list(
    app: &App,
    request: Request<pb::ListShiftClaimsRequest>,
) -> Reply<pb::ListShiftClaimsResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let mut v = Violations::new();
    let parent = v.check(names::shifts_parent("parent", &body.parent));
    let states = v.check(filter::states(&body.filter, &convert::CLAIM_STATES));
    let bound = format!("{}|{:?}", body.parent, states);
    let page = v.check(Page::parse(body.page_size, &body.page_token, &bound));
    v.finish()?;
    let (Some((tenant, store, shift)), Some(states), Some(page)) = (parent, states, page) else {
        return Err(breakroom_base::Error::invalid("parent", "invalid request").into());
    };
    let scope = ListScope {
        tenant: &tenant,
        store: &store,
        shift: shift.as_deref(),
    };
    let (rows, next_page_token) = app.list_claims(&caller, &scope, &states, &page).await?;
    Ok(Response::new(pb::ListShiftClaimsResponse {
        shift_claims: rows
            .into_iter()
            .map(|row| convert::claim_row(&tenant, row))
            .collect(),
        next_page_token,
    }))
}
