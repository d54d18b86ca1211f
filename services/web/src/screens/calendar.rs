//! "Add to my calendar": a private iCalendar subscription of the person's published shifts
//! (scheduling's CreateCalendarFeed). Its address is shown once, on the page that made it;
//! a new one replaces the old.

use askama::Template;
use axum::{Extension, http::StatusCode, response::Response};
use breakroom_proto::scheduling::v1 as pb;

use crate::{
    context::Ctx,
    error::page,
    layout::{Chrome, Nav},
    screens::home::unread,
};

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    c: Chrome,
    url: String,
    webcal: String,
}

/// `webcal://` for the same address, which calendar apps open as a subscription.
fn webcal(url: &str) -> String {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .map_or_else(String::new, |rest| format!("webcal://{rest}"))
}

/// `POST /week/calendar`.
pub async fn create(Extension(ctx): Extension<Ctx>) -> Response {
    let reply = ctx
        .app
        .scheduling()
        .create_calendar_feed(ctx.req(pb::CreateCalendarFeedRequest {
            parent: ctx.session.user.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    let feed = match reply {
        Ok(feed) => feed.into_inner(),
        Err(status) => return ctx.fail(status),
    };
    page(
        StatusCode::OK,
        CalendarPage {
            c: ctx.chrome(Nav::Week, unread(&ctx).await),
            webcal: webcal(&feed.url),
            url: feed.url,
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn webcal_names_the_same_address() {
        assert_eq!(
            super::webcal("https://cal.example/c/abc.ics"),
            "webcal://cal.example/c/abc.ics"
        );
        assert_eq!(super::webcal("ftp://x"), "");
    }
}
