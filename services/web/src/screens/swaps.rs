//! Swaps on My week: offering one's own shift to any colleague who may work it, the
//! offers colleagues made that the person could take (Accept), and where their own offers
//! stand; a manager approves an accepted swap (the outcome arrives as a card).

use std::collections::HashMap;

use axum::{Extension, Form, response::Response};
use breakroom_proto::{
    identity::v1 as identity,
    scheduling::v1::{self as pb, shift_swap::State},
};
use serde::Deserialize;

use crate::{context::Ctx, error::WebError, fmt};

/// A swap as My week lists it.
#[derive(Debug, Clone)]
pub struct SwapRow {
    /// Its resource name (the Accept form posts it back).
    pub name: String,
    /// When the shift is (local).
    pub when: String,
    /// Position.
    pub position: String,
    /// Who offers it (for offers to the person), or where it stands (for their own).
    pub detail: String,
}

/// The swaps My week shows.
#[derive(Debug, Clone, Default)]
pub struct Swaps {
    /// Colleagues' offers the person may accept.
    pub offers: Vec<SwapRow>,
    /// The person's own offers still open or waiting for a manager.
    pub mine: Vec<SwapRow>,
    /// Shifts (resource names) already offered, so My week offers them no second time.
    pub offered_shifts: Vec<String>,
}

/// The stores the person holds a role in.
async fn stores(ctx: &Ctx) -> Vec<String> {
    ctx.app
        .identity()
        .get_user(ctx.req(identity::GetUserRequest {
            name: ctx.session.user.clone(),
        }))
        .await
        .map(|u| {
            let mut stores: Vec<String> = u
                .into_inner()
                .memberships
                .into_iter()
                .map(|m| m.store)
                .filter(|s| !s.is_empty())
                .collect();
            stores.dedup();
            stores
        })
        .unwrap_or_default()
}

/// Display names of a store's people, asked only when there is an offer to show.
async fn names(ctx: &Ctx, store: &str) -> HashMap<String, String> {
    ctx.app
        .identity()
        .list_users(ctx.req(identity::ListUsersRequest {
            parent: ctx.session.tenant.clone(),
            page_size: 1000,
            store: store.to_owned(),
            ..Default::default()
        }))
        .await
        .map(|r| {
            r.into_inner()
                .users
                .into_iter()
                .map(|u| (u.name, u.display_name))
                .collect()
        })
        .unwrap_or_default()
}

/// The open and accepted swaps of every store the person works in; none when a service
/// does not answer, so My week still shows.
pub async fn list(ctx: &Ctx) -> Swaps {
    let mut swaps = Swaps::default();
    for store in stores(ctx).await {
        let listed = ctx
            .app
            .scheduling()
            .list_shift_swaps(ctx.req(pb::ListShiftSwapsRequest {
                parent: format!("{store}/shifts/-"),
                filter: "state = OFFERED OR state = ACCEPTED".to_owned(),
                page_size: 50,
                page_token: String::new(),
            }))
            .await
            .map(|r| r.into_inner().shift_swaps)
            .unwrap_or_default();
        let others = listed
            .iter()
            .any(|s| s.offered_by != ctx.session.user && s.state() == State::Offered);
        let who = if others {
            names(ctx, &store).await
        } else {
            HashMap::new()
        };
        for swap in listed {
            let Some(shift) = swap.shift.as_ref() else {
                continue;
            };
            let mut row = SwapRow {
                name: swap.name.clone(),
                when: fmt::shift_when(&ctx.t, &shift.start_local, &shift.end_local),
                position: shift.position.clone(),
                detail: String::new(),
            };
            if swap.offered_by == ctx.session.user {
                swaps.offered_shifts.push(shift.name.clone());
                row.detail = ctx.t.get(match swap.state() {
                    State::Accepted => "swap-accepted-waiting",
                    _ => "swap-offered-waiting",
                });
                swaps.mine.push(row);
            } else if swap.state() == State::Offered {
                let from = who.get(&swap.offered_by).cloned().unwrap_or_default();
                row.detail = ctx.t.arg("swap-offered-by", "name", from);
                swaps.offers.push(row);
            }
        }
    }
    swaps
}

/// A swap form: the shift to offer, or the swap to accept, and the week it was sent from.
#[derive(Debug, Deserialize)]
pub struct SwapForm {
    #[serde(default)]
    shift: String,
    #[serde(default)]
    swap: String,
    #[serde(default)]
    week: String,
}

impl SwapForm {
    /// My week as it was shown (`/week?week=2026-W50`), so the person keeps their place;
    /// this week when the form names none or anything but an ISO week label.
    fn back(&self) -> String {
        let label = self.week.as_bytes();
        let iso = label.len() == 8
            && label[4..6] == *b"-W"
            && label[..4].iter().chain(&label[6..]).all(u8::is_ascii_digit);
        if iso {
            format!("/week?week={}", self.week)
        } else {
            "/week".to_owned()
        }
    }
}

/// `POST /week/offer`: offers the person's shift to anyone who may work it.
pub async fn offer(Extension(ctx): Extension<Ctx>, Form(form): Form<SwapForm>) -> Response {
    if !ctx.owns(&form.shift, "stores") {
        return ctx.fail(WebError::NotFound);
    }
    let reply = ctx
        .app
        .scheduling()
        .offer_shift(ctx.req(pb::OfferShiftRequest {
            shift: form.shift.clone(),
            offered_to: String::new(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    ctx.answer(&form.back(), reply)
}

/// `POST /week/accept`: takes a colleague's offered shift (a manager approves it).
pub async fn accept(Extension(ctx): Extension<Ctx>, Form(form): Form<SwapForm>) -> Response {
    if !ctx.owns(&form.swap, "stores") {
        return ctx.fail(WebError::NotFound);
    }
    let reply = ctx
        .app
        .scheduling()
        .accept_shift_offer(ctx.req(pb::AcceptShiftOfferRequest {
            name: form.swap.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    ctx.answer(&form.back(), reply)
}
