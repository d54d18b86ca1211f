//! A store's requests waiting for its planners: time off (with the shifts it collides
//! with), claims of open shifts and accepted swaps, each with Approve and Reject.

use askama::Template;
use axum::{Extension, Form, http::StatusCode, response::Response};
use breakroom_proto::scheduling::v1::{self as pb, time_off_request};
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::{WebError, page},
    fmt,
    layout::{Chrome, Nav},
    screens::{
        home::unread,
        manage::{Planned, StoreChoice, names, people},
    },
};

/// A request as the planner decides it.
#[derive(Debug, Clone)]
pub struct RequestRow {
    /// What the form posts back (the request's resource name).
    pub name: String,
    /// Who asks.
    pub who: String,
    /// What they ask for.
    pub what: String,
    /// Their reason or a detail (may be empty).
    pub detail: String,
}

/// One kind of request.
#[derive(Debug, Clone)]
pub struct Section {
    /// Its heading (a catalogue key, also the heading's id).
    pub heading: &'static str,
    /// The requests waiting.
    pub rows: Vec<RequestRow>,
}

#[derive(Template)]
#[template(path = "manage_requests.html")]
struct RequestsPage {
    c: Chrome,
    store: StoreChoice,
    sections: Vec<Section>,
}

fn day(t: &crate::i18n::Tr, date: &str) -> String {
    date.parse::<jiff::civil::Date>()
        .map_or_else(|_| date.to_owned(), |d| fmt::date(t, d))
}

fn when(ctx: &Ctx, shift: Option<&pb::Shift>) -> String {
    shift.map_or_else(String::new, |s| {
        fmt::shift_when(&ctx.t, &s.start_local, &s.end_local)
    })
}

/// `GET /manage/stores/{store}/requests`.
pub async fn page_requests(Extension(ctx): Extension<Ctx>, Planned(store): Planned) -> Response {
    let (mut a, mut b, mut c) = (
        ctx.app.scheduling(),
        ctx.app.scheduling(),
        ctx.app.scheduling(),
    );
    let time_off = a.list_time_off_requests(ctx.req(pb::ListTimeOffRequestsRequest {
        parent: store.name.clone(),
        page_size: 100,
        page_token: String::new(),
    }));
    let across = format!("{}/shifts/-", store.name);
    let claims = b.list_shift_claims(ctx.req(pb::ListShiftClaimsRequest {
        parent: across.clone(),
        filter: "state = PENDING".to_owned(),
        page_size: 100,
        page_token: String::new(),
    }));
    let swaps = c.list_shift_swaps(ctx.req(pb::ListShiftSwapsRequest {
        parent: across,
        filter: "state = ACCEPTED".to_owned(),
        page_size: 100,
        page_token: String::new(),
    }));
    let (time_off, claims, swaps, people, unread) = tokio::join!(
        time_off,
        claims,
        swaps,
        people(&ctx, &store.name),
        unread(&ctx)
    );
    let (time_off, claims, swaps, people) = match (time_off, claims, swaps, people) {
        (Ok(t), Ok(c), Ok(s), Ok(p)) => (
            t.into_inner().time_off_requests,
            c.into_inner().shift_claims,
            s.into_inner().shift_swaps,
            p,
        ),
        (Err(status), _, _, _) | (_, Err(status), _, _) | (_, _, Err(status), _) => {
            return ctx.fail(status);
        }
        (_, _, _, Err(error)) => return ctx.fail(error),
    };
    let who = names(&people);
    let name_of = |user: &str| who.get(user).cloned().unwrap_or_default();
    let time_off = time_off
        .iter()
        .filter(|r| r.state() == time_off_request::State::Pending)
        .map(|r| RequestRow {
            name: r.name.clone(),
            who: name_of(r.name.split("/timeOffRequests/").next().unwrap_or_default()),
            what: format!(
                "{} – {}",
                day(&ctx.t, &r.start_date),
                day(&ctx.t, &r.end_date)
            ),
            detail: r.reason.clone(),
        })
        .collect();
    let claims = claims
        .iter()
        .map(|c| RequestRow {
            name: c.name.clone(),
            who: name_of(&c.claimant),
            what: when(&ctx, c.shift.as_ref()),
            detail: c
                .shift
                .as_ref()
                .map(|s| s.position.clone())
                .unwrap_or_default(),
        })
        .collect();
    let swaps = swaps
        .iter()
        .map(|s| RequestRow {
            name: s.name.clone(),
            who: name_of(&s.accepted_by),
            what: when(&ctx, s.shift.as_ref()),
            detail: ctx.t.arg("swap-from", "name", name_of(&s.offered_by)),
        })
        .collect();
    page(
        StatusCode::OK,
        RequestsPage {
            c: ctx.chrome(Nav::Manage, unread),
            store,
            sections: vec![
                Section {
                    heading: "requests-time-off",
                    rows: time_off,
                },
                Section {
                    heading: "requests-claims",
                    rows: claims,
                },
                Section {
                    heading: "requests-swaps",
                    rows: swaps,
                },
            ],
        },
    )
}

/// An Approve or Reject button.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    /// The request, claim or swap.
    name: String,
    /// `approve` or `reject`.
    decision: String,
}

/// `POST /manage/stores/{store}/requests`: decides one request, claim or swap.
pub async fn decide(
    Extension(ctx): Extension<Ctx>,
    Planned(store): Planned,
    Form(form): Form<DecisionForm>,
) -> Response {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return ctx.fail(WebError::Invalid(Vec::new())),
    };
    let back = format!("/manage/stores/{}/requests", store.id);
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut scheduling = ctx.app.scheduling();
    let in_store = form.name.starts_with(&format!("{}/shifts/", store.name));
    let reply = if form.name.contains("/timeOffRequests/")
        && form
            .name
            .starts_with(&format!("{}/users/", ctx.session.tenant))
    {
        scheduling
            .decide_time_off(ctx.req(pb::DecideTimeOffRequest {
                name: form.name,
                approve,
                request_id,
            }))
            .await
            .map(|r| r.map(|_| ()))
    } else if in_store && form.name.contains("/claims/") {
        scheduling
            .decide_claim(ctx.req(pb::DecideClaimRequest {
                name: form.name,
                approve,
                request_id,
            }))
            .await
            .map(|r| r.map(|_| ()))
    } else if in_store && form.name.contains("/swaps/") {
        scheduling
            .decide_swap(ctx.req(pb::DecideSwapRequest {
                name: form.name,
                approve,
                request_id,
            }))
            .await
            .map(|r| r.map(|_| ()))
    } else {
        return ctx.fail(WebError::NotFound);
    };
    ctx.answer(&back, reply)
}
