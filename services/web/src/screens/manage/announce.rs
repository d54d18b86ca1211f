//! Composing an announcement: the group it is posted in, title and text, who it is for
//! (stores, regions, roles, departments; nothing ticked is everyone the group reaches),
//! whether readers must confirm "Read and understood" and by when, and whether it is
//! urgent (pushed even in quiet hours). Feed decides whether the audience is within the
//! author's reach; a refusal is shown on the form.

use std::collections::BTreeSet;

use askama::Template;
use axum::{Extension, Form, http::StatusCode, response::Response};
use breakroom_proto::{feed::v1 as pb, identity::v1::Role};
use jiff::tz::TimeZone;

use crate::{
    context::Ctx,
    error::{WebError, page},
    layout::{Chrome, Nav},
    screens::{
        compose::GroupOption,
        home::unread,
        manage::{Reach, reach},
        views::post_path,
    },
};

/// A tick box of the audience.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The value posted.
    pub value: String,
    /// What it says.
    pub label: String,
    /// Ticked.
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "announce.html")]
struct AnnouncePage {
    c: Chrome,
    groups: Vec<GroupOption>,
    stores: Vec<Choice>,
    regions: Vec<Choice>,
    roles: Vec<Choice>,
    departments: Vec<Choice>,
    title: String,
    body: String,
    acknowledge: bool,
    due: String,
    urgent: bool,
    title_error: Option<&'static str>,
    body_error: Option<&'static str>,
    due_error: Option<&'static str>,
    error: Option<&'static str>,
}

/// The form as posted: repeated `store`, `region`, `role`, `department` fields.
#[derive(Debug, Clone, Default)]
pub struct AnnounceForm {
    group: String,
    title: String,
    body: String,
    stores: Vec<String>,
    regions: Vec<String>,
    roles: Vec<String>,
    departments: Vec<String>,
    acknowledge: bool,
    due: String,
    urgent: bool,
}

impl AnnounceForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "group" => form.group = value,
                "title" => form.title = value,
                "body" => form.body = value,
                "store" => form.stores.push(value),
                "region" => form.regions.push(value),
                "role" => form.roles.push(value),
                "department" => form.departments.push(value),
                "acknowledge" => form.acknowledge = true,
                "due" => form.due = value,
                "urgent" => form.urgent = true,
                _ => {}
            }
        }
        form
    }
}

const ROLES: [(Role, &str); 3] = [
    (Role::Employee, "role-employee"),
    (Role::TeamLead, "role-team-lead"),
    (Role::StoreManager, "role-store-manager"),
];

fn choices(items: impl IntoIterator<Item = (String, String)>, ticked: &[String]) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            checked: ticked.contains(&value),
            value,
            label,
        })
        .collect()
}

