//! Who has read an announcement: how many of its readers confirmed, per store and role,
//! the names of those who have not, the whole list as CSV, and "Remind those who have
//! not" (one push and inbox item each, from feed's SendAcknowledgementReminder).

use askama::Template;
use axum::{
    Extension,
    extract::{Path, Query},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use breakroom_proto::{feed::v1 as pb, identity::v1::Role};
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::{WebError, page},
    layout::{Chrome, Nav},
    screens::{
        home::unread,
        post::{foreign, id},
    },
};

/// One store and role of the roll-up.
#[derive(Debug, Clone)]
pub struct RollupRow {
    /// Store name (or "Head office").
    pub store: String,
    /// Role in words.
    pub role: String,
    /// `12 / 15`.
    pub count: String,
    /// Everyone there confirmed.
    pub complete: bool,
}

#[derive(Template)]
#[template(path = "ack_report.html")]
struct ReportPage {
    c: Chrome,
    title: String,
    post_path: String,
    base: String,
    progress: String,
    acknowledged: i64,
    total: i64,
    rollups: Vec<RollupRow>,
    pending: Vec<String>,
    more: bool,
    reminded: Option<String>,
}

/// `?reminded=12` after a reminder.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    reminded: Option<i64>,
}

fn announcement(ctx: &Ctx, group: &str, post: &str) -> Option<String> {
    Some(format!(
        "{}/groups/{}/posts/{}",
        ctx.session.tenant,
        id(group)?,
        id(post)?
    ))
}

/// The words of identity's role value.
pub fn role_label(t: &crate::i18n::Tr, role: i32) -> String {
    let key = match Role::try_from(role).unwrap_or(Role::Unspecified) {
        Role::Employee => "role-employee",
        Role::TeamLead => "role-team-lead",
        Role::StoreManager => "role-store-manager",
        Role::HqAdmin => "role-hq-admin",
        Role::Integration | Role::Unspecified => "role-none",
    };
    t.get(key)
}

/// `GET /manage/announcements/{group}/{post}`.
pub async fn page_report(
    Extension(ctx): Extension<Ctx>,
    Path((group, post)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let Some(name) = announcement(&ctx, &group, &post) else {
        return ctx.fail(WebError::NotFound);
    };
    let (mut a, mut b) = (ctx.app.feed(), ctx.app.feed());
    let got = a.get_post(ctx.req(pb::GetPostRequest { name: name.clone() }));
    let report = b.get_acknowledgement_report(ctx.req(pb::GetAcknowledgementReportRequest {
        // Every reader, so the totals are the whole audience's; those who have not
        // confirmed come first, so the page's names are theirs.
        name: name.clone(),
        page_size: 200,
        ..Default::default()
    }));
    let (got, report, unread) = tokio::join!(got, report, unread(&ctx));
    let report = match report {
        Ok(r) => r.into_inner(),
        Err(status) => return ctx.fail(foreign(status)),
    };
    // A manager may follow an announcement they are not a reader of (HQ's to their
    // store's employees): feed shows them the report, not the post.
    let title = got.map_or_else(|_| String::new(), |p| p.into_inner().title);
    let rollups = report
        .rollups
        .iter()
        .map(|r| RollupRow {
            store: if r.store.is_empty() {
                ctx.t.get("store-head-office")
            } else {
                r.store_display_name.clone()
            },
            role: role_label(&ctx.t, r.role),
            count: format!("{} / {}", r.acknowledged, r.total),
            complete: r.acknowledged >= r.total,
        })
        .collect();
    let base = format!("/manage/announcements/{group}/{post}");
    page(
        StatusCode::OK,
        ReportPage {
            c: ctx.chrome(Nav::Manage, unread),
            title,
            post_path: format!("/posts/{group}/{post}"),
            base,
            progress: ctx.t.args(
                "report-progress",
                &[
                    ("done", report.acknowledged.to_string()),
                    ("total", report.total.to_string()),
                ],
            ),
            acknowledged: report.acknowledged,
            total: report.total,
            rollups,
            pending: report
                .entries
                .iter()
                .filter(|e| !e.acknowledged)
                .map(|e| e.display_name.clone())
                .collect(),
            more: !report.next_page_token.is_empty()
                && report.entries.last().is_some_and(|e| !e.acknowledged),
            reminded: q.reminded.map(|n| ctx.t.count("report-reminded", n)),
        },
    )
}

/// `GET /manage/announcements/{group}/{post}/report.csv`: every reader, page by page.
pub async fn csv(
    Extension(ctx): Extension<Ctx>,
    Path((group, post)): Path<(String, String)>,
) -> Response {
    let Some(name) = announcement(&ctx, &group, &post) else {
        return ctx.fail(WebError::NotFound);
    };
    let mut feed = ctx.app.feed();
    let mut body = String::new();
    let mut page_token = String::new();
    loop {
        let reply = feed
            .get_acknowledgement_report(ctx.req(pb::GetAcknowledgementReportRequest {
                name: name.clone(),
                csv: true,
                page_size: 1000,
                page_token: page_token.clone(),
                ..Default::default()
            }))
            .await;
        match reply {
            Ok(reply) => {
                let reply = reply.into_inner();
                body.push_str(&reply.csv);
                if reply.next_page_token.is_empty() {
                    break;
                }
                page_token = reply.next_page_token;
            }
            Err(status) => return ctx.fail(foreign(status)),
        }
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"acknowledgements.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

/// `POST /manage/announcements/{group}/{post}/remind`.
pub async fn remind(
    Extension(ctx): Extension<Ctx>,
    Path((group, post)): Path<(String, String)>,
) -> Response {
    let Some(name) = announcement(&ctx, &group, &post) else {
        return ctx.fail(WebError::NotFound);
    };
    let reply = ctx
        .app
        .feed()
        .send_acknowledgement_reminder(ctx.req(pb::SendAcknowledgementReminderRequest {
            name,
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => {
            let to = format!(
                "/manage/announcements/{group}/{post}?reminded={}",
                reply.get_ref().recipient_count
            );
            ctx.after_write(&to, &reply)
        }
        Err(status) => ctx.fail(foreign(status)),
    }
}
