//! What goes wrong, as a person should see it: a friendly page in their language with the
//! right status (never a stack trace), or back to sign-in when the session is gone.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use tonic_types::StatusExt;

use crate::layout::Chrome;

/// A failure of a page or an action.
#[derive(Debug)]
pub enum WebError {
    /// Missing, or another tenant's or store's: the same 404.
    NotFound,
    /// Not allowed (or a failed CSRF check).
    Forbidden,
    /// The session is gone (token refused): sign in again.
    SignedOut,
    /// A service is down or slow.
    Unavailable,
    /// The input was refused: `(field, message key)`.
    Invalid(Vec<(String, &'static str)>),
    /// A rule forbids it now (FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED).
    Refused,
    /// Anything else; the cause is logged.
    Internal,
}

impl From<tonic::Status> for WebError {
    fn from(status: tonic::Status) -> Self {
        use tonic::Code;
        match status.code() {
            Code::NotFound => Self::NotFound,
            Code::PermissionDenied => Self::Forbidden,
            Code::Unauthenticated => Self::SignedOut,
            Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted => {
                Self::Unavailable
            }
            Code::InvalidArgument => Self::Invalid(
                status
                    .get_details_bad_request()
                    .map(|b| {
                        b.field_violations
                            .into_iter()
                            .map(|v| {
                                let key = field_message(&v.field);
                                (v.field, key)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            Code::FailedPrecondition | Code::AlreadyExists | Code::Aborted => Self::Refused,
            _ => {
                tracing::error!(code = ?status.code(), message = status.message(), "service call failed");
                Self::Internal
            }
        }
    }
}

/// The catalogue message for a refused field.
fn field_message(field: &str) -> &'static str {
    match field {
        "post.body" | "comment.body" => "error-body-refused",
        "post.title" => "error-title-refused",
        "invite_code" => "error-invite-code",
        "password" => "error-password-policy",
        _ => "error-field-invalid",
    }
}

impl WebError {
    fn status_and_key(&self) -> (StatusCode, &'static str) {
        match self {
            Self::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
            Self::SignedOut => (StatusCode::UNAUTHORIZED, "error-signed-out"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"),
            Self::Invalid(_) => (StatusCode::BAD_REQUEST, "error-invalid"),
            Self::Refused => (StatusCode::CONFLICT, "error-refused"),
            Self::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
        }
    }

    /// The message of the field `name`, if it was refused.
    pub fn field(&self, name: &str) -> Option<&'static str> {
        match self {
            Self::Invalid(fields) => fields.iter().find(|(f, _)| f == name).map(|(_, k)| *k),
            _ => None,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    message: &'static str,
}

/// The error page for `error` (a redirect to sign-in for `SignedOut`, back to `here`).
pub fn render(chrome: Chrome, error: &WebError, here: &str) -> Response {
    if matches!(error, WebError::SignedOut) {
        let mut response = Redirect::to(&crate::layout::signin_url(here)).into_response();
        response.extensions_mut().insert(crate::context::SignedOut);
        return response;
    }
    let (status, message) = error.status_and_key();
    page(status, ErrorPage { c: chrome, message })
}

/// A rendered template with `status`; a template failure is a logged 500.
pub fn page(status: StatusCode, template: impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}
