//! The person's open sessions (device class, last use) in Settings, and "sign out
//! everywhere else": every session but this one ends at identity.

use axum::{Extension, response::Response};
use breakroom_proto::identity::v1::{self as pb, DeviceClass};

use crate::{context::Ctx, fmt};

/// A session as Settings lists it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// What kind of device, in words.
    pub device: String,
    /// Last used.
    pub last_use: String,
    /// This browser's.
    pub current: bool,
}

async fn open(ctx: &Ctx) -> Result<Vec<pb::Session>, tonic::Status> {
    Ok(ctx
        .app
        .auth()
        .list_sessions(ctx.req(pb::ListSessionsRequest {
            parent: ctx.session.user.clone(),
            page_size: 50,
            page_token: String::new(),
        }))
        .await?
        .into_inner()
        .sessions)
}

/// The open sessions, this one first; none when identity does not answer.
pub async fn list(ctx: &Ctx) -> Vec<SessionRow> {
    let mut rows: Vec<SessionRow> = open(ctx)
        .await
        .unwrap_or_default()
        .iter()
        .map(|s| SessionRow {
            device: ctx.t.get(match s.device_class() {
                DeviceClass::MobileWeb | DeviceClass::MobileApp => "device-phone",
                DeviceClass::DesktopWeb => "device-computer",
                DeviceClass::Api | DeviceClass::Unspecified => "device-other",
            }),
            last_use: fmt::instant(&ctx.t, s.last_use_time.as_ref(), &ctx.session.time_zone),
            current: s.name == ctx.session.session,
        })
        .collect();
    rows.sort_by_key(|r| !r.current);
    rows
}

/// `POST /settings/sessions/end-others`.
pub async fn end_others(Extension(ctx): Extension<Ctx>) -> Response {
    let sessions = match open(&ctx).await {
        Ok(sessions) => sessions,
        Err(status) => return ctx.fail(status),
    };
    let mut last = None;
    for session in sessions
        .into_iter()
        .filter(|s| s.name != ctx.session.session)
    {
        let ended = ctx
            .app
            .auth()
            .revoke_session(ctx.req(pb::RevokeSessionRequest {
                name: session.name,
                request_id: uuid::Uuid::new_v4().to_string(),
            }))
            .await;
        match ended {
            Ok(reply) => last = Some(reply),
            Err(status) => return ctx.fail(status),
        }
    }
    match last {
        Some(reply) => ctx.after_write("/settings", &reply),
        None => {
            axum::response::IntoResponse::into_response(axum::response::Redirect::to("/settings"))
        }
    }
}
