//! Colleagues: the people of the person's stores by name with their role, and who is on
//! shift there right now (published shifts running at this instant).

use std::collections::HashSet;

use askama::Template;
use axum::{Extension, http::StatusCode, response::Response};
use breakroom_proto::{identity::v1 as identity, scheduling::v1 as scheduling};

use crate::{
    context::Ctx,
    error::page,
    layout::{Chrome, Nav},
    screens::{home::unread, manage::report::role_label},
};

/// A colleague as listed.
#[derive(Debug, Clone)]
pub struct Colleague {
    /// Display name.
    pub name: String,
    /// Their role there, in words.
    pub role: String,
    /// Working now: until when (`13:30`), else empty.
    pub on_shift_until: String,
}

/// One store's people.
#[derive(Debug, Clone)]
pub struct StorePeople {
    /// Store name.
    pub store: String,
    /// On shift now first, then by name.
    pub people: Vec<Colleague>,
    /// How many are on shift now.
    pub on_shift: i64,
}

#[derive(Template)]
#[template(path = "colleagues.html")]
struct ColleaguesPage {
    c: Chrome,
    stores: Vec<StorePeople>,
}

fn ts(t: jiff::Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.as_second(),
        nanos: 0,
    }
}

async fn store_people(ctx: &Ctx, store: &str) -> Option<StorePeople> {
    let now = jiff::Timestamp::now();
    // A shift running now started at most a shift's maximum length (12 h) ago.
    let from = now.checked_sub(jiff::SignedDuration::from_hours(12)).ok()?;
    let until = now.checked_add(jiff::SignedDuration::from_secs(1)).ok()?;
    let (mut directory, mut directory2, mut roster) =
        (ctx.app.identity(), ctx.app.identity(), ctx.app.scheduling());
    let info = directory.get_store(ctx.req(identity::GetStoreRequest {
        name: store.to_owned(),
    }));
    let users = directory2.list_users(ctx.req(identity::ListUsersRequest {
        parent: ctx.session.tenant.clone(),
        page_size: 1000,
        store: store.to_owned(),
        ..Default::default()
    }));
    let shifts = roster.list_store_shifts(ctx.req(scheduling::ListStoreShiftsRequest {
        parent: store.to_owned(),
        start_time: Some(ts(from)),
        end_time: Some(ts(until)),
        page_size: 1000,
        page_token: String::new(),
    }));
    let (info, users, shifts) = tokio::join!(info, users, shifts);
    let info = info.ok()?.into_inner();
    let users = users.ok()?.into_inner().users;
    let shifts = shifts.map(|s| s.into_inner().shifts).unwrap_or_default();
    let running: Vec<&scheduling::Shift> = shifts
        .iter()
        .filter(|s| {
            let start = s.start_time.map_or(i64::MAX, |t| t.seconds);
            let end = s.end_time.map_or(i64::MIN, |t| t.seconds);
            start <= now.as_second() && now.as_second() < end
        })
        .collect();
    let mut seen = HashSet::new();
    let mut people: Vec<Colleague> = users
        .iter()
        .filter(|u| u.state() == identity::user::State::Active && seen.insert(u.name.clone()))
        .map(|u| {
            let role = u
                .memberships
                .iter()
                .find(|m| m.store == store)
                .map_or(0, |m| m.role);
            let until = running
                .iter()
                .find(|s| s.employee == u.name)
                .map(|s| {
                    s.end_local
                        .split_once('T')
                        .map_or_else(String::new, |(_, time)| time.to_owned())
                })
                .unwrap_or_default();
            Colleague {
                name: u.display_name.clone(),
                role: role_label(&ctx.t, role),
                on_shift_until: until,
            }
        })
        .collect();
    people.sort_by(|a, b| {
        a.on_shift_until
            .is_empty()
            .cmp(&b.on_shift_until.is_empty())
            .then_with(|| a.name.cmp(&b.name))
    });
    let on_shift = people
        .iter()
        .filter(|p| !p.on_shift_until.is_empty())
        .count();
    Some(StorePeople {
        store: info.display_name,
        people,
        on_shift: i64::try_from(on_shift).unwrap_or(i64::MAX),
    })
}

/// `GET /colleagues`.
pub async fn page_colleagues(Extension(ctx): Extension<Ctx>) -> Response {
    let person = ctx
        .app
        .identity()
        .get_user(ctx.req(identity::GetUserRequest {
            name: ctx.session.user.clone(),
        }))
        .await;
    let person = match person {
        Ok(p) => p.into_inner(),
        Err(status) => return ctx.fail(status),
    };
    let mut stores: Vec<String> = person
        .memberships
        .into_iter()
        .map(|m| m.store)
        .filter(|s| !s.is_empty())
        .collect();
    stores.dedup();
    let lists = futures::future::join_all(stores.iter().map(|s| store_people(&ctx, s)));
    let (lists, unread) = tokio::join!(lists, unread(&ctx));
    page(
        StatusCode::OK,
        ColleaguesPage {
            c: ctx.chrome(Nav::Home, unread),
            stores: lists.into_iter().flatten().collect(),
        },
    )
}
