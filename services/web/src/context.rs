//! The request context of signed-in pages (`Ctx`) and of the sign-in forms (`Guest`),
//! built by middleware: session renewal, language, CSRF and origin checks for POSTs, and
//! the consistency tokens a write leaves for the next page's reads.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, Method, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{PrivateCookieJar, cookie::Cookie};

use crate::{
    config::WebConfig,
    csrf,
    error::{self, WebError},
    i18n::{Lang, Tr},
    layout::{self, Chrome, Nav},
    session::{self, LANG_COOKIE, NONCE_COOKIE, SEQUENCE_COOKIE, SESSION_COOKIE, Session},
    state::AppState,
};

/// Marks a response whose handler found the session refused: the cookie is cleared.
#[derive(Debug, Clone, Copy)]
pub struct SignedOut;

/// Marks a response after a write: the consistency tokens (`feed:12`) its reply carried.
#[derive(Debug, Clone)]
pub struct Wrote(pub String);

/// A signed-in request.
#[derive(Clone)]
pub struct Ctx {
    /// Shared state.
    pub app: AppState,
    /// The session (renewed if it had to be).
    pub session: Session,
    /// The reader's language.
    pub t: Tr,
    /// CSRF token for forms.
    pub csrf: String,
    /// Consistency tokens of the last write, sent as `breakroom-min-sequence`.
    pub min_seq: Option<String>,
    /// The path and query asked for.
    pub here: String,
}

impl Ctx {
    /// `message` with the person's access token and the last write's positions.
    pub fn req<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = bearer(&self.session.access, message);
        if let Some(value) = self.min_seq.as_deref().and_then(|s| s.parse().ok()) {
            request
                .metadata_mut()
                .insert("breakroom-min-sequence", value);
        }
        request
    }

    /// The layout of a page of this request.
    pub fn chrome(&self, nav: Nav, unread: i64) -> Chrome {
        let assets = &self.app.0.assets;
        let zone =
            jiff::tz::TimeZone::get(&self.session.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        Chrome {
            t: self.t,
            csrf: self.csrf.clone(),
            css: assets.url("app.css"),
            js: assets.url("app.js"),
            icon: assets.url("icon-192.png"),
            signed_in: true,
            unread,
            nav,
            rendered_at: jiff::Timestamp::now()
                .to_zoned(zone)
                .strftime("%H:%M")
                .to_string(),
            offline: matches!(nav, Nav::Home | Nav::Week),
            manages: self.session.manages,
        }
    }

    /// The page for `error`.
    pub fn fail(&self, error: impl Into<WebError>) -> Response {
        error::render(self.chrome(Nav::None, 0), &error.into(), &self.here)
    }

    /// The redirect to `to` after a successful write, or the failure's page.
    pub fn answer<T>(
        &self,
        to: &str,
        reply: Result<tonic::Response<T>, tonic::Status>,
    ) -> Response {
        match reply {
            Ok(reply) => self.after_write(to, &reply),
            Err(status) => self.fail(status),
        }
    }

    /// Whether `name` is a resource of the person's chain under `collection`
    /// (`tenants/{t}/stores/...`); a form naming anything else is answered as missing.
    pub fn owns(&self, name: &str, collection: &str) -> bool {
        name.strip_prefix(self.session.tenant.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|rest| rest.strip_prefix(collection))
            .is_some_and(|rest| rest.starts_with('/'))
    }

    /// A redirect after a write, carrying its reply's consistency token.
    pub fn after_write<T>(&self, to: &str, reply: &tonic::Response<T>) -> Response {
        let mut response = Redirect::to(to).into_response();
        if let Some(seq) = reply
            .metadata()
            .get("breakroom-sequence")
            .and_then(|v| v.to_str().ok())
        {
            response.extensions_mut().insert(Wrote(seq.to_owned()));
        }
        response
    }
}

/// `message` with `authorization: Bearer <token>`.
pub fn bearer<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// A request of the sign-in and activation forms.
#[derive(Clone)]
pub struct Guest {
    /// Shared state.
    pub app: AppState,
    /// The reader's language.
    pub t: Tr,
    /// CSRF token for the form (seeded by a per-browser nonce).
    pub csrf: String,
}

impl Guest {
    /// The layout of a page without navigation.
    pub fn chrome(&self) -> Chrome {
        let assets = &self.app.0.assets;
        Chrome {
            t: self.t,
            csrf: self.csrf.clone(),
            css: assets.url("app.css"),
            js: assets.url("app.js"),
            icon: assets.url("icon-192.png"),
            signed_in: false,
            unread: 0,
            nav: Nav::None,
            rendered_at: String::new(),
            offline: false,
            manages: false,
        }
    }
}

fn language(jar: &PrivateCookieJar, chain_locale: Option<&str>, headers: &HeaderMap) -> Tr {
    let lang = jar
        .get(LANG_COOKIE)
        .and_then(|c| Lang::from_tag(c.value()))
        .or_else(|| chain_locale.and_then(Lang::from_tag))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::En);
    Tr { lang }
}

/// A POST's body (at most 64 KiB) and its CSRF token (header or form field `csrf`).
async fn csrf_of(request: Request) -> Result<(Request, Option<String>), Response> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
    let token = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            std::str::from_utf8(&bytes).ok().and_then(|form| {
                form.split('&')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| *k == "csrf")
                    .map(|(_, v)| v.to_owned())
            })
        });
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

