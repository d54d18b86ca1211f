//! Time off: the person's requests with where they stand, and a form asking for more
//! (first and last day, a reason); the store whose managers decide is their first.

use askama::Template;
use axum::{Extension, Form, http::StatusCode, response::Response};
use breakroom_proto::{identity::v1 as identity, scheduling::v1 as pb};
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::{WebError, page},
    fmt,
    layout::{Chrome, Nav},
    screens::home::unread,
};

/// A request as listed.
#[derive(Debug, Clone)]
pub struct TimeOffRow {
    /// First and last day.
    pub days: String,
    /// Pending, approved or rejected, in words.
    pub status: String,
    /// The reason given.
    pub reason: String,
}

#[derive(Template)]
#[template(path = "time_off.html")]
struct TimeOffPage {
    c: Chrome,
    rows: Vec<TimeOffRow>,
    start: String,
    end: String,
    reason: String,
    start_error: Option<&'static str>,
    end_error: Option<&'static str>,
    error: Option<&'static str>,
}

/// The form.
#[derive(Debug, Default, Deserialize)]
pub struct TimeOffForm {
    start: String,
    end: String,
    #[serde(default)]
    reason: String,
}

fn day(t: &crate::i18n::Tr, date: &str) -> String {
    date.parse::<jiff::civil::Date>()
        .map_or_else(|_| date.to_owned(), |d| fmt::date(t, d))
}

async fn render(ctx: &Ctx, form: &TimeOffForm, error: Option<WebError>) -> Response {
    let mut client = ctx.app.scheduling();
    let list = client.list_time_off_requests(ctx.req(pb::ListTimeOffRequestsRequest {
        parent: ctx.session.user.clone(),
        page_size: 20,
        page_token: String::new(),
    }));
    let (list, unread) = tokio::join!(list, unread(ctx));
    let list = match list {
        Ok(list) => list.into_inner().time_off_requests,
        Err(status) => return ctx.fail(status),
    };
    let rows = list
        .iter()
        .map(|r| TimeOffRow {
            days: format!(
                "{} – {}",
                day(&ctx.t, &r.start_date),
                day(&ctx.t, &r.end_date)
            ),
            status: ctx.t.get(&format!(
                "status-{}",
                r.state()
                    .as_str_name()
                    .trim_start_matches("STATE_")
                    .to_ascii_lowercase()
            )),
            reason: r.reason.clone(),
        })
        .collect();
    let field = |name: &str| error.as_ref().and_then(|e| e.field(name));
    let general = match &error {
        None | Some(WebError::Invalid(_)) => None,
        Some(WebError::Refused) => Some("error-time-off-exists"),
        Some(_) => Some("error-refused"),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(
        status,
        TimeOffPage {
            c: ctx.chrome(Nav::Week, unread),
            rows,
            start: form.start.clone(),
            end: form.end.clone(),
            reason: form.reason.clone(),
            start_error: field("time_off_request.start_date"),
            end_error: field("time_off_request.end_date"),
            error: general,
        },
    )
}

/// `GET /time-off`.
pub async fn page_time_off(Extension(ctx): Extension<Ctx>) -> Response {
    render(&ctx, &TimeOffForm::default(), None).await
}

/// `POST /time-off`.
pub async fn request(Extension(ctx): Extension<Ctx>, Form(form): Form<TimeOffForm>) -> Response {
    let person = ctx
        .app
        .identity()
        .get_user(ctx.req(identity::GetUserRequest {
            name: ctx.session.user.clone(),
        }))
        .await;
    let store = match person {
        Ok(person) => person
            .into_inner()
            .memberships
            .into_iter()
            .map(|m| m.store)
            .find(|s| !s.is_empty()),
        Err(status) => return ctx.fail(status),
    };
    let Some(store) = store else {
        return render(&ctx, &form, Some(WebError::Forbidden)).await;
    };
    let reply = ctx
        .app
        .scheduling()
        .request_time_off(ctx.req(pb::RequestTimeOffRequest {
            parent: ctx.session.user.clone(),
            time_off_request: Some(pb::TimeOffRequest {
                store,
                start_date: form.start.trim().to_owned(),
                end_date: form.end.trim().to_owned(),
                reason: form.reason.clone(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => ctx.after_write("/time-off", &reply),
        Err(status) => match WebError::from(status) {
            error @ (WebError::Invalid(_) | WebError::Refused) => {
                render(&ctx, &form, Some(error)).await
            }
            error => ctx.fail(error),
        },
    }
}
