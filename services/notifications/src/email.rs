//! E-mail: digests and invite codes sent through the configured SMTP relay (lettre,
//! rustls). An e-mail is a row of `emails` written in the transaction that makes the
//! digest (or, for an invite, that projects identity's `UserInvited`): a job of the kit's
//! outbox like a push (`SKIP LOCKED`, a lease, retries with backoff, dead after the
//! attempt limit), so it goes out once.
//!
//! - this module: the relay, the `emails` outbox, queueing and sending.
//! - `letters`: what digests and invites say, in Dutch or English.

mod letters;

pub use letters::{InviteLetter, digest, invite};

use breakroom_base::{Error, Result};
use breakroom_chassis::outbox::{Claim, Outcome, Spec};
use chrono::{DateTime, Utc};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::Mailbox};
use uuid::Uuid;

use crate::app::App;

/// The outbox of e-mails. A finished e-mail keeps its address, subject and outcome, not
/// its body: an invite's body holds the activation code, which must not outlive the
/// sending.
pub const EMAILS: Spec = Spec {
    table: "emails",
    select: "SELECT c.id, c.attempts, c.address, c.subject, c.body FROM claimed c",
    on_finish: ", body = ''",
};

/// E-mails claimed per round.
const CLAIM: usize = 16;

/// A claimed e-mail.
#[derive(Debug, sqlx::FromRow)]
struct Claimed {
    id: Uuid,
    attempts: i32,
    address: String,
    subject: String,
    body: String,
}

/// The SMTP relay and the sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// A mailer for `url` (`smtp://user:pass@host:587?tls=required`, `smtps://...`, or
    /// plain `smtp://host:port` for a local relay) sending as `from`.
    pub fn new(url: &str, from: &str) -> Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Error::invalid("BREAKROOM_SMTP_URL", e.to_string()))?
            .build();
        let from = from.parse().map_err(|_| {
            Error::invalid(
                "BREAKROOM_SMTP_FROM",
                "must be an address, e.g. Breakroom <noreply@example.com>",
            )
        })?;
        Ok(Self { transport, from })
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> std::result::Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_owned())
            .map_err(|e| format!("message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// An e-mail to send: written as a `pending` row of `emails` in the caller's transaction
/// (a row with `id` already there is left as it is), sent by the delivery worker.
pub struct Outgoing<'a> {
    /// Its id: derived from what it is about, so a replay writes nothing new.
    pub id: Uuid,
    /// Tenant.
    pub tenant: &'a str,
    /// Recipient's user id.
    pub user: &'a str,
    /// Recipient's address.
    pub address: &'a str,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Queues `mail` for the worker, due at `now`.
pub async fn enqueue(
    conn: &mut sqlx::PgConnection,
    mail: Outgoing<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO emails (id, tenant, user_id, address, subject, body, state, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(mail.id)
    .bind(mail.tenant)
    .bind(mail.user)
    .bind(mail.address)
    .bind(mail.subject)
    .bind(mail.body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims due e-mails and sends them one after the other; returns how many it tried.
pub async fn send_due(app: &App) -> Result<usize> {
    let Some(mailer) = app.mailer() else {
        return Ok(0);
    };
    let claimed: Vec<Claimed> = app
        .emails()
        .claim(app.pool(), app.clock().utc(), CLAIM)
        .await?;
    for mail in &claimed {
        let outcome = match mailer.send(&mail.address, &mail.subject, &mail.body).await {
            Ok(()) => Outcome::Sent { status: 0 },
            Err(error) => {
                tracing::warn!(email = %mail.id, error = %error, attempts = mail.attempts, "e-mail not sent");
                Outcome::Retry {
                    status: 0,
                    not_before: None,
                    error,
                }
            }
        };
        let claim = Claim {
            id: mail.id,
            attempts: mail.attempts,
        };
        app.emails()
            .record(app.pool(), app.clock().utc(), vec![(claim, outcome)])
            .await?;
    }
    Ok(claimed.len())
}
