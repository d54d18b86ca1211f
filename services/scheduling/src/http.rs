//! The calendar HTTP endpoint: `GET /calendar/{token}.ics` answers the employee's shifts
//! as iCalendar; an unknown or revoked token is 404. Phones poll it without credentials,
//! so the token in the URL is the credential.

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use tokio_util::sync::CancellationToken;

use crate::{
    app::{App, calendar::token_hash},
    ical, queries,
};

/// Shifts shown: those starting at most this many days ago.
const PAST_DAYS: i64 = 31;

async fn calendar(State(app): State<App>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match feed(&app, token).await {
        Ok(Some(body)) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            body,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "calendar feed failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

async fn feed(app: &App, token: &str) -> breakroom_base::Result<Option<String>> {
    let pool = app.read().pool();
    let Some((tenant, user)) = queries::calendar::owner(pool, &token_hash(token)).await? else {
        return Ok(None);
    };
    let entries = queries::calendar::entries(pool, &tenant, &user, PAST_DAYS as i32).await?;
    Ok(Some(ical::render(&entries)))
}

/// Serves the endpoint on `listener` until `cancel` fires.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let router = Router::new()
        .route("/calendar/{file}", get(calendar))
        .with_state(app);
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
}
