//! Settings: language, "Turn on notifications" (the page carries the VAPID key; app.js
//! subscribes on a click and posts the subscription here, which registers the device at
//! notifications), sign-out; and the notification titles the service worker shows.

use askama::Template;
use axum::{
    Extension, Form, Json,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::PrivateCookieJar;
use breakroom_proto::notifications::v1 as pb;
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::page,
    i18n::Lang,
    layout::{Chrome, Nav},
    screens::{
        auth::lang_cookie,
        home::unread,
        preferences::{self, QuietView},
        sessions::{self, SessionRow},
    },
};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    c: Chrome,
    name: String,
    vapid_key: String,
    devices: Vec<String>,
    dutch: bool,
    sessions: Vec<SessionRow>,
    quiet: QuietView,
}

/// `GET /settings`.
pub async fn page_settings(Extension(ctx): Extension<Ctx>) -> Response {
    let (mut keys, mut devices) = (ctx.app.notifications(), ctx.app.notifications());
    let key = keys.get_vapid_public_key(pb::GetVapidPublicKeyRequest {});
    let devices = devices.list_devices(ctx.req(pb::ListDevicesRequest {
        parent: ctx.session.user.clone(),
        page_size: 50,
        page_token: String::new(),
    }));
    let (key, devices, unread, sessions, quiet) = tokio::join!(
        key,
        devices,
        unread(&ctx),
        sessions::list(&ctx),
        preferences::load(&ctx)
    );
    page(
        StatusCode::OK,
        SettingsPage {
            c: ctx.chrome(Nav::Settings, unread),
            name: ctx.session.name.clone(),
            // Without notifications the rest of Settings still works; the button hides.
            vapid_key: key.map(|k| k.into_inner().public_key).unwrap_or_default(),
            devices: devices
                .map(|d| {
                    d.into_inner()
                        .devices
                        .into_iter()
                        .map(|d| d.display_name)
                        .collect()
                })
                .unwrap_or_default(),
            dutch: ctx.t.lang == Lang::Nl,
            sessions,
            quiet,
        },
    )
}

/// The language form.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    lang: String,
}

/// `POST /settings/language`.
pub async fn language(
    Extension(ctx): Extension<Ctx>,
    jar: PrivateCookieJar,
    Form(form): Form<LanguageForm>,
) -> Response {
    let Some(lang) = Lang::from_tag(&form.lang) else {
        return ctx.fail(crate::error::WebError::Invalid(vec![]));
    };
    let jar = jar.add(lang_cookie(lang, !ctx.app.0.config.insecure_cookies));
    (jar, Redirect::to("/settings")).into_response()
}

/// A push subscription as app.js posts it.
#[derive(Debug, Deserialize)]
pub struct Subscription {
    endpoint: String,
    p256dh: String,
    auth: String,
    #[serde(default)]
    label: String,
}

/// `POST /settings/push` (JSON, CSRF token in `x-csrf-token`): RegisterDevice.
pub async fn register_device(
    Extension(ctx): Extension<Ctx>,
    Json(sub): Json<Subscription>,
) -> Response {
    let label: String = sub.label.chars().take(80).collect();
    let reply = ctx
        .app
        .notifications()
        .register_device(ctx.req(pb::RegisterDeviceRequest {
            parent: ctx.session.user.clone(),
            device: Some(pb::Device {
                endpoint: sub.endpoint,
                p256dh: sub.p256dh,
                auth: sub.auth,
                display_name: label,
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(status) => {
            tracing::info!(%status, "device not registered");
            StatusCode::BAD_REQUEST.into_response()
        }
    }
}

/// Notification kinds as the push payload names them.
const KINDS: [&str; 15] = [
    "UNSPECIFIED",
    "ROSTER_PUBLISHED",
    "SHIFT_CHANGED",
    "OPEN_SHIFT",
    "SWAP_OFFERED",
    "SWAP_DECIDED",
    "CLAIM_DECIDED",
    "TIME_OFF_DECIDED",
    "ANNOUNCEMENT",
    "ACKNOWLEDGEMENT_REMINDER",
    "COMMENT",
    "REPLY",
    "MENTION",
    "TEST",
    "DIGEST",
];

/// `GET /push-messages.json`: notification titles by kind in the person's language, for the
/// service worker (which has no catalogue of its own).
pub async fn push_messages(Extension(ctx): Extension<Ctx>) -> Response {
    let mut map = serde_json::Map::new();
    for kind in KINDS {
        let key = format!("kind-{}", kind.to_ascii_lowercase().replace('_', "-"));
        map.insert(format!("KIND_{kind}"), ctx.t.get(&key).into());
    }
    map.insert("default".into(), ctx.t.get("app-name").into());
    // The service worker marks an opened notification read with it (a POST like any other).
    map.insert("csrf".into(), ctx.csrf.clone().into());
    (
        [(axum::http::header::CACHE_CONTROL, "private, no-cache")],
        Json(serde_json::Value::Object(map)),
    )
        .into_response()
}
