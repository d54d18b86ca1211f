//! My week: the person's published shifts of one ISO week in local time with their paid
//! length, and the change notices with before/after and an Acknowledge button.

use std::collections::HashMap;

use askama::Template;
use axum::{Extension, Form, extract::Query, http::StatusCode, response::Response};
use breakroom_proto::scheduling::v1::{self as pb, shift_change::Kind};
use jiff::{ToSpan, civil, tz::TimeZone};
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::page,
    fmt,
    layout::{Chrome, Nav},
    screens::{
        home::{store_name, unread},
        open_shifts::{self, OpenRow},
        swaps::{self, Swaps},
    },
};

/// A shift of the week.
#[derive(Debug, Clone)]
pub struct ShiftRow {
    /// Its resource name (the offer form posts it back).
    pub name: String,
    /// It may be offered to a colleague (published, ahead, not yet offered).
    pub offerable: bool,
    /// When (local).
    pub when: String,
    /// Store name.
    pub store: String,
    /// Position.
    pub position: String,
    /// Paid length.
    pub paid: String,
}

/// A change notice.
#[derive(Debug, Clone)]
pub struct NoticeRow {
    /// Its resource name (the form posts it back).
    pub name: String,
    /// One line per change.
    pub lines: Vec<String>,
    /// Still to acknowledge.
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "week.html")]
struct WeekPage {
    c: Chrome,
    week: String,
    prev: String,
    next: String,
    shifts: Vec<ShiftRow>,
    total: String,
    notices: Vec<NoticeRow>,
    open: Vec<OpenRow>,
    swaps: Swaps,
}

/// `?week=2026-W50`.
#[derive(Debug, Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
}

/// The ISO week `label` (`2026-W50`) or this week, as its Monday.
pub(crate) fn monday(label: Option<&str>, zone: &TimeZone) -> civil::Date {
    let parsed = label.and_then(|l| {
        let (year, week) = l.split_once("-W")?;
        civil::ISOWeekDate::new(
            year.parse().ok()?,
            week.parse().ok()?,
            civil::Weekday::Monday,
        )
        .ok()
    });
    let week = parsed.unwrap_or_else(|| {
        let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
        let iso = today.iso_week_date();
        civil::ISOWeekDate::new(iso.year(), iso.week(), civil::Weekday::Monday).unwrap_or(iso)
    });
    week.date()
}

pub(crate) fn label(date: civil::Date) -> String {
    let iso = date.iso_week_date();
    format!("{:04}-W{:02}", iso.year(), iso.week())
}

pub(crate) fn ts(z: &jiff::Zoned) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: z.timestamp().as_second(),
        nanos: 0,
    }
}

fn notice_lines(ctx: &Ctx, notice: &pb::ShiftChangeNotice) -> Vec<String> {
    let when = |s: &Option<pb::Shift>| {
        s.as_ref()
            .map(|s| fmt::shift_when(&ctx.t, &s.start_local, &s.end_local))
            .unwrap_or_default()
    };
    notice
        .changes
        .iter()
        .map(|change| match change.kind() {
            Kind::Added => ctx.t.arg("change-added", "after", when(&change.after)),
            Kind::Removed => ctx.t.arg("change-removed", "before", when(&change.before)),
            Kind::Changed | Kind::Unspecified => ctx.t.args(
                "change-changed",
                &[
                    ("before", when(&change.before)),
                    ("after", when(&change.after)),
                ],
            ),
        })
        .collect()
}

/// `GET /week`.
pub async fn page_week(Extension(ctx): Extension<Ctx>, Query(q): Query<WeekQuery>) -> Response {
    let zone = TimeZone::get(&ctx.session.time_zone).unwrap_or(TimeZone::UTC);
    let monday = monday(q.week.as_deref(), &zone);
    let (Ok(start), Ok(end)) = (
        monday.to_zoned(zone.clone()),
        monday.saturating_add(7.days()).to_zoned(zone.clone()),
    ) else {
        return ctx.fail(crate::error::WebError::NotFound);
    };
    let (mut shifts_client, mut notices_client) = (ctx.app.scheduling(), ctx.app.scheduling());
    let shifts = shifts_client.list_my_shifts(ctx.req(pb::ListMyShiftsRequest {
        start_time: Some(ts(&start)),
        end_time: Some(ts(&end)),
        page_size: 100,
        page_token: String::new(),
        view: pb::ShiftView::Basic as i32,
    }));
    let notices = notices_client.list_my_change_notices(ctx.req(pb::ListMyChangeNoticesRequest {
        page_size: 20,
        page_token: String::new(),
    }));
    let (shifts, notices, unread, open, swaps) = tokio::join!(
        shifts,
        notices,
        unread(&ctx),
        open_shifts::list(&ctx),
        swaps::list(&ctx)
    );
    let (shifts, notices) = match (shifts, notices) {
        (Ok(s), Ok(n)) => (s.into_inner().shifts, n.into_inner().shift_change_notices),
        (Err(status), _) | (_, Err(status)) => return ctx.fail(status),
    };
    let mut stores: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::new();
    let mut paid_total = 0;
    for shift in &shifts {
        let store_id = shift
            .name
            .split("/shifts/")
            .next()
            .unwrap_or_default()
            .to_owned();
        let store = match stores.get(&store_id) {
            Some(name) => name.clone(),
            None => {
                let name = store_name(&ctx, &shift.name).await;
                stores.insert(store_id, name.clone());
                name
            }
        };
        let paid = shift.paid_duration.map_or(0, |d| d.seconds);
        paid_total += paid;
        let ahead = shift
            .start_time
            .as_ref()
            .is_some_and(|t| t.seconds > jiff::Timestamp::now().as_second());
        rows.push(ShiftRow {
            name: shift.name.clone(),
            offerable: ahead && !swaps.offered_shifts.contains(&shift.name),
            when: fmt::shift_when(&ctx.t, &shift.start_local, &shift.end_local),
            store,
            position: shift.position.clone(),
            paid: fmt::duration(&ctx.t, paid),
        });
    }
    let notices = notices
        .iter()
        .map(|n| NoticeRow {
            name: n.name.clone(),
            lines: notice_lines(&ctx, n),
            pending: n.acknowledge_time.is_none(),
        })
        .collect();
    page(
        StatusCode::OK,
        WeekPage {
            c: ctx.chrome(Nav::Week, unread),
            week: label(monday),
            prev: label(monday.saturating_sub(7.days())),
            next: label(monday.saturating_add(7.days())),
            shifts: rows,
            total: fmt::duration(&ctx.t, paid_total),
            notices,
            open,
            swaps,
        },
    )
}

/// The Acknowledge form.
#[derive(Debug, Deserialize)]
pub struct AckForm {
    notice: String,
}

/// `POST /week/acknowledge`.
pub async fn acknowledge(Extension(ctx): Extension<Ctx>, Form(form): Form<AckForm>) -> Response {
    // Only the person's own notices: a name outside them is refused here already.
    if !form
        .notice
        .starts_with(&format!("{}/shiftChanges/", ctx.session.user))
    {
        return ctx.fail(crate::error::WebError::NotFound);
    }
    let reply = ctx
        .app
        .scheduling()
        .acknowledge_shift_change(ctx.req(pb::AcknowledgeShiftChangeRequest {
            name: form.notice,
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    ctx.answer("/week", reply)
}
