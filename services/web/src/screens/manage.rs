//! The managers' screens: the stores a person plans (store managers and team leads their
//! own, HQ admins every store), each store's week, its requests (time off, open-shift
//! claims, swaps), announcements with their read-and-understood roll-up, and the
//! moderation queue. The services decide what each person may do; these screens offer it
//! and show a refusal as the services give it.

pub mod announce;
pub mod moderation;
pub mod report;
pub mod requests;
pub mod roster;
pub mod shift_form;

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::{
    Extension,
    extract::{FromRequestParts, Path},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use breakroom_proto::identity::v1::{self as identity, Role};

use crate::{
    context::Ctx,
    error::{WebError, page},
    layout::{Chrome, Nav},
    screens::{home::unread, post::id},
    state::AppState,
};

/// A store a person plans.
#[derive(Debug, Clone)]
pub struct StoreChoice {
    /// Its id (the path segment of `/manage/stores/{id}`).
    pub id: String,
    /// `tenants/{t}/stores/{id}`.
    pub name: String,
    /// Display name.
    pub label: String,
    /// Its region (may be empty).
    pub region: String,
    /// Its IANA time zone.
    pub time_zone: String,
    /// Its departments: `(id, display name)`.
    pub departments: Vec<(String, String)>,
}

/// What a person manages.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// HQ admin: every store of the chain.
    pub hq: bool,
    /// The stores they plan, by display name.
    pub stores: Vec<StoreChoice>,
}

impl Reach {
    /// The store `id` if the person plans it.
    pub fn store(&self, id: &str) -> Option<&StoreChoice> {
        self.stores.iter().find(|s| s.id == id)
    }
}

/// The stores the signed-in person plans, read from identity (their memberships, then the
/// chain's stores: at most the first 1,000 for an HQ admin).
pub async fn reach(ctx: &Ctx) -> Result<Reach, WebError> {
    let mut directory = ctx.app.identity();
    let person = directory
        .get_user(ctx.req(identity::GetUserRequest {
            name: ctx.session.user.clone(),
        }))
        .await?
        .into_inner();
    let hq = person.memberships.iter().any(|m| m.role() == Role::HqAdmin);
    let planned: HashSet<&str> = person
        .memberships
        .iter()
        .filter(|m| matches!(m.role(), Role::StoreManager | Role::TeamLead))
        .map(|m| m.store.as_str())
        .collect();
    if !hq && planned.is_empty() {
        return Ok(Reach::default());
    }
    let listed = directory
        .list_stores(ctx.req(identity::ListStoresRequest {
            parent: ctx.session.tenant.clone(),
            page_size: 1000,
            page_token: String::new(),
        }))
        .await?
        .into_inner()
        .stores;
    let mut stores: Vec<StoreChoice> = listed
        .into_iter()
        .filter(|s| hq || planned.contains(s.name.as_str()))
        .filter(|s| s.state() != identity::store::State::Closed)
        .map(|s| StoreChoice {
            id: s.name.rsplit('/').next().unwrap_or_default().to_owned(),
            label: s.display_name,
            region: s.region,
            time_zone: s.time_zone,
            departments: s
                .departments
                .into_iter()
                .map(|d| (d.department_id, d.display_name))
                .collect(),
            name: s.name,
        })
        .collect();
    stores.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(Reach { hq, stores })
}

/// The store of the path `{id}` if the person plans it; otherwise the same 404 as a store
/// that does not exist.
pub async fn planned_store(ctx: &Ctx, store: &str) -> Result<StoreChoice, WebError> {
    let id = id(store).ok_or(WebError::NotFound)?;
    reach(ctx)
        .await?
        .store(id)
        .cloned()
        .ok_or(WebError::NotFound)
}

/// The store of the path's `{store}` segment, as an extractor: a store the person does
/// not plan is answered with the same 404 as one that does not exist, before the
/// handler runs.
#[derive(Debug, Clone)]
pub struct Planned(pub StoreChoice);

impl FromRequestParts<AppState> for Planned {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Extension(ctx) = Extension::<Ctx>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(segments) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let store = segments.get("store").map_or("", String::as_str);
        planned_store(&ctx, store)
            .await
            .map(Planned)
            .map_err(|error| ctx.fail(error))
    }
}

/// The active people of a store by resource name, with their display names (first 1,000).
pub async fn people(ctx: &Ctx, store: &str) -> Result<Vec<(String, String)>, WebError> {
    let users = ctx
        .app
        .identity()
        .list_users(ctx.req(identity::ListUsersRequest {
            parent: ctx.session.tenant.clone(),
            page_size: 1000,
            page_token: String::new(),
            store: store.to_owned(),
            role: Role::Unspecified.into(),
        }))
        .await?
        .into_inner()
        .users;
    Ok(users
        .into_iter()
        .filter(|u| u.state() != identity::user::State::Deactivated)
        .map(|u| (u.name, u.display_name))
        .collect())
}

/// Display names by resource name.
pub fn names(people: &[(String, String)]) -> HashMap<String, String> {
    people.iter().cloned().collect()
}

#[derive(Template)]
#[template(path = "manage.html")]
struct ManagePage {
    c: Chrome,
    reach: Reach,
}

/// `GET /manage`.
pub async fn page_manage(Extension(ctx): Extension<Ctx>) -> Response {
    let (reach, unread) = tokio::join!(reach(&ctx), unread(&ctx));
    match reach {
        Ok(reach) => page(
            StatusCode::OK,
            ManagePage {
                c: ctx.chrome(Nav::Manage, unread),
                reach,
            },
        ),
        Err(error) => ctx.fail(error),
    }
}