fn here(request: &Request) -> String {
    request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

/// A POST whose origin and token check out, its body buffered again; `None` when refused.
async fn verified(request: Request, config: &WebConfig, seed: &str) -> Result<Request, Response> {
    let origin_ok = csrf::same_origin(request.headers(), config.origin.as_deref());
    let (request, token) = csrf_of(request).await?;
    let key = config.cookie_key.signing();
    if origin_ok && token.is_some_and(|tok| csrf::verify(key, seed, &tok)) {
        Ok(request)
    } else {
        Err(axum::http::StatusCode::FORBIDDEN.into_response())
    }
}

/// Middleware of signed-in pages.
pub async fn signed_in(
    State(app): State<AppState>,
    jar: PrivateCookieJar,
    request: Request,
    next: Next,
) -> Response {
    let config = &app.0.config;
    let here = here(&request);
    let get = request.method() == Method::GET;
    let back = if get { here.as_str() } else { "/" };
    let t = language(&jar, None, request.headers());
    let guest = Guest {
        app: app.clone(),
        t,
        csrf: String::new(),
    };
    let Some(mut session) = Session::from_jar(&jar) else {
        return (jar, Redirect::to(&layout::signin_url(back))).into_response();
    };
    let mut renewed = false;
    if session.needs_renewal(config.session_check) {
        match session.renew(&app).await {
            Ok(fresh) => (session, renewed) = (fresh, true),
            Err(session::Renewal::Refused) => {
                let jar = jar.remove(session::removal(SESSION_COOKIE));
                return (jar, Redirect::to(&layout::signin_url(back))).into_response();
            }
            Err(session::Renewal::Unavailable(status)) => {
                tracing::warn!(%status, "identity did not renew a session");
                return error::render(guest.chrome(), &WebError::Unavailable, &here);
            }
        }
    }
    let min_seq = jar.get(SEQUENCE_COOKIE).map(|c| c.value().to_owned());
    let response = if get || request.method() == Method::HEAD {
        serve(&app, &jar, &session, min_seq.clone(), here, request, next).await
    } else {
        match verified(request, config, &session.sid).await {
            Ok(request) => serve(&app, &jar, &session, min_seq.clone(), here, request, next).await,
            Err(refused) if refused.status() == axum::http::StatusCode::FORBIDDEN => {
                error::render(guest.chrome(), &WebError::Forbidden, &here)
            }
            Err(refused) => refused,
        }
    };
    // Whatever the answer, a renewed session must reach the browser: its old refresh
    // token is spent.
    finish(
        jar,
        response,
        &session,
        renewed,
        min_seq,
        get,
        !config.insecure_cookies,
    )
}

/// Runs the handler with the request's `Ctx`.
async fn serve(
    app: &AppState,
    jar: &PrivateCookieJar,
    session: &Session,
    min_seq: Option<String>,
    here: String,
    mut request: Request,
    next: Next,
) -> Response {
    let t = language(jar, Some(&session.locale), request.headers());
    let csrf = csrf::token(app.0.config.cookie_key.signing(), &session.sid);
    request.extensions_mut().insert(Ctx {
        app: app.clone(),
        session: session.clone(),
        t,
        csrf,
        min_seq,
        here,
    });
    next.run(request).await
}

/// The cookies an answer sets: the session (renewed, or cleared when refused), and the
/// consistency tokens of a write (kept for the next page, dropped once a page read them).
fn finish(
    jar: PrivateCookieJar,
    response: Response,
    session: &Session,
    renewed: bool,
    min_seq: Option<String>,
    get: bool,
    secure: bool,
) -> Response {
    let mut jar = jar;
    if response.extensions().get::<SignedOut>().is_some() {
        jar = jar.remove(session::removal(SESSION_COOKIE));
    } else if renewed {
        jar = jar.add(session.cookie(secure));
    }
    if let Some(Wrote(seq)) = response.extensions().get::<Wrote>() {
        let value = match &min_seq {
            Some(old) => format!("{old},{seq}"),
            None => seq.clone(),
        };
        let mut cookie = Cookie::new(SEQUENCE_COOKIE, value);
        session::harden(&mut cookie, secure);
        cookie.set_max_age(cookie::time::Duration::seconds(60));
        jar = jar.add(cookie);
    } else if min_seq.is_some() && get {
        jar = jar.remove(session::removal(SEQUENCE_COOKIE));
    }
    (jar, response).into_response()
}

/// Middleware of the sign-in and activation forms (no session yet).
pub async fn guest(
    State(app): State<AppState>,
    jar: PrivateCookieJar,
    request: Request,
    next: Next,
) -> Response {
    let config = &app.0.config;
    let t = language(&jar, None, request.headers());
    let existing = jar.get(NONCE_COOKIE).map(|c| c.value().to_owned());
    let nonce = existing
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut request = request;
    if request.method() == Method::POST {
        let seed = existing.clone().unwrap_or_default();
        request = match verified(request, config, &seed).await {
            Ok(request) => request,
            Err(refused) if refused.status() == axum::http::StatusCode::FORBIDDEN => {
                let guest = Guest {
                    app: app.clone(),
                    t,
                    csrf: String::new(),
                };
                return error::render(guest.chrome(), &WebError::Forbidden, "/");
            }
            Err(refused) => return refused,
        };
    }
    let csrf = csrf::token(config.cookie_key.signing(), &nonce);
    request.extensions_mut().insert(Guest {
        app: app.clone(),
        t,
        csrf,
    });
    let response = next.run(request).await;
    let jar = if existing.is_none() {
        let mut cookie = Cookie::new(NONCE_COOKIE, nonce);
        session::harden(&mut cookie, !config.insecure_cookies);
        jar.add(cookie)
    } else {
        jar
    };
    (jar, response).into_response()
}
