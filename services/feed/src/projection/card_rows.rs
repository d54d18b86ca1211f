//! Cards collected while a batch of commits is applied and written at its end by one
//! `unnest` insert per chunk, instead of one statement per card: a 1,000-store week is
//! 60,000 personal cards, and a statement each would spend the projector's time on round
//! trips. Cards are only ever inserted (once per id), and nothing else in a batch reads
//! them, so writing them after the batch's other statements changes no outcome.

use breakroom_base::Result;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::cards::Card;

/// Rows per statement: bounds the size of one bind message (a personal card of a week is
/// about 1 kB).
const CHUNK: usize = 5_000;

/// The cards of one batch, column by column as `unnest` takes them.
#[derive(Debug, Default)]
pub struct CardRows {
    tenants: Vec<String>,
    ids: Vec<String>,
    groups: Vec<String>,
    recipients: Vec<String>,
    cards: Vec<Vec<u8>>,
    times: Vec<DateTime<Utc>>,
}

impl CardRows {
    /// Adds `card` in `group`, or for `recipient` when `group` is empty.
    pub(super) fn push(
        &mut self,
        card: &Card,
        tenant: &str,
        id: String,
        group: String,
        recipient: &str,
        at: DateTime<Utc>,
    ) {
        self.tenants.push(tenant.to_owned());
        self.ids.push(id);
        self.groups.push(group);
        self.recipients.push(recipient.to_owned());
        self.cards.push(card.encoded());
        self.times.push(at);
    }

    /// How many cards wait to be written.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none wait.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Writes every card collected (an id already present is left as it is, so a
    /// replayed commit adds nothing) and empties the collection.
    pub async fn flush(&mut self, conn: &mut PgConnection) -> Result<()> {
        let rows = std::mem::take(self);
        for start in (0..rows.len()).step_by(CHUNK) {
            let end = (start + CHUNK).min(rows.len());
            sqlx::query(
                "INSERT INTO posts (tenant, id, group_id, recipient_id, kind, card, create_time) \
                 SELECT t, i, g, r, 'card', c, at \
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], \
                 $6::timestamptz[]) AS u(t, i, g, r, c, at) \
                 ON CONFLICT (tenant, id) DO NOTHING",
            )
            .bind(&rows.tenants[start..end])
            .bind(&rows.ids[start..end])
            .bind(&rows.groups[start..end])
            .bind(&rows.recipients[start..end])
            .bind(&rows.cards[start..end])
            .bind(&rows.times[start..end])
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
