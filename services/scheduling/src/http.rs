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
    ical,
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

async fn feed(app: &App, token: &str) -> breakroom_kit::Result<Option<String>> {
    let owner: Option<(String, String)> =
        sqlx::query_as("SELECT tenant, user_id FROM calendar_feeds WHERE token_hash = $1")
            .bind(token_hash(token))
            .fetch_optional(app.read().pool())
            .await?;
    let Some((tenant, user)) = owner else {
        return Ok(None);
    };
    let entries: Vec<ical::FeedEntry> = sqlx::query_as(
        "SELECT f.shift_id, coalesce(s.store_code, '') AS store_code, f.start_time, f.end_time, \
         f.position, f.note, f.sequence, f.cancelled, f.updated_at \
         FROM feed_entries f LEFT JOIN kit_directory_stores s ON s.tenant = f.tenant AND s.id = f.store_id \
         WHERE f.tenant = $1 AND f.employee_id = $2 AND f.start_time > now() - make_interval(days => $3) \
         ORDER BY f.start_time, f.shift_id",
    )
    .bind(&tenant)
    .bind(&user)
    .bind(PAST_DAYS as i32)
    .fetch_all(app.read().pool())
    .await?;
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
