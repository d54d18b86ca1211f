//! E-mail: digests and invite codes, Dutch and English templates (the chain's locale), and
//! sending through the configured SMTP relay (lettre, rustls). An e-mail is a row written
//! in the transaction that makes the digest (or, for an invite, that projects identity's
//! `UserInvited`), then claimed and sent like a push (`SKIP LOCKED`, a lease, retries with
//! backoff, dead after the attempt limit), so it goes out once.

use breakroom_kit::{Error, Result};
use chrono::{DateTime, Utc};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::Mailbox};
use uuid::Uuid;

use crate::{app::App, domain::Kind};

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

/// A line of a digest in the reader's language.
fn line(dutch: bool, kind: Kind, fields: &serde_json::Value) -> String {
    let f = |k: &str| {
        fields
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    match (dutch, kind) {
        (true, Kind::RosterPublished) => format!(
            "Je rooster voor {} staat klaar ({} diensten)",
            f("week"),
            f("shift_count")
        ),
        (false, Kind::RosterPublished) => format!(
            "Your roster for {} is out ({} shifts)",
            f("week"),
            f("shift_count")
        ),
        (true, Kind::ShiftChanged) => format!(
            "Je dienst is gewijzigd: {} → {}",
            f("before_start"),
            f("after_start")
        ),
        (false, Kind::ShiftChanged) => format!(
            "Your shift changed: {} → {}",
            f("before_start"),
            f("after_start")
        ),
        (true, Kind::OpenShift) => format!("Open dienst: {} tot {}", f("start"), f("end")),
        (false, Kind::OpenShift) => format!("Open shift: {} to {}", f("start"), f("end")),
        (true, Kind::Announcement) => format!("Mededeling: {}", f("title")),
        (false, Kind::Announcement) => format!("Announcement: {}", f("title")),
        (true, Kind::AcknowledgementReminder) => {
            format!("Herinnering: lees en bevestig \"{}\"", f("title"))
        }
        (false, Kind::AcknowledgementReminder) => {
            format!("Reminder: please read and confirm \"{}\"", f("title"))
        }
        (true, Kind::Comment | Kind::Reply) => format!("Nieuwe reactie bij \"{}\"", f("title")),
        (false, Kind::Comment | Kind::Reply) => format!("New comment on \"{}\"", f("title")),
        (true, Kind::Mention) => format!("Je bent genoemd in \"{}\"", f("title")),
        (false, Kind::Mention) => format!("You were mentioned in \"{}\"", f("title")),
        (true, _) => "Nieuwe melding over je rooster".into(),
        (false, _) => "New update about your schedule".into(),
    }
}

/// Subject and body of a digest of `items` (kind, fields) for a reader in `locale`.
pub fn digest(locale: &str, items: &[(Kind, serde_json::Value)]) -> (String, String) {
    let dutch = locale.to_ascii_lowercase().starts_with("nl");
    let subject = if dutch {
        format!("Je hebt {} nieuwe meldingen in Breakroom", items.len())
    } else {
        format!("You have {} new notifications in Breakroom", items.len())
    };
    let mut body = String::from(if dutch {
        "Hallo,\n\nSinds je laatste dienst:\n\n"
    } else {
        "Hello,\n\nSince your last shift:\n\n"
    });
    for (kind, fields) in items {
        body.push_str("- ");
        body.push_str(&line(dutch, *kind, fields));
        body.push('\n');
    }
    body.push_str(if dutch {
        "\nOpen de Breakroom-app voor alles.\n"
    } else {
        "\nOpen the Breakroom app for everything.\n"
    });
    (subject, body)
}

/// What an invite e-mail says: whom it is for, from which chain, the code and its end.
#[derive(Debug, Clone)]
pub struct InviteLetter<'a> {
    /// The invited person's display name.
    pub name: &'a str,
    /// The chain's display name.
    pub chain: &'a str,
    /// The activation code, as identity shows it (`XXXX-XXXX-XXXX-XXXX`).
    pub code: &'a str,
    /// When the code stops working, in the chain's time zone (`2026-12-16 12:30`).
    pub expires: &'a str,
    /// That time zone's name.
    pub time_zone: &'a str,
}

/// Subject and body of the e-mail carrying an invited person's activation code, in the
/// chain's `locale` (Dutch for `nl*`, English otherwise).
pub fn invite(locale: &str, letter: &InviteLetter<'_>) -> (String, String) {
    let InviteLetter {
        name,
        chain,
        code,
        expires,
        time_zone,
    } = letter;
    if locale.to_ascii_lowercase().starts_with("nl") {
        (
            format!("Je uitnodiging voor Breakroom van {chain}"),
            format!(
                "Hallo {name},\n\n\
                 {chain} heeft je uitgenodigd voor Breakroom: je rooster, diensten ruilen en het \
                 nieuws van je winkel in een app.\n\n\
                 Je activatiecode: {code}\n\n\
                 Zo activeer je je account: open de Breakroom-app, kies \"Account activeren\", \
                 vul deze code in en kies een wachtwoord. De code is eenmalig en werkt tot \
                 {expires} ({time_zone}).\n\n\
                 Verwachtte je deze uitnodiging niet? Dan kun je deze e-mail negeren.\n"
            ),
        )
    } else {
        (
            format!("Your invitation to Breakroom from {chain}"),
            format!(
                "Hello {name},\n\n\
                 {chain} has invited you to Breakroom: your roster, shift swaps and your \
                 store's news in one app.\n\n\
                 Your activation code: {code}\n\n\
                 To activate your account, open the Breakroom app, choose \"Activate account\", \
                 enter this code and choose a password. The code works once, until \
                 {expires} ({time_zone}).\n\n\
                 Not expecting this invitation? Then you can ignore this e-mail.\n"
            ),
        )
    }
}

