//! The moderation queue: posts with open reports in the groups the person moderates,
//! the most recently reported first, with the reasons given and Hide / Delete (Hide keeps
//! it for moderators; a hidden post can be restored from its page in the queue).

use askama::Template;
use axum::{Extension, Form, http::StatusCode, response::Response};
use breakroom_proto::feed::v1::{self as pb, ModerationAction};
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::{WebError, page},
    fmt,
    layout::{Chrome, Nav},
    screens::{home::unread, views::PostView},
};

/// One reported post.
#[derive(Debug, Clone)]
pub struct ReportedRow {
    /// The post (its resource name is posted back).
    pub name: String,
    /// The post as a card.
    pub post: PostView,
    /// Its group.
    pub group: String,
    /// `3 reports`.
    pub count: i64,
    /// `Name: reason` of the latest reports.
    pub reasons: Vec<String>,
    /// Already hidden.
    pub hidden: bool,
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage {
    c: Chrome,
    rows: Vec<ReportedRow>,
}

/// `GET /manage/moderation`.
pub async fn page_moderation(Extension(ctx): Extension<Ctx>) -> Response {
    let mut feed = ctx.app.feed();
    let queue = feed.list_reported_posts(ctx.req(pb::ListReportedPostsRequest {
        parent: format!("{}/groups/-", ctx.session.tenant),
        page_size: 50,
        page_token: String::new(),
    }));
    let (queue, unread) = tokio::join!(queue, unread(&ctx));
    let queue = match queue {
        Ok(q) => q.into_inner().reported_posts,
        Err(status) => return ctx.fail(status),
    };
    let zone = ctx.session.time_zone.as_str();
    let rows = queue
        .into_iter()
        .filter_map(|r| {
            let post = r.post?;
            Some(ReportedRow {
                name: post.name.clone(),
                hidden: post.hidden,
                post: PostView::new(&ctx.t, &post, zone),
                group: r.group_display_name,
                count: r.report_count,
                reasons: r
                    .reports
                    .iter()
                    .map(|report| {
                        let when = fmt::instant(&ctx.t, report.report_time.as_ref(), zone);
                        if report.reporter_display_name.is_empty() {
                            format!("{when}: {}", report.reason)
                        } else {
                            format!(
                                "{} ({when}): {}",
                                report.reporter_display_name, report.reason
                            )
                        }
                    })
                    .collect(),
            })
        })
        .collect();
    page(
        StatusCode::OK,
        ModerationPage {
            c: ctx.chrome(Nav::Manage, unread),
            rows,
        },
    )
}

/// Hide, restore or delete.
#[derive(Debug, Deserialize)]
pub struct ModerateForm {
    /// The post.
    post: String,
    /// `hide`, `restore` or `delete`.
    action: String,
}

/// `POST /manage/moderation`.
pub async fn moderate(Extension(ctx): Extension<Ctx>, Form(form): Form<ModerateForm>) -> Response {
    let action = match form.action.as_str() {
        "hide" => ModerationAction::Hide,
        "restore" => ModerationAction::Restore,
        "delete" => ModerationAction::Delete,
        _ => return ctx.fail(WebError::Invalid(Vec::new())),
    };
    if !form
        .post
        .starts_with(&format!("{}/groups/", ctx.session.tenant))
    {
        return ctx.fail(WebError::NotFound);
    }
    let reply = ctx
        .app
        .feed()
        .moderate_post(ctx.req(pb::ModeratePostRequest {
            name: form.post,
            action: action.into(),
            reason: String::new(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    ctx.answer("/manage/moderation", reply)
}
