//! The inbox: the newest notifications, unread ones marked, and marking them read (from
//! the page, or from the service worker when a push notification is opened).

use askama::Template;
use axum::{Extension, Form, http::StatusCode, response::Response};
use breakroom_proto::notifications::v1 as pb;
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::page,
    fmt,
    layout::{Chrome, Nav},
    screens::home::unread,
};

/// An inbox entry.
#[derive(Debug, Clone)]
pub struct InboxRow {
    /// What it is about.
    pub text: String,
    /// When.
    pub when: String,
    /// Unread.
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<InboxRow>,
    any_unread: bool,
}

/// Marking read: one notification (`id`, as a push names it) or `all`.
#[derive(Debug, Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    all: String,
}

/// `POST /inbox/read`: the inbox's "mark all as read", and the service worker when a
/// notification is opened.
pub async fn mark_read(Extension(ctx): Extension<Ctx>, Form(form): Form<ReadForm>) -> Response {
    let valid_id = !form.id.is_empty()
        && form.id.len() <= 64
        && form
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    let all = form.all == "true";
    if !all && !valid_id {
        return ctx.fail(crate::error::WebError::Invalid(vec![]));
    }
    let names = if all {
        vec![]
    } else {
        vec![format!("{}/notifications/{}", ctx.session.user, form.id)]
    };
    let reply = ctx
        .app
        .notifications()
        .mark_notifications_read(ctx.req(pb::MarkNotificationsReadRequest {
            parent: ctx.session.user.clone(),
            names,
            all,
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    ctx.answer("/inbox", reply)
}

/// `GET /inbox`: the newest notifications.
pub async fn page_inbox(Extension(ctx): Extension<Ctx>) -> Response {
    let mut inbox = ctx.app.notifications();
    let list = inbox.list_notifications(ctx.req(pb::ListNotificationsRequest {
        parent: ctx.session.user.clone(),
        page_size: 30,
        page_token: String::new(),
        unread_only: false,
    }));
    let (list, unread) = tokio::join!(list, unread(&ctx));
    let list = match list {
        Ok(list) => list.into_inner().notifications,
        Err(status) => return ctx.fail(status),
    };
    let rows = list
        .iter()
        .map(|n| InboxRow {
            text: ctx.t.get(&format!(
                "kind-{}",
                n.kind()
                    .as_str_name()
                    .trim_start_matches("KIND_")
                    .to_ascii_lowercase()
                    .replace('_', "-")
            )),
            when: fmt::instant(&ctx.t, n.create_time.as_ref(), &ctx.session.time_zone),
            unread: n.read_time.is_none(),
        })
        .collect::<Vec<InboxRow>>();
    let any_unread = rows.iter().any(|r| r.unread);
    page(
        StatusCode::OK,
        InboxPage {
            c: ctx.chrome(Nav::Inbox, unread),
            rows,
            any_unread,
        },
    )
}