/// Claims due e-mails and sends them; returns how many it tried.
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

pub async fn send_due(app: &App) -> Result<usize> {
    let Some(mailer) = app.mailer() else {
        return Ok(0);
    };
    let settings = &app.config().delivery;
    let now = app.clock().utc();
    let lease = now + chrono::Duration::from_std(settings.lease).unwrap_or_default();
    let claimed: Vec<(Uuid, String, String, String, i32)> = sqlx::query_as(
        "UPDATE emails e SET state = 'sending', lease_until = $3, attempts = e.attempts + 1 \
         FROM (SELECT id FROM emails WHERE (state = 'pending' AND next_attempt_at <= $1) \
               OR (state = 'sending' AND lease_until < $1) LIMIT $2 FOR UPDATE SKIP LOCKED) due \
         WHERE e.id = due.id RETURNING e.id, e.address, e.subject, e.body, e.attempts",
    )
    .bind(now)
    .bind(16_i64)
    .bind(lease)
    .fetch_all(app.pool())
    .await?;
    for (id, address, subject, body, attempts) in &claimed {
        let result = mailer.send(address, subject, body).await;
        let (state, next, error): (&str, DateTime<Utc>, String) = match result {
            Ok(()) => ("sent", now, String::new()),
            Err(e) if *attempts < settings.max_attempts => {
                let delay = crate::delivery::worker::backoff(settings.backoff, *attempts, None);
                (
                    "pending",
                    now + chrono::Duration::from_std(delay).unwrap_or_default(),
                    e,
                )
            }
            Err(e) => ("dead", now, e),
        };
        if !error.is_empty() {
            tracing::warn!(email = %id, error = %error, state, "e-mail not sent");
        }
        // A finished e-mail keeps its address, subject and outcome, not its body: an
        // invite's body holds the activation code, which must not outlive the sending.
        sqlx::query(
            "UPDATE emails SET state = $2, next_attempt_at = $3, last_error = $4, lease_until = NULL, \
             finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $5 END, \
             body = CASE WHEN $2 = 'pending' THEN body ELSE '' END \
             WHERE id = $1 AND state = 'sending' AND attempts = $6",
        )
        .bind(id)
        .bind(state)
        .bind(next)
        .bind(breakroom_kit::error::bounded(&error))
        .bind(app.clock().utc())
        .bind(attempts)
        .execute(app.pool())
        .await?;
    }
    Ok(claimed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_speak_dutch_to_dutch_chains_and_english_otherwise() {
        let items = vec![
            (Kind::Mention, serde_json::json!({"title": "Shelf plan"})),
            (
                Kind::RosterPublished,
                serde_json::json!({"week": "2026-W49", "shift_count": "3"}),
            ),
        ];
        let (subject, body) = digest("nl-NL", &items);
        assert_eq!(subject, "Je hebt 2 nieuwe meldingen in Breakroom");
        assert!(body.contains("Je bent genoemd in \"Shelf plan\""));
        assert!(body.contains("Je rooster voor 2026-W49 staat klaar (3 diensten)"));
        let (subject, body) = digest("en-GB", &items);
        assert_eq!(subject, "You have 2 new notifications in Breakroom");
        assert!(body.contains("Your roster for 2026-W49 is out (3 shifts)"));
    }

    #[test]
    fn an_invite_carries_the_code_and_how_to_activate_in_the_chains_language() {
        let letter = InviteLetter {
            name: "Anna",
            chain: "Jumbo",
            code: "ABCD-EFGH-JKMN-PQRS",
            expires: "2026-12-16 12:30",
            time_zone: "Europe/Amsterdam",
        };
        let (subject, body) = invite("nl-NL", &letter);
        assert_eq!(subject, "Je uitnodiging voor Breakroom van Jumbo");
        assert!(body.starts_with("Hallo Anna,"));
        assert!(body.contains("Je activatiecode: ABCD-EFGH-JKMN-PQRS"));
        assert!(body.contains("kies \"Account activeren\""));
        assert!(body.contains("tot 2026-12-16 12:30 (Europe/Amsterdam)"));
        let (subject, body) = invite("en-GB", &letter);
        assert_eq!(subject, "Your invitation to Breakroom from Jumbo");
        assert!(body.contains("Your activation code: ABCD-EFGH-JKMN-PQRS"));
        assert!(body.contains("until 2026-12-16 12:30 (Europe/Amsterdam)"));
    }
}
