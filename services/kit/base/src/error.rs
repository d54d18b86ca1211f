//! The one error type of Breakroom services and its single mapping to `tonic::Status`.
//!
//! Domain code (`decide`) returns the client-facing variants (`Invalid`, `NotFound`, ...);
//! infrastructure failures end up as `Unavailable` or `Internal`. `From<Error> for Status`
//! is the only place a gRPC status is built, so every service answers the same way:
//! INVALID_ARGUMENT carries `BadRequest` field violations, FAILED_PRECONDITION carries
//! `PreconditionFailure`, and every status carries `ErrorInfo { reason, domain }`.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Result alias used across the kit and the services.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `ErrorInfo.domain` of every Breakroom error.
pub const ERROR_DOMAIN: &str = "breakroom.app";

/// One invalid field of a request: `field` is the request field path (`store.time_zone`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the offending field, as in the request message.
    pub field: String,
    /// What is wrong with it, for a developer.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Everything that can go wrong in a Breakroom service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; one entry per offending field.
    #[error("invalid argument: {}", describe_violations(.0))]
    Invalid(Vec<FieldViolation>),
    /// The named resource does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// The resource to create exists already (or a value that must be unique is taken).
    #[error("{resource} already exists")]
    AlreadyExists {
        /// Machine-readable rule name, e.g. `EMAIL_TAKEN` (`ErrorInfo.reason`).
        reason: &'static str,
        /// What exists already.
        resource: String,
    },
    /// A business rule forbids the operation in the current state.
    #[error("{description}")]
    FailedPrecondition {
        /// Machine-readable rule name, e.g. `SHIFT_OVERLAP` (`ErrorInfo.reason`).
        reason: &'static str,
        /// The resource the rule is about.
        subject: String,
        /// What is violated, for a developer.
        description: String,
    },
    /// Optimistic concurrency lost after bounded retries: the client may retry.
    #[error("concurrent modification of {0}; retry")]
    Conflict(String),
    /// No or invalid credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// Authenticated, but not allowed.
    #[error("permission denied: {message}")]
    PermissionDenied {
        /// Machine-readable rule name, e.g. `NOT_A_PLANNER` (`ErrorInfo.reason`).
        reason: &'static str,
        /// What is missing, for a developer.
        message: String,
    },
    /// Throttled, e.g. too many failed logins.
    #[error("resource exhausted: {0}")]
    ResourceExhausted(String),
    /// A dependency (NATS, PostgreSQL) is unreachable or not caught up; retry later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; the client sees an opaque message.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn describe_violations(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// A single invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldViolation::new(field, description)])
    }

    /// A broken business rule.
    pub fn precondition(
        reason: &'static str,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self::FailedPrecondition {
            reason,
            subject: subject.into(),
            description: description.into(),
        }
    }

    /// A resource (or unique value) that exists already; `reason` names the rule.
    pub fn exists(reason: &'static str, resource: impl Into<String>) -> Self {
        Self::AlreadyExists {
            reason,
            resource: resource.into(),
        }
    }

    /// A caller without the right; `reason` names the rule (`NOT_A_PLANNER`).
    pub fn denied(reason: &'static str, message: impl Into<String>) -> Self {
        Self::PermissionDenied {
            reason,
            message: message.into(),
        }
    }

    /// An unexpected failure with context.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The `ErrorInfo.reason` of this error.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "INVALID_ARGUMENT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::AlreadyExists { reason, .. } => reason,
            Self::FailedPrecondition { reason, .. } => reason,
            Self::Conflict(_) => "CONCURRENT_MODIFICATION",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::PermissionDenied { reason, .. } => reason,
            Self::ResourceExhausted(_) => "RESOURCE_EXHAUSTED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

/// Collects field violations while validating a request, then fails once with all of them.
/// An error that is not a validation error is kept and returned as it is.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>, Option<Error>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Records the violations of a parse result and returns its value, if any.
    pub fn check<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(Error::Invalid(violations)) => {
                self.0.extend(violations);
                None
            }
            Err(other) => {
                self.1.get_or_insert(other);
                None
            }
        }
    }

    /// `Ok(())` when nothing was recorded, otherwise `Error::Invalid` with everything.
    pub fn finish(self) -> Result<()> {
        if let Some(other) = self.1 {
            Err(other)
        } else if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        let mut details = ErrorDetails::new();
        details.set_error_info(error.reason(), ERROR_DOMAIN, HashMap::new());
        let code = match &error {
            Error::Invalid(violations) => {
                for v in violations.iter().take(MAX_VIOLATIONS) {
                    details.add_bad_request_violation(bounded(&v.field), bounded(&v.description));
                }
                Code::InvalidArgument
            }
            Error::NotFound(_) => Code::NotFound,
            Error::AlreadyExists { .. } => Code::AlreadyExists,
            Error::FailedPrecondition {
                reason,
                subject,
                description,
            } => {
                details.add_precondition_failure_violation(
                    *reason,
                    bounded(subject),
                    bounded(description),
                );
                Code::FailedPrecondition
            }
            Error::Conflict(_) => Code::Aborted,
            Error::Unauthenticated(_) => Code::Unauthenticated,
            Error::PermissionDenied { .. } => Code::PermissionDenied,
            Error::ResourceExhausted(_) => Code::ResourceExhausted,
            Error::Unavailable(_) => Code::Unavailable,
            Error::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
                return Status::with_error_details(Code::Internal, "internal error", details);
            }
        };
        Status::with_error_details(code, bounded(&error.to_string()), details)
    }
}

/// Most characters of client input an error repeats in one text: a client that sent a
/// megabyte in a field must not get it back twice in the status (clients refuse large
/// trailers), and logs stay readable.
pub const MAX_ECHO: usize = 300;
/// Most field violations one status carries.
const MAX_VIOLATIONS: usize = 100;

/// `text` cut to `MAX_ECHO` characters (marked with `…`).
pub fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        if is_transient_sql(&error) {
            Self::Unavailable(format!("database: {error}"))
        } else {
            Self::Internal(anyhow::Error::new(error).context("database"))
        }
    }
}

/// Whether a database error is worth retrying: the database is unreachable, shutting
/// down or out of resources, or the transaction lost a serialisation race or deadlock.
pub fn is_transient_sql(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            matches!(
                code.as_ref(),
                "40001" | "40P01" | "57014" | "55P03" | "55006"
            ) || code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
        }),
        _ => false,
    }
}
