//! A store's week for its planners: every shift day by day (drafts marked), whether the
//! week is published and what is not yet, Publish, and the shift form (add, amend,
//! remove; an empty employee is an open shift). Times are the store's local times, as
//! planned; a shift ending at or before its start ends the next day.

use askama::Template;
use axum::{
    Extension, Form,
    extract::{Path, Query},
    http::StatusCode,
    response::Response,
};
use breakroom_proto::scheduling::v1::{self as pb, shift};
use jiff::{ToSpan, civil, tz::TimeZone};
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::{WebError, page},
    fmt,
    layout::{Chrome, Nav},
    screens::{
        home::unread,
        manage::{
            Planned, StoreChoice, names, people,
            shift_form::{ShiftForm, ShiftFormView, errors_of, form_of, form_view, shift_of},
        },
        post::id,
        week::{label, monday},
    },
};

/// A shift as the planner sees it.
#[derive(Debug, Clone)]
pub struct PlannedRow {
    /// Its id (for the edit link).
    pub id: String,
    /// `09:00–13:00`.
    pub times: String,
    /// The employee's name, or empty for an open shift.
    pub who: String,
    /// Position and department.
    pub what: String,
    /// Not yet published.
    pub draft: bool,
}

/// One day of the week.
#[derive(Debug, Clone)]
pub struct DayRows {
    /// `Mon 7 Dec`.
    pub day: String,
    /// Its shifts by start.
    pub shifts: Vec<PlannedRow>,
}

#[derive(Template)]
#[template(path = "manage_week.html")]
struct WeekPage {
    c: Chrome,
    store: StoreChoice,
    week: String,
    prev: String,
    next: String,
    published: Option<String>,
    unpublished: bool,
    unacknowledged: i64,
    days: Vec<DayRows>,
    open_count: i64,
    form: ShiftFormView,
}

#[derive(Template)]
#[template(path = "manage_shift.html")]
struct ShiftPage {
    c: Chrome,
    store: StoreChoice,
    shift_id: String,
    when: String,
    form: ShiftFormView,
}

/// `?week=2026-W50`.
#[derive(Debug, Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
}

fn zone_of(store: &StoreChoice) -> TimeZone {
    TimeZone::get(&store.time_zone).unwrap_or(TimeZone::UTC)
}

fn roster_name(store: &StoreChoice, week: &str) -> String {
    format!("{}/rosters/{week}", store.name)
}

async fn roster(ctx: &Ctx, store: &StoreChoice, week: &str) -> Result<pb::Roster, WebError> {
    Ok(ctx
        .app
        .scheduling()
        .get_roster(ctx.req(pb::GetRosterRequest {
            name: roster_name(store, week),
        }))
        .await?
        .into_inner())
}

