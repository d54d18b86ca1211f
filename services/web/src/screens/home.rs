//! Home: the next shift (when, where), the must-reads waiting for "Read and understood",
//! then the timeline of posts and roster cards.

use askama::Template;
use axum::{Extension, http::StatusCode, response::Response};
use breakroom_proto::{
    feed::v1 as feed, identity::v1 as identity, notifications::v1 as notifications,
    scheduling::v1 as scheduling,
};

use crate::{
    context::Ctx,
    error::page,
    fmt,
    layout::{Chrome, Nav},
    screens::views::{CardView, Item, PostView},
};

/// The next shift as Home shows it.
#[derive(Debug, Clone)]
pub struct NextShift {
    /// When.
    pub when: String,
    /// The store's name.
    pub store: String,
    /// Position.
    pub position: String,
    /// Paid length.
    pub paid: String,
    /// Colleagues on shift at the same time (display names).
    pub with: Vec<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    name: String,
    next: Option<NextShift>,
    must_reads: Vec<PostView>,
    items: Vec<Item>,
    /// `/?page=<token>` of the next (older) page; empty on the last.
    older: String,
    /// Whether this is a later page (the next shift and must-reads are on the first).
    later: bool,
}

/// `?page=` of Home: feed's page token of the timeline.
#[derive(Debug, serde::Deserialize)]
pub struct HomeQuery {
    page: Option<String>,
}

fn ts(t: jiff::Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.as_second(),
        nanos: 0,
    }
}

/// The inbox's unread count; 0 when notifications does not answer (Home still shows).
pub async fn unread(ctx: &Ctx) -> i64 {
    ctx.app
        .notifications()
        .get_unread_count(ctx.req(notifications::GetUnreadCountRequest {
            parent: ctx.session.user.clone(),
        }))
        .await
        .map_or(0, |r| r.into_inner().unread_count)
}

/// The store's display name (its id when identity does not answer).
pub async fn store_name(ctx: &Ctx, shift_name: &str) -> String {
    let store = shift_name
        .split("/shifts/")
        .next()
        .unwrap_or_default()
        .to_owned();
    if let Some(name) = ctx.app.0.names.get(&store) {
        return name;
    }
    match ctx
        .app
        .identity()
        .get_store(ctx.req(identity::GetStoreRequest {
            name: store.clone(),
        }))
        .await
    {
        Ok(found) => {
            let name = found.into_inner().display_name;
            ctx.app.0.names.put(&store, &name);
            name
        }
        Err(_) => store,
    }
}

async fn next_shift(ctx: &Ctx) -> Result<Option<NextShift>, tonic::Status> {
    let now = jiff::Timestamp::now();
    let until = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 31))
        .unwrap_or(now);
    // The full view names who works at the same time: one call for the whole card.
    let shifts = ctx
        .app
        .scheduling()
        .list_my_shifts(ctx.req(scheduling::ListMyShiftsRequest {
            start_time: Some(ts(now)),
            end_time: Some(ts(until)),
            page_size: 1,
            page_token: String::new(),
            view: scheduling::ShiftView::Full as i32,
        }))
        .await?
        .into_inner()
        .shifts;
    let Some(shift) = shifts.into_iter().next() else {
        return Ok(None);
    };
    let (store, with) = tokio::join!(
        store_name(ctx, &shift.name),
        colleagues(ctx, &shift.colleagues)
    );
    Ok(Some(NextShift {
        when: fmt::shift_when(&ctx.t, &shift.start_local, &shift.end_local),
        store,
        with,
        position: shift.position.clone(),
        paid: fmt::duration(&ctx.t, shift.paid_duration.map_or(0, |d| d.seconds)),
    }))
}

/// The display names of the first eight of `people` (scheduling's colleagues on a shift,
/// by start); a name identity does not give is left out, so Home still shows.
async fn colleagues(ctx: &Ctx, people: &[String]) -> Vec<String> {
    let names = people.iter().take(8).map(|person| async move {
        if let Some(name) = ctx.app.0.names.get(person) {
            return Some(name);
        }
        let name = ctx
            .app
            .identity()
            .get_user(ctx.req(identity::GetUserRequest {
                name: person.clone(),
            }))
            .await
            .ok()?
            .into_inner()
            .display_name;
        ctx.app.0.names.put(person, &name);
        Some(name)
    });
    futures::future::join_all(names)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// `GET /`.
pub async fn page_home(
    Extension(ctx): Extension<Ctx>,
    axum::extract::Query(q): axum::extract::Query<HomeQuery>,
) -> Response {
    let page_token = q.page.unwrap_or_default();
    let later = !page_token.is_empty();
    let mut feed = ctx.app.feed();
    let timeline = feed.list_timeline(ctx.req(feed::ListTimelineRequest {
        parent: ctx.session.tenant.clone(),
        page_size: 20,
        page_token,
    }));
    // The next shift and must-reads are shown on the first page only.
    let next = async {
        if later {
            Ok(None)
        } else {
            next_shift(&ctx).await
        }
    };
    let (next, timeline, unread) = tokio::join!(next, timeline, unread(&ctx));
    let (next, timeline) = match (next, timeline) {
        (Ok(next), Ok(timeline)) => (next, timeline.into_inner()),
        (Err(status), _) | (_, Err(status)) => return ctx.fail(status),
    };
    let zone = ctx.session.time_zone.as_str();
    let mut must_reads = Vec::new();
    let mut items = Vec::new();
    for entry in &timeline.items {
        match &entry.item {
            Some(feed::timeline_item::Item::Post(post)) => {
                let view = PostView::new(&ctx.t, post, zone);
                if view.pending {
                    must_reads.push(view);
                } else {
                    items.push(Item {
                        post: Some(view),
                        card: None,
                    });
                }
            }
            Some(feed::timeline_item::Item::Card(card)) => items.push(Item {
                post: None,
                card: Some(CardView::new(&ctx.t, card, zone)),
            }),
            None => {}
        }
    }
    page(
        StatusCode::OK,
        HomePage {
            c: ctx.chrome(Nav::Home, unread),
            name: ctx.session.name.clone(),
            next,
            must_reads,
            items,
            older: if timeline.next_page_token.is_empty() {
                String::new()
            } else {
                format!(
                    "/?page={}",
                    crate::layout::encode(&timeline.next_page_token)
                )
            },
            later,
        },
    )
}
