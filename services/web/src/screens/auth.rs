//! Sign-in, activation with the invite code, and sign-out: all at identity; the session
//! cookie is written here and nowhere else.

use askama::Template;
use std::net::SocketAddr;

use axum::{
    Extension, Form,
    extract::{ConnectInfo, Query},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{PrivateCookieJar, cookie::Cookie};
use breakroom_proto::identity::v1::{self as pb, login_request};
use serde::Deserialize;

use crate::{
    context::{Ctx, Guest, SignedOut, bearer},
    error::{WebError, page},
    i18n::Lang,
    layout::Chrome,
    session::{self, LANG_COOKIE, Session},
};

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    c: Chrome,
    tenant: String,
    login: String,
    next: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage {
    c: Chrome,
    tenant: String,
    code: String,
    invite_error: Option<&'static str>,
    password_error: Option<&'static str>,
    error: Option<&'static str>,
}

/// `?next=` of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    tenant: String,
    login: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The activation form.
#[derive(Debug, Deserialize)]
pub struct ActivateForm {
    tenant: String,
    code: String,
    password: String,
    #[serde(default)]
    lang: String,
}

fn tenant_name(tenant: &str) -> String {
    let tenant = tenant.trim();
    match tenant.strip_prefix("tenants/") {
        Some(_) => tenant.to_owned(),
        None => format!("tenants/{tenant}"),
    }
}

fn tenant_id(guest: &Guest) -> String {
    guest
        .app
        .0
        .config
        .default_tenant
        .clone()
        .unwrap_or_default()
}

/// `GET /signin`.
pub async fn signin_page(Extension(guest): Extension<Guest>, Query(q): Query<Next>) -> Response {
    let next = session::safe_next(q.next.as_deref());
    page(
        StatusCode::OK,
        SignInPage {
            c: guest.chrome(),
            tenant: tenant_id(&guest),
            login: String::new(),
            next,
            error: None,
        },
    )
}

/// `POST /signin`: Login, then the person's name and the chain's locale and zone.
pub async fn signin(
    Extension(guest): Extension<Guest>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: PrivateCookieJar,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let tenant = tenant_name(&form.tenant);
    let login = if form.login.contains('@') {
        login_request::password::Login::Email(form.login.trim().to_owned())
    } else {
        login_request::password::Login::Phone(form.login.trim().to_owned())
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let refused = |key: &'static str, status: StatusCode| {
        page(
            status,
            SignInPage {
                c: guest.chrome(),
                tenant: form.tenant.clone(),
                login: form.login.clone(),
                next: session::safe_next(Some(&form.next)),
                error: Some(key),
            },
        )
    };
    let mut request = tonic::Request::new(pb::LoginRequest {
        tenant: tenant.clone(),
        credential: Some(login_request::Credential::Password(
            login_request::Password {
                login: Some(login),
                password: form.password.clone(),
            },
        )),
        device_class: session::device_class(user_agent) as i32,
        client_version: concat!("web/", env!("CARGO_PKG_VERSION")).into(),
        request_id: uuid::Uuid::new_v4().to_string(),
    });
    // Identity throttles failed logins per source address: it must see the browser's,
    // not the app's (it trusts this header from the proxies it is told about).
    if let Ok(value) = forwarded_for(&headers, peer).parse() {
        request.metadata_mut().insert("x-forwarded-for", value);
    }
    let reply = guest.app.auth().login(request).await;
    let reply = match reply {
        Ok(reply) => reply.into_inner(),
        Err(status) => {
            return match status.code() {
                tonic::Code::ResourceExhausted => {
                    refused("error-throttled", StatusCode::TOO_MANY_REQUESTS)
                }
                tonic::Code::Unauthenticated
                | tonic::Code::InvalidArgument
                | tonic::Code::NotFound => refused("error-signin-failed", StatusCode::UNAUTHORIZED),
                _ => refused("error-unavailable", StatusCode::SERVICE_UNAVAILABLE),
            };
        }
    };
    match open_session(&guest, tenant, reply).await {
        Ok(session) => {
            let jar = jar.add(session.cookie(!guest.app.0.config.insecure_cookies));
            (jar, Redirect::to(&session::safe_next(Some(&form.next)))).into_response()
        }
        Err(_) => refused("error-unavailable", StatusCode::SERVICE_UNAVAILABLE),
    }
}

/// `X-Forwarded-For` for identity: the chain the request came with (from an ingress),
/// then the address that connected here.
fn forwarded_for(headers: &HeaderMap, peer: SocketAddr) -> String {
    match headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    {
        Some(chain) if !chain.is_empty() => format!("{chain}, {}", peer.ip()),
        _ => peer.ip().to_string(),
    }
}

/// The session of a fresh login: who it is, the chain's locale and time zone.
async fn open_session(
    guest: &Guest,
    tenant: String,
    reply: pb::LoginResponse,
) -> Result<Session, WebError> {
    let user = reply
        .session
        .split_once("/sessions/")
        .map(|(user, _)| user.to_owned())
        .ok_or(WebError::Internal)?;
    let token = reply.access_token.as_str();
    let person = guest
        .app
        .identity()
        .get_user(bearer(token, pb::GetUserRequest { name: user.clone() }))
        .await?
        .into_inner();
    let chain = guest
        .app
        .identity()
        .get_tenant(bearer(
            token,
            pb::GetTenantRequest {
                name: tenant.clone(),
            },
        ))
        .await?
        .into_inner();
    Ok(Session {
        tenant,
        user,
        name: person.display_name,
        refresh: reply.refresh_token,
        access: reply.access_token,
        expires: reply.access_token_expire_time.map_or(0, |t| t.seconds),
        issued: jiff::Timestamp::now().as_second(),
        sid: uuid::Uuid::new_v4().to_string(),
        session: reply.session.clone(),
        locale: chain.locale,
        time_zone: chain.time_zone,
        manages: person.memberships.iter().any(|m| {
            matches!(
                m.role(),
                pb::Role::StoreManager | pb::Role::TeamLead | pb::Role::HqAdmin
            )
        }),
    })
}

/// `GET /activate`.
pub async fn activate_page(Extension(guest): Extension<Guest>) -> Response {
    page(
        StatusCode::OK,
        ActivatePage {
            c: guest.chrome(),
            tenant: tenant_id(&guest),
            code: String::new(),
            invite_error: None,
            password_error: None,
            error: None,
        },
    )
}

/// `POST /activate`: ActivateUser, the language chosen, then signed in straight away.
pub async fn activate(
    Extension(guest): Extension<Guest>,
    connected: ConnectInfo<SocketAddr>,
    jar: PrivateCookieJar,
    headers: HeaderMap,
    Form(form): Form<ActivateForm>,
) -> Response {
    let tenant = tenant_name(&form.tenant);
    let activated = guest
        .app
        .identity()
        .activate_user(pb::ActivateUserRequest {
            tenant: tenant.clone(),
            invite_code: form.code.trim().to_owned(),
            password: form.password.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await;
    let user = match activated {
        Ok(user) => user.into_inner(),
        Err(status) => {
            let error = WebError::from(status);
            let general = match &error {
                WebError::Invalid(_) => None,
                WebError::NotFound => Some("error-invite-code"),
                _ => Some("error-unavailable"),
            };
            return page(
                StatusCode::BAD_REQUEST,
                ActivatePage {
                    c: guest.chrome(),
                    tenant: form.tenant.clone(),
                    code: form.code.clone(),
                    invite_error: error.field("invite_code"),
                    password_error: error.field("password"),
                    error: general,
                },
            );
        }
    };
    let jar = match Lang::from_tag(&form.lang) {
        Some(lang) => jar.add(lang_cookie(lang, !guest.app.0.config.insecure_cookies)),
        None => jar,
    };
    let login = if user.email.is_empty() {
        user.phone.clone()
    } else {
        user.email.clone()
    };
    let form = SignInForm {
        tenant: form.tenant,
        login,
        password: form.password,
        next: "/".into(),
    };
    signin(Extension(guest), connected, jar, headers, Form(form)).await
}

/// The cookie that keeps a chosen language for a year.
pub fn lang_cookie(lang: Lang, secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::new(LANG_COOKIE, lang.code());
    session::harden(&mut cookie, secure);
    cookie.set_max_age(cookie::time::Duration::days(365));
    cookie
}

/// `POST /signout`: ends the session at identity, then clears the cookie.
pub async fn signout(Extension(ctx): Extension<Ctx>) -> Response {
    let ended = ctx
        .app
        .auth()
        .logout(ctx.req(pb::LogoutRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    if let Err(status) = ended {
        tracing::warn!(%status, "logout at identity failed; the cookie is cleared anyway");
    }
    let mut response = Redirect::to("/signin").into_response();
    response.extensions_mut().insert(SignedOut);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_sees_the_browsers_address_after_any_proxies() {
        let peer = SocketAddr::from(([10, 0, 0, 7], 40_000));
        let mut headers = HeaderMap::new();
        assert_eq!(forwarded_for(&headers, peer), "10.0.0.7");
        headers.insert(
            "x-forwarded-for",
            header::HeaderValue::from_static("203.0.113.9"),
        );
        assert_eq!(forwarded_for(&headers, peer), "203.0.113.9, 10.0.0.7");
    }
}
