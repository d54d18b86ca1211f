//! Static files, compiled into the binary and served under a path that names their
//! content (`/static/<hash>/app.css`), so a phone keeps them for a year and a new release
//! is a new path. The service worker and the manifest live at the root, revalidated.

use axum::{
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// The files under `/static/<version>/`: name, content type, bytes.
const FILES: [(&str, &str, &[u8]); 4] = [
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/app.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../static/icon.svg"),
    ),
    (
        "icon-maskable.svg",
        "image/svg+xml",
        include_bytes!("../static/icon-maskable.svg"),
    ),
];

/// The service worker (served at `/sw.js` so its scope is the whole app).
pub const SERVICE_WORKER: &str = include_str!("../static/sw.js");

/// The static files' version: a hash of all of them.
#[derive(Debug, Clone)]
pub struct Assets {
    /// First 12 hex digits of the SHA-256 over every file.
    pub version: String,
    /// `icon-192.png`.
    icon_192: Vec<u8>,
    /// `icon-512.png` (also the maskable one).
    icon_512: Vec<u8>,
}

impl Assets {
    /// Hashes the files.
    pub fn new() -> Self {
        let (icon_192, icon_512) = (crate::icons::png(192), crate::icons::png(512));
        let mut hash = Sha256::new();
        for (name, _, bytes) in FILES {
            hash.update(name.as_bytes());
            hash.update(bytes);
        }
        hash.update(&icon_192);
        hash.update(&icon_512);
        hash.update(SERVICE_WORKER.as_bytes());
        let version = hash
            .finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            version,
            icon_192,
            icon_512,
        }
    }

    /// The URL of one static file.
    pub fn url(&self, file: &str) -> String {
        format!("/static/{}/{file}", self.version)
    }
}

impl Default for Assets {
    fn default() -> Self {
        Self::new()
    }
}

/// `GET /static/{version}/{file}`: immutable for a year when the version is current.
pub async fn file(
    State(app): State<AppState>,
    Path((version, name)): Path<(String, String)>,
) -> Response {
    let assets = &app.0.assets;
    let found = match name.as_str() {
        "icon-192.png" => Some(("image/png", assets.icon_192.as_slice())),
        "icon-512.png" => Some(("image/png", assets.icon_512.as_slice())),
        _ => FILES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, kind, bytes)| (*kind, *bytes)),
    };
    let Some((kind, bytes)) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if version == assets.version {
        "public, max-age=31536000, immutable"
    } else {
        // An old page asking for an old version gets today's file, briefly cached.
        "public, max-age=300"
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes.to_vec(),
    )
        .into_response()
}

/// `GET /sw.js`: the service worker, always revalidated so updates reach phones.
pub async fn service_worker(State(app): State<AppState>) -> Response {
    let body = SERVICE_WORKER.replace("__VERSION__", &app.0.assets.version);
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `GET /manifest.webmanifest`: what makes the app installable.
pub async fn manifest(State(app): State<AppState>) -> Response {
    let assets = &app.0.assets;
    let manifest = serde_json::json!({
        "name": "Breakroom",
        "short_name": "Breakroom",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {"src": assets.url("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": assets.url("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": assets.url("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
            {"src": assets.url("icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            {"src": assets.url("icon-maskable.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "maskable"}
        ]
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        manifest.to_string(),
    )
        .into_response()
}
