//! The moderation queue handler: ListReportedPosts. Posts with open reports in one group
//! the caller moderates, or in every group they moderate (`tenants/{t}/groups/-`),
//! newest report first, each with its latest reports.

use std::collections::HashMap;

use breakroom_base::{Error, paging::Page};
use breakroom_proto::feed::v1 as pb;
use tonic::{Request, Response};

use super::{Reply, convert, posts::DEFAULT_PAGE};
use crate::{
    app::{App, moderation::reporter_shown},
    names,
    queries::{
        moderation::{self, ReportRow},
        timestamp,
    },
};

/// The group id AIP-159 reserves for "every group" (here: every group the caller
/// moderates).
const EVERY_GROUP: &str = "-";

/// `ListReportedPosts`.
pub async fn list_reported(
    app: &App,
    request: Request<pb::ListReportedPostsRequest>,
) -> Reply<pb::ListReportedPostsResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let (tenant, group) = names::group("parent", &body.parent)?;
    if tenant == EVERY_GROUP {
        return Err(Error::invalid(
            "parent",
            "only the group may be `-`: tenants/{tenant}/groups/- lists every group you moderate",
        )
        .into());
    }
    let one_group = (group != EVERY_GROUP).then_some(group.as_str());
    let scope = app.moderation_scope(&caller, &tenant, one_group).await?;
    let page = Page::parse_with_default(
        body.page_size,
        &body.page_token,
        &format!("reported|{group}"),
        DEFAULT_PAGE,
    )?;
    if scope.is_empty() {
        return Ok(Response::new(pb::ListReportedPostsResponse::default()));
    }
    let rows = moderation::page(
        app.read().pool(),
        &tenant,
        scope.query(),
        caller.id(),
        &page,
    )
    .await?;
    let (rows, next_page_token) = page.finish(rows, moderation::cursor);
    let ids: Vec<String> = rows.iter().map(|r| r.post.id.clone()).collect();
    let mut reports: HashMap<String, Vec<ReportRow>> = HashMap::new();
    for report in moderation::latest_reports(app.read().pool(), &tenant, &ids).await? {
        reports
            .entry(report.post_id.clone())
            .or_default()
            .push(report);
    }
    let reported_posts = rows
        .into_iter()
        .map(|row| {
            let shown = reporter_shown(&caller, &row.post.author_id);
            let reports = reports.remove(&row.post.id).unwrap_or_default();
            pb::ReportedPost {
                post: Some(convert::post(&tenant, &row.post)),
                group_display_name: row.group_display_name,
                report_count: row.report_count,
                last_report_time: Some(timestamp(row.last_report_time)),
                reports: reports
                    .into_iter()
                    .map(|r| report(&tenant, r, shown))
                    .collect(),
            }
        })
        .collect();
    Ok(Response::new(pb::ListReportedPostsResponse {
        reported_posts,
        next_page_token,
    }))
}

/// A report as moderators see it; without its reporter unless `shown`.
fn report(tenant: &str, r: ReportRow, shown: bool) -> pb::PostReport {
    let (reporter, reporter_display_name) = if shown {
        (
            names::user_name(tenant, &r.reporter_id),
            r.reporter_display_name.unwrap_or_default(),
        )
    } else {
        (String::new(), String::new())
    };
    pb::PostReport {
        reporter,
        reporter_display_name,
        reason: r.reason,
        report_time: Some(timestamp(r.report_time)),
    }
}
