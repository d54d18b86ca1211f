//! The HTTP server: routes, middleware, and a graceful stop on SIGTERM or Ctrl-C (requests
//! in flight finish; no new ones are accepted).

use std::net::SocketAddr;

use axum::{
    Extension, Router,
    http::StatusCode,
    middleware,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tokio::net::TcpListener;

use crate::{
    assets,
    config::WebConfig,
    context::{self, Guest},
    error::{self, WebError},
    headers,
    screens::{
        auth, calendar, colleagues, compose, groups, home, inbox,
        manage::{self, announce, moderation, report, requests, roster},
        open_shifts, post as posts, preferences, sessions, settings, swaps, time_off, week,
    },
    state::AppState,
};

/// The running app.
pub struct Application {
    listener: TcpListener,
    router: Router,
    port: u16,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The routes of the app over `state`.
pub fn router(state: AppState) -> Router {
    let people = Router::new()
        .route("/", get(home::page_home))
        .route("/week", get(week::page_week))
        .route("/week/acknowledge", post(week::acknowledge))
        .route("/week/calendar", post(calendar::create))
        .route("/week/claim", post(open_shifts::claim))
        .route("/week/offer", post(swaps::offer))
        .route("/week/accept", post(swaps::accept))
        .route(
            "/time-off",
            get(time_off::page_time_off).post(time_off::request),
        )
        .route("/posts/{group}/{post}", get(posts::page_post))
        .route("/posts/{group}/{post}/comments", post(posts::comment))
        .route("/posts/{group}/{post}/react", post(posts::react))
        .route(
            "/posts/{group}/{post}/acknowledge",
            post(posts::acknowledge),
        )
        .route("/new", get(compose::page_compose).post(compose::create))
        .route("/groups", get(groups::page_groups))
        .route("/groups/{group}", get(groups::page_group))
        .route("/colleagues", get(colleagues::page_colleagues))
        .route("/inbox", get(inbox::page_inbox))
        .route("/inbox/read", post(inbox::mark_read))
        .route("/settings", get(settings::page_settings))
        .route("/settings/language", post(settings::language))
        .route("/settings/push", post(settings::register_device))
        .route("/settings/quiet", post(preferences::save))
        .route("/settings/sessions/end-others", post(sessions::end_others))
        .route("/push-messages.json", get(settings::push_messages))
        .route("/signout", post(auth::signout))
        .route("/manage", get(manage::page_manage))
        .route("/manage/stores/{store}/week", get(roster::page_week))
        .route("/manage/stores/{store}/publish", post(roster::publish))
        .route("/manage/stores/{store}/shifts", post(roster::create))
        .route(
            "/manage/stores/{store}/shifts/{shift}",
            get(roster::page_shift).post(roster::update),
        )
        .route(
            "/manage/stores/{store}/shifts/{shift}/delete",
            post(roster::delete),
        )
        .route(
            "/manage/stores/{store}/requests",
            get(requests::page_requests).post(requests::decide),
        )
        .route(
            "/manage/announce",
            get(announce::page_announce).post(announce::create),
        )
        .route(
            "/manage/announcements/{group}/{post}",
            get(report::page_report),
        )
        .route(
            "/manage/announcements/{group}/{post}/report.csv",
            get(report::csv),
        )
        .route(
            "/manage/announcements/{group}/{post}/remind",
            post(report::remind),
        )
        .route(
            "/manage/moderation",
            get(moderation::page_moderation).post(moderation::moderate),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            context::signed_in,
        ));
    let guests = Router::new()
        .route("/signin", get(auth::signin_page).post(auth::signin))
        .route("/activate", get(auth::activate_page).post(auth::activate))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            context::guest,
        ));
    Router::new()
        .merge(people)
        .merge(guests)
        .route("/static/{version}/{file}", get(assets::file))
        .route("/sw.js", get(assets::service_worker))
        .route("/manifest.webmanifest", get(assets::manifest))
        .route("/healthz", get(|| async { "ok" }))
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(state)
}

async fn not_found(Extension(guest): Extension<Guest>) -> Response {
    let mut response = error::render(guest.chrome(), &WebError::NotFound, "/");
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.into_response()
}

impl Application {
    /// Binds the listener and wires the app (the services are reached lazily).
    pub async fn build(config: WebConfig) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen_addr).await?;
        let port = listener.local_addr()?.port();
        let state = AppState::new(config)?;
        Ok(Self {
            listener,
            router: router(state),
            port,
        })
    }

    /// The port it listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C, then lets requests in flight finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(stopped())
            .await?;
        Ok(())
    }
}

async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
