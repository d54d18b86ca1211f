//! A post with its comments and the add-comment form; reacting and "Read and understood";
//! and the new-post form for a group the person may post in.

use askama::Template;
use axum::{Extension, Form, extract::Path, http::StatusCode, response::Response};
use breakroom_proto::feed::v1::{self as pb, ReactionKind};
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::{WebError, page},
    layout::{Chrome, Nav},
    screens::{
        home::unread,
        views::{CommentView, PostView, post_path},
    },
};

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    c: Chrome,
    post: PostView,
    comments: Vec<CommentView>,
    body: String,
    body_error: Option<&'static str>,
}

/// A group or post id from the path: letters, digits, `-` and `_` only, so a path can only
/// name a resource of the person's own tenant.
pub(crate) fn id(segment: &str) -> Option<&str> {
    (!segment.is_empty()
        && segment.len() <= 80
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then_some(segment)
}

/// A post of a group the person is not in (another store's) is shown as missing, like
/// another chain's: a URL reveals nothing about what exists.
pub(crate) fn foreign(status: tonic::Status) -> WebError {
    match WebError::from(status) {
        WebError::Forbidden => WebError::NotFound,
        other => other,
    }
}

fn post_name(ctx: &Ctx, group: &str, post: &str) -> Option<String> {
    Some(format!(
        "{}/groups/{}/posts/{}",
        ctx.session.tenant,
        id(group)?,
        id(post)?
    ))
}

async fn render(ctx: &Ctx, name: String, body: String, error: Option<WebError>) -> Response {
    let (mut posts, mut comments_client) = (ctx.app.feed(), ctx.app.feed());
    let post = posts.get_post(ctx.req(pb::GetPostRequest { name: name.clone() }));
    let comments = comments_client.list_comments(ctx.req(pb::ListCommentsRequest {
        parent: name,
        page_size: 100,
        page_token: String::new(),
    }));
    let (post, comments, unread) = tokio::join!(post, comments, unread(ctx));
    let (post, comments) = match (post, comments) {
        (Ok(p), Ok(c)) => (p.into_inner(), c.into_inner().comments),
        (Err(status), _) | (_, Err(status)) => return ctx.fail(foreign(status)),
    };
    let zone = ctx.session.time_zone.as_str();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(
        status,
        PostPage {
            c: ctx.chrome(Nav::None, unread),
            post: PostView::new(&ctx.t, &post, zone),
            comments: comments
                .iter()
                .map(|c| CommentView::new(&ctx.t, c, zone))
                .collect(),
            body,
            body_error: error.map(|e| e.field("comment.body").unwrap_or("error-invalid")),
        },
    )
}

/// `GET /posts/{group}/{post}`.
pub async fn page_post(
    Extension(ctx): Extension<Ctx>,
    Path((group, post)): Path<(String, String)>,
) -> Response {
    let Some(name) = post_name(&ctx, &group, &post) else {
        return ctx.fail(WebError::NotFound);
    };
    render(&ctx, name, String::new(), None).await
}

/// The comment form.
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    body: String,
}

/// `POST /posts/{group}/{post}/comments`.
pub async fn comment(
    Extension(ctx): Extension<Ctx>,
    Path((group, post)): Path<(String, String)>,
    Form(form): Form<CommentForm>,
) -> Response {
    let Some(name) = post_name(&ctx, &group, &post) else {
        return ctx.fail(WebError::NotFound);
    };
    let reply = ctx
        .app
        .feed()
        .add_comment(ctx.req(pb::AddCommentRequest {
            parent: name.clone(),
            comment: Some(pb::Comment {
                body: form.body.clone(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => ctx.after_write(&post_path(&name), &reply),
        Err(status) => match WebError::from(status) {
            error @ WebError::Invalid(_) => render(&ctx, name, form.body, Some(error)).await,
            WebError::Forbidden => ctx.fail(WebError::NotFound),
            error => ctx.fail(error),
        },
    }
}

/// Where to go back to after an action on a post (Home or the post itself).
#[derive(Debug, Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

fn back(form: &BackForm, name: &str) -> String {
    if form.back == "/" {
        "/".to_owned()
    } else {
        post_path(name)
    }
}

/// `POST /posts/{group}/{post}/react`: a like, or taking it back.
pub async fn react(
    Extension(ctx): Extension<Ctx>,
    Path((group, post)): Path<(String, String)>,
    Form(form): Form<BackForm>,
) -> Response {
    let Some(name) = post_name(&ctx, &group, &post) else {
        return ctx.fail(WebError::NotFound);
    };
    let current = match ctx
        .app
        .feed()
        .get_post(ctx.req(pb::GetPostRequest { name: name.clone() }))
        .await
    {
        Ok(post) => post.into_inner(),
        Err(status) => return ctx.fail(foreign(status)),
    };
    let reply = if current.my_reaction() == ReactionKind::Unspecified {
        ctx.app
            .feed()
            .set_reaction(ctx.req(pb::SetReactionRequest {
                name: name.clone(),
                kind: ReactionKind::Like as i32,
                request_id: uuid::Uuid::new_v4().to_string(),
            }))
            .await
    } else {
        ctx.app
            .feed()
            .clear_reaction(ctx.req(pb::ClearReactionRequest {
                name: name.clone(),
                request_id: uuid::Uuid::new_v4().to_string(),
            }))
            .await
    };
    match reply {
        Ok(reply) => ctx.after_write(&back(&form, &name), &reply),
        Err(status) => ctx.fail(foreign(status)),
    }
}

/// `POST /posts/{group}/{post}/acknowledge`: "Read and understood".
pub async fn acknowledge(
    Extension(ctx): Extension<Ctx>,
    Path((group, post)): Path<(String, String)>,
    Form(form): Form<BackForm>,
) -> Response {
    let Some(name) = post_name(&ctx, &group, &post) else {
        return ctx.fail(WebError::NotFound);
    };
    let reply = ctx
        .app
        .feed()
        .acknowledge_post(ctx.req(pb::AcknowledgePostRequest {
            name: name.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => ctx.after_write(&back(&form, &name), &reply),
        Err(status) => ctx.fail(foreign(status)),
    }
}
