//! The new-post form: a group the person may post in (ListMyGroups, `can_post`), an
//! optional title, a markdown body and colleagues to mention (they are notified);
//! refusals are shown next to their field.

use askama::Template;
use axum::{Extension, Form, http::StatusCode, response::Response};
use breakroom_proto::{feed::v1 as pb, identity::v1 as identity};
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::{WebError, page},
    layout::{Chrome, Nav},
    screens::{home::unread, views::post_path},
};

/// A group one may post in.
#[derive(Debug, Clone)]
pub struct GroupOption {
    /// `tenants/{t}/groups/{g}`.
    pub name: String,
    /// Display name.
    pub label: String,
    /// Chosen.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage {
    c: Chrome,
    groups: Vec<GroupOption>,
    title: String,
    body: String,
    people: Vec<(String, String, bool)>,
    title_error: Option<&'static str>,
    body_error: Option<&'static str>,
    error: Option<&'static str>,
}

/// The form.
#[derive(Debug)]
pub struct PostForm {
    group: String,
    title: String,
    body: String,
    mentions: Vec<String>,
}

impl PostForm {
    /// The form from its fields (`mention` may repeat).
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self {
            group: String::new(),
            title: String::new(),
            body: String::new(),
            mentions: Vec::new(),
        };
        for (key, value) in pairs {
            match key.as_str() {
                "group" => form.group = value,
                "title" => form.title = value,
                "body" => form.body = value,
                "mention" if !value.is_empty() => form.mentions.push(value),
                _ => {}
            }
        }
        form
    }
}

/// The people of the person's stores who can be mentioned: `(name, label, chosen)`.
async fn mentionable(ctx: &Ctx, chosen: &[String]) -> Vec<(String, String, bool)> {
    let person = ctx
        .app
        .identity()
        .get_user(ctx.req(identity::GetUserRequest {
            name: ctx.session.user.clone(),
        }))
        .await;
    let Ok(person) = person else {
        return Vec::new();
    };
    let mut people = Vec::new();
    let mut stores: Vec<String> = person
        .into_inner()
        .memberships
        .into_iter()
        .map(|m| m.store)
        .filter(|s| !s.is_empty())
        .collect();
    stores.dedup();
    for store in stores {
        let users = ctx
            .app
            .identity()
            .list_users(ctx.req(identity::ListUsersRequest {
                parent: ctx.session.tenant.clone(),
                page_size: 1000,
                store,
                ..Default::default()
            }))
            .await
            .map(|r| r.into_inner().users)
            .unwrap_or_default();
        for user in users {
            if user.name != ctx.session.user
                && user.state() == identity::user::State::Active
                && !people.iter().any(|(n, _, _)| *n == user.name)
            {
                let picked = chosen.contains(&user.name);
                people.push((user.name, user.display_name, picked));
            }
        }
    }
    people.sort_by(|a, b| a.1.cmp(&b.1));
    people
}

async fn render(ctx: &Ctx, form: Option<&PostForm>, error: Option<WebError>) -> Response {
    let mut feed = ctx.app.feed();
    let groups = feed.list_my_groups(ctx.req(pb::ListMyGroupsRequest {
        parent: ctx.session.tenant.clone(),
        page_size: 100,
        page_token: String::new(),
    }));
    let chosen_people = form.map(|f| f.mentions.clone()).unwrap_or_default();
    let (groups, unread, people) =
        tokio::join!(groups, unread(ctx), mentionable(ctx, &chosen_people));
    let groups = match groups {
        Ok(g) => g.into_inner().groups,
        Err(status) => return ctx.fail(status),
    };
    let chosen = form.map(|f| f.group.as_str()).unwrap_or_default();
    let groups = groups
        .into_iter()
        .filter(|g| g.can_post)
        .map(|g| GroupOption {
            selected: g.name == chosen,
            name: g.name,
            label: g.display_name,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let general = match &error {
        Some(WebError::Invalid(_)) | None => None,
        Some(WebError::Forbidden) => Some("error-cannot-post"),
        Some(_) => Some("error-refused"),
    };
    page(
        status,
        ComposePage {
            c: ctx.chrome(Nav::Home, unread),
            groups,
            title: form.map(|f| f.title.clone()).unwrap_or_default(),
            body: form.map(|f| f.body.clone()).unwrap_or_default(),
            people,
            title_error: error.as_ref().and_then(|e| e.field("post.title")),
            body_error: error.as_ref().and_then(|e| e.field("post.body")),
            error: general,
        },
    )
}

/// `?group=` chosen in advance (a group's "New post").
#[derive(Debug, Deserialize)]
pub struct ComposeQuery {
    group: Option<String>,
}

/// `GET /new`.
pub async fn page_compose(
    Extension(ctx): Extension<Ctx>,
    axum::extract::Query(q): axum::extract::Query<ComposeQuery>,
) -> Response {
    let chosen = q.group.map(|group| PostForm {
        group,
        title: String::new(),
        body: String::new(),
        mentions: Vec::new(),
    });
    render(&ctx, chosen.as_ref(), None).await
}

/// `POST /new`.
pub async fn create(
    Extension(ctx): Extension<Ctx>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = PostForm::from_pairs(pairs);
    if !form
        .group
        .starts_with(&format!("{}/groups/", ctx.session.tenant))
    {
        return ctx.fail(WebError::NotFound);
    }
    let reply = ctx
        .app
        .feed()
        .create_post(ctx.req(pb::CreatePostRequest {
            parent: form.group.clone(),
            post: Some(pb::Post {
                title: form.title.clone(),
                body: form.body.clone(),
                mentions: form.mentions.clone(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => {
            let path = post_path(&reply.get_ref().name);
            ctx.after_write(&path, &reply)
        }
        Err(status) => match WebError::from(status) {
            error @ (WebError::Invalid(_) | WebError::Forbidden | WebError::Refused) => {
                render(&ctx, Some(&form), Some(error)).await
            }
            error => ctx.fail(error),
        },
    }
}