async fn render_week(
    ctx: &Ctx,
    store: StoreChoice,
    week: Option<&str>,
    form: &ShiftForm,
    error: Option<WebError>,
) -> Response {
    let zone = zone_of(&store);
    let monday = monday(week, &zone);
    let week = label(monday);
    let (roster, people, unread) = tokio::join!(
        roster(ctx, &store, &week),
        people(ctx, &store.name),
        unread(ctx)
    );
    let (roster, people) = match (roster, people) {
        (Ok(r), Ok(p)) => (r, p),
        (Err(error), _) | (_, Err(error)) => return ctx.fail(error),
    };
    let who = names(&people);
    let mut days: Vec<DayRows> = (0..7)
        .map(|i| DayRows {
            day: fmt::date(&ctx.t, monday.saturating_add(i.days())),
            shifts: Vec::new(),
        })
        .collect();
    let mut shifts = roster.shifts.clone();
    shifts.sort_by(|a, b| a.start_local.cmp(&b.start_local));
    let mut open_count = 0;
    for s in &shifts {
        let Ok(start) = s.start_local.parse::<civil::DateTime>() else {
            continue;
        };
        let index = usize::try_from(monday.until(start.date()).map_or(0, |d| d.get_days()))
            .unwrap_or(0)
            .min(6);
        if s.employee.is_empty() {
            open_count += 1;
        }
        let department = store
            .departments
            .iter()
            .find(|(id, _)| *id == s.department_id)
            .map(|(_, label)| label.clone())
            .unwrap_or_default();
        let what = [s.position.as_str(), department.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        days[index].shifts.push(PlannedRow {
            id: s.name.rsplit('/').next().unwrap_or_default().to_owned(),
            times: times(&s.start_local, &s.end_local),
            who: who.get(&s.employee).cloned().unwrap_or_default(),
            what,
            draft: s.state() == shift::State::Draft,
        });
    }
    let published = (roster.state() == pb::roster::State::Published)
        .then(|| fmt::instant(&ctx.t, roster.publish_time.as_ref(), &ctx.session.time_zone));
    let action = format!("/manage/stores/{}/shifts", store.id);
    let errors = error.as_ref().map(errors_of).unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut form = form.clone();
    if form.day.is_empty() {
        form.day = monday.to_string();
    }
    let form = form_view(ctx, &store, monday, action, &form, &people, errors);
    page(
        status,
        WeekPage {
            c: ctx.chrome(Nav::Manage, unread),
            week,
            prev: label(monday.saturating_sub(7.days())),
            next: label(monday.saturating_add(7.days())),
            published,
            unpublished: roster.has_unpublished_changes,
            unacknowledged: i64::try_from(roster.unacknowledged_changes.len()).unwrap_or(i64::MAX),
            days,
            open_count,
            form,
            store,
        },
    )
}

/// `09:00–13:00` of a shift's local times (`+1` when it ends the next day).
fn times(start_local: &str, end_local: &str) -> String {
    let (Ok(start), Ok(end)) = (
        start_local.parse::<civil::DateTime>(),
        end_local.parse::<civil::DateTime>(),
    ) else {
        return format!("{start_local}–{end_local}");
    };
    let next_day = if end.date() > start.date() { " +1" } else { "" };
    format!(
        "{}–{}{next_day}",
        start.strftime("%H:%M"),
        end.strftime("%H:%M")
    )
}

/// `GET /manage/stores/{store}/week`.
pub async fn page_week(
    Extension(ctx): Extension<Ctx>,
    Planned(store): Planned,
    Query(q): Query<WeekQuery>,
) -> Response {
    render_week(&ctx, store, q.week.as_deref(), &ShiftForm::default(), None).await
}

fn week_path(store: &StoreChoice, week: &str) -> String {
    let week = label(monday(Some(week), &zone_of(store)));
    format!("/manage/stores/{}/week?week={week}", store.id)
}

/// `POST /manage/stores/{store}/shifts`: a new shift (a draft until published).
pub async fn create(
    Extension(ctx): Extension<Ctx>,
    Planned(store): Planned,
    Form(form): Form<ShiftForm>,
) -> Response {
    let week = form.week.clone();
    let shift = match shift_of(&form) {
        Ok(shift) => shift,
        Err(error) => return render_week(&ctx, store, Some(&week), &form, Some(error)).await,
    };
    let reply = ctx
        .app
        .scheduling()
        .upsert_shift(ctx.req(pb::UpsertShiftRequest {
            shift: Some(shift),
            parent: store.name.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => ctx.after_write(&week_path(&store, &week), &reply),
        Err(status) => render_week(&ctx, store, Some(&week), &form, Some(status.into())).await,
    }
}

/// `POST /manage/stores/{store}/publish` with `week`.
pub async fn publish(
    Extension(ctx): Extension<Ctx>,
    Planned(store): Planned,
    Form(form): Form<ShiftForm>,
) -> Response {
    let week = label(monday(Some(&form.week), &zone_of(&store)));
    let reply = ctx
        .app
        .scheduling()
        .publish_roster(ctx.req(pb::PublishRosterRequest {
            name: roster_name(&store, &week),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    ctx.answer(&week_path(&store, &week), reply)
}

/// The shift `{shift}` of the store as it is now, from the week it is in (`week`).
async fn planned_shift(
    ctx: &Ctx,
    store: &StoreChoice,
    shift: &str,
    week: &str,
) -> Result<(pb::Shift, civil::Date), WebError> {
    let shift_id = id(shift).ok_or(WebError::NotFound)?;
    let monday = monday(Some(week), &zone_of(store));
    let name = format!("{}/shifts/{shift_id}", store.name);
    let roster = roster(ctx, store, &label(monday)).await?;
    roster
        .shifts
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| (s, monday))
        .ok_or(WebError::NotFound)
}

async fn render_shift(
    ctx: &Ctx,
    store: StoreChoice,
    shift: &pb::Shift,
    monday: civil::Date,
    form: &ShiftForm,
    error: Option<WebError>,
) -> Response {
    let (people, unread) = tokio::join!(people(ctx, &store.name), unread(ctx));
    let people = match people {
        Ok(p) => p,
        Err(error) => return ctx.fail(error),
    };
    let shift_id = shift.name.rsplit('/').next().unwrap_or_default().to_owned();
    let action = format!("/manage/stores/{}/shifts/{shift_id}", store.id);
    let errors = error.as_ref().map(errors_of).unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let form = form_view(ctx, &store, monday, action, form, &people, errors);
    page(
        status,
        ShiftPage {
            c: ctx.chrome(Nav::Manage, unread),
            when: fmt::shift_when(&ctx.t, &shift.start_local, &shift.end_local),
            shift_id,
            form,
            store,
        },
    )
}

/// `GET /manage/stores/{store}/shifts/{shift}?week=`.
pub async fn page_shift(
    Extension(ctx): Extension<Ctx>,
    Planned(store): Planned,
    Path((_, shift)): Path<(String, String)>,
    Query(q): Query<WeekQuery>,
) -> Response {
    let week = q.week.unwrap_or_default();
    match planned_shift(&ctx, &store, &shift, &week).await {
        Ok((planned, monday)) => {
            let form = form_of(&planned, &label(monday));
            render_shift(&ctx, store, &planned, monday, &form, None).await
        }
        Err(error) => ctx.fail(error),
    }
}

/// `POST /manage/stores/{store}/shifts/{shift}`: amends the shift.
pub async fn update(
    Extension(ctx): Extension<Ctx>,
    Planned(store): Planned,
    Path((_, shift)): Path<(String, String)>,
    Form(form): Form<ShiftForm>,
) -> Response {
    let (planned, monday) = match planned_shift(&ctx, &store, &shift, &form.week).await {
        Ok(found) => found,
        Err(error) => return ctx.fail(error),
    };
    let amended = match shift_of(&form) {
        Ok(amended) => pb::Shift {
            name: planned.name.clone(),
            ..amended
        },
        Err(error) => return render_shift(&ctx, store, &planned, monday, &form, Some(error)).await,
    };
    let reply = ctx
        .app
        .scheduling()
        .upsert_shift(ctx.req(pb::UpsertShiftRequest {
            shift: Some(amended),
            parent: store.name.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => ctx.after_write(&week_path(&store, &label(monday)), &reply),
        Err(status) => {
            render_shift(&ctx, store, &planned, monday, &form, Some(status.into())).await
        }
    }
}

/// `POST /manage/stores/{store}/shifts/{shift}/delete`.
pub async fn delete(
    Extension(ctx): Extension<Ctx>,
    Planned(store): Planned,
    Path((_, shift)): Path<(String, String)>,
    Form(form): Form<ShiftForm>,
) -> Response {
    let (planned, monday) = match planned_shift(&ctx, &store, &shift, &form.week).await {
        Ok(found) => found,
        Err(error) => return ctx.fail(error),
    };
    let reply = ctx
        .app
        .scheduling()
        .delete_shift(ctx.req(pb::DeleteShiftRequest {
            name: planned.name,
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    ctx.answer(&week_path(&store, &label(monday)), reply)
}
