//! Quiet hours and off-shift quiet in Settings (notifications' preferences): non-urgent
//! pushes wait until the quiet ends, or until the next shift.

use axum::{Extension, Form, response::Response};
use breakroom_proto::notifications::v1 as pb;
use serde::Deserialize;

use crate::{context::Ctx, error::WebError};

/// The form's values.
#[derive(Debug, Clone, Default)]
pub struct QuietView {
    /// Quiet hours on.
    pub enabled: bool,
    /// Start, `HH:MM`.
    pub start: String,
    /// End, `HH:MM`.
    pub end: String,
    /// Off-shift quiet on.
    pub off_shift: bool,
    /// The store's zone the times are in.
    pub zone: String,
}

fn name(ctx: &Ctx) -> String {
    format!("{}/preferences", ctx.session.user)
}

/// The person's settings; defaults (22:00–07:00, off) when notifications does not answer.
pub async fn load(ctx: &Ctx) -> QuietView {
    let preferences = ctx
        .app
        .notifications()
        .get_preferences(ctx.req(pb::GetPreferencesRequest { name: name(ctx) }))
        .await
        .map(tonic::Response::into_inner)
        .unwrap_or_default();
    let quiet = preferences.quiet_hours.unwrap_or_default();
    let or = |value: String, default: &str| {
        if value.is_empty() {
            default.to_owned()
        } else {
            value
        }
    };
    QuietView {
        enabled: quiet.enabled,
        start: or(quiet.start, "22:00"),
        end: or(quiet.end, "07:00"),
        off_shift: preferences.off_shift_quiet,
        zone: preferences.time_zone,
    }
}

/// The form (checkboxes are absent when off).
#[derive(Debug, Deserialize)]
pub struct QuietForm {
    #[serde(default)]
    enabled: Option<String>,
    start: String,
    end: String,
    #[serde(default)]
    off_shift: Option<String>,
}

/// `POST /settings/quiet`.
pub async fn save(Extension(ctx): Extension<Ctx>, Form(form): Form<QuietForm>) -> Response {
    let reply = ctx
        .app
        .notifications()
        .update_preferences(ctx.req(pb::UpdatePreferencesRequest {
            preferences: Some(pb::Preferences {
                name: name(&ctx),
                quiet_hours: Some(pb::QuietHours {
                    enabled: form.enabled.is_some(),
                    start: form.start.trim().to_owned(),
                    end: form.end.trim().to_owned(),
                }),
                off_shift_quiet: form.off_shift.is_some(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["quiet_hours".into(), "off_shift_quiet".into()],
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => ctx.after_write("/settings", &reply),
        Err(status) => match WebError::from(status) {
            WebError::Invalid(_) => ctx.fail(WebError::Invalid(vec![])),
            other => ctx.fail(other),
        },
    }
}
