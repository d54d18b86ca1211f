//! Open shifts the person may take, on My week, and claiming one: with the store's
//! first-come policy the shift is theirs at once, otherwise the claim waits for a manager
//! (its outcome arrives as a card and a notification).

use axum::{Extension, Form, response::Response};
use breakroom_proto::scheduling::v1 as pb;
use serde::Deserialize;

use crate::{context::Ctx, error::WebError, fmt, screens::home::store_name};

/// An open shift as My week lists it.
#[derive(Debug, Clone)]
pub struct OpenRow {
    /// Its resource name (the claim form posts it back).
    pub name: String,
    /// When (local).
    pub when: String,
    /// Store name.
    pub store: String,
    /// Position.
    pub position: String,
}

/// The open shifts of every store the person works in (first page, by start); none when
/// scheduling does not answer, so My week still shows.
pub async fn list(ctx: &Ctx) -> Vec<OpenRow> {
    let shifts = ctx
        .app
        .scheduling()
        .list_open_shifts(ctx.req(pb::ListOpenShiftsRequest {
            parent: String::new(),
            page_size: 20,
            page_token: String::new(),
        }))
        .await
        .map(|r| r.into_inner().shifts)
        .unwrap_or_default();
    let mut rows = Vec::with_capacity(shifts.len());
    for shift in shifts {
        rows.push(OpenRow {
            when: fmt::shift_when(&ctx.t, &shift.start_local, &shift.end_local),
            store: store_name(ctx, &shift.name).await,
            position: shift.position,
            name: shift.name,
        });
    }
    rows
}

/// The claim form.
#[derive(Debug, Deserialize)]
pub struct ClaimForm {
    shift: String,
}

/// `POST /week/claim`.
pub async fn claim(Extension(ctx): Extension<Ctx>, Form(form): Form<ClaimForm>) -> Response {
    if !ctx.owns(&form.shift, "stores") {
        return ctx.fail(WebError::NotFound);
    }
    let reply = ctx
        .app
        .scheduling()
        .claim_open_shift(ctx.req(pb::ClaimOpenShiftRequest {
            shift: form.shift,
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    ctx.answer("/week", reply)
}
