//! Open-shift claim handlers: ClaimOpenShift, DecideClaim.

use breakroom_kit::consistency::reply;
use breakroom_proto::scheduling::v1 as pb;
use tonic::Request;

use super::{Reply, convert, token};
use crate::{
    app::{App, claims::ClaimRef},
    names,
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