async fn render(ctx: &Ctx, form: &AnnounceForm, error: Option<WebError>) -> Response {
    let mut feed = ctx.app.feed();
    let groups = feed.list_my_groups(ctx.req(pb::ListMyGroupsRequest {
        parent: ctx.session.tenant.clone(),
        page_size: 100,
        page_token: String::new(),
    }));
    let (groups, reach, unread) = tokio::join!(groups, reach(ctx), unread(ctx));
    let (groups, reach): (_, Reach) = match (groups, reach) {
        (Ok(g), Ok(r)) => (g.into_inner().groups, r),
        (Err(status), _) => return ctx.fail(status),
        (_, Err(error)) => return ctx.fail(error),
    };
    let groups = groups
        .into_iter()
        .filter(|g| g.can_post)
        .map(|g| GroupOption {
            selected: g.name == form.group,
            name: g.name,
            label: g.display_name,
        })
        .collect();
    let store_id = |name: &str| name.rsplit('/').next().unwrap_or_default().to_owned();
    let stores = choices(
        reach
            .stores
            .iter()
            .map(|s| (store_id(&s.name), s.label.clone())),
        &form.stores,
    );
    let regions: BTreeSet<String> = reach
        .stores
        .iter()
        .map(|s| s.region.clone())
        .filter(|r| !r.is_empty())
        .collect();
    let regions = if reach.hq {
        choices(regions.into_iter().map(|r| (r.clone(), r)), &form.regions)
    } else {
        Vec::new()
    };
    let departments: BTreeSet<(String, String)> = reach
        .stores
        .iter()
        .flat_map(|s| s.departments.iter().cloned())
        .collect();
    let departments = choices(departments, &form.departments);
    let roles = choices(
        ROLES
            .iter()
            .map(|(role, key)| ((*role as i32).to_string(), ctx.t.get(key))),
        &form.roles,
    );
    let field = |name: &str| error.as_ref().and_then(|e| e.field(name));
    let general = match &error {
        None | Some(WebError::Invalid(_)) => None,
        Some(WebError::Forbidden) => Some("error-audience-out-of-reach"),
        Some(WebError::Refused) => Some("error-audience-too-large"),
        Some(_) => Some("error-refused"),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(
        status,
        AnnouncePage {
            c: ctx.chrome(Nav::Manage, unread),
            groups,
            stores,
            regions,
            roles,
            departments,
            title: form.title.clone(),
            body: form.body.clone(),
            acknowledge: form.acknowledge,
            due: form.due.clone(),
            urgent: form.urgent,
            title_error: field("post.title"),
            body_error: field("post.body"),
            due_error: field("post.announcement.due_time").or(field("due")),
            error: general,
        },
    )
}

/// `GET /manage/announce`.
pub async fn page_announce(Extension(ctx): Extension<Ctx>) -> Response {
    let form = AnnounceForm {
        acknowledge: true,
        ..AnnounceForm::default()
    };
    render(&ctx, &form, None).await
}

/// The end of the due day in the chain's zone.
fn due_time(ctx: &Ctx, due: &str) -> Result<Option<prost_types::Timestamp>, WebError> {
    let due = due.trim();
    if due.is_empty() {
        return Ok(None);
    }
    let invalid = || WebError::Invalid(vec![("due".to_owned(), "error-field-invalid")]);
    let day: jiff::civil::Date = due.parse().map_err(|_| invalid())?;
    let zone = TimeZone::get(&ctx.session.time_zone).unwrap_or(TimeZone::UTC);
    let end = day
        .to_datetime(jiff::civil::time(23, 59, 0, 0))
        .to_zoned(zone)
        .map_err(|_| invalid())?;
    Ok(Some(prost_types::Timestamp {
        seconds: end.timestamp().as_second(),
        nanos: 0,
    }))
}

/// `POST /manage/announce`.
pub async fn create(
    Extension(ctx): Extension<Ctx>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = AnnounceForm::from_pairs(pairs);
    if !form
        .group
        .starts_with(&format!("{}/groups/", ctx.session.tenant))
    {
        return ctx.fail(WebError::NotFound);
    }
    let due_time = match due_time(&ctx, &form.due) {
        Ok(due) => due,
        Err(error) => return render(&ctx, &form, Some(error)).await,
    };
    let roles = form.roles.iter().filter_map(|r| r.parse().ok()).collect();
    let reply = ctx
        .app
        .feed()
        .create_post(ctx.req(pb::CreatePostRequest {
            parent: form.group.clone(),
            post: Some(pb::Post {
                title: form.title.trim().to_owned(),
                body: form.body.clone(),
                announcement: Some(pb::Announcement {
                    audience: Some(pb::Audience {
                        store_ids: form.stores.clone(),
                        regions: form.regions.clone(),
                        roles,
                        department_ids: form.departments.clone(),
                    }),
                    requires_acknowledgement: form.acknowledge,
                    due_time,
                    urgent: form.urgent,
                }),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => {
            let path = post_path(&reply.get_ref().name);
            let to = if form.acknowledge {
                format!("/manage/announcements{}", path.trim_start_matches("/posts"))
            } else {
                path
            };
            ctx.after_write(&to, &reply)
        }
        Err(status) => match WebError::from(status) {
            error @ (WebError::Invalid(_) | WebError::Forbidden | WebError::Refused) => {
                render(&ctx, &form, Some(error)).await
            }
            error => ctx.fail(error),
        },
    }
}
