//! Identity's and scheduling's events in the feed: derived groups (a chain's news and
//! help channels, a group per store and department) and cards — structured entries
//! (kind + fields) clients render in the reader's language.
//!
//! Card ids are derived from the commit (or, for open shifts, from the shift and the
//! reader), and inserted only once, so a replayed batch adds nothing twice.

use std::collections::BTreeMap;

use breakroom_base::Result;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::{
    feed::v1::{self as pb, CardKind, GroupKind, PostingPolicy},
    identity::v1::{
        StoreEvent, TenantEvent, UserEvent, store_event::Event as St, tenant_event::Event as Te,
        user_event::Event as Us,
    },
    scheduling::v1::{self as sc, time_off_event::Event as To},
};
use chrono::{DateTime, Utc};
use prost::Message;
use sqlx::PgConnection;

use super::{card_rows::CardRows, content::insert_group, occurred};
use crate::domain::{HELP, NEWS, department_group_id, store_group_id};

/// A protobuf timestamp as a database instant (the epoch when unset).
pub fn instant(value: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    value
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .unwrap_or_default()
}

/// The groups an identity fact creates: (group id, what it is).
pub fn derived_groups(commit: &RecordedCommit) -> Result<Vec<(String, pb::GroupCreated)>> {
    let mut groups = Vec::new();
    match commit.aggregate_type() {
        "tenant" => {
            for event in commit.events::<TenantEvent>()? {
                if let Some(Te::Created(_)) = event.event {
                    groups.push((NEWS.to_owned(), chain_group(GroupKind::News)));
                    groups.push((HELP.to_owned(), chain_group(GroupKind::Help)));
                }
            }
        }
        "store" => {
            let store = commit.aggregate_id();
            for event in commit.events::<StoreEvent>()? {
                match event.event {
                    Some(St::Created(e)) => groups.push((
                        store_group_id(store),
                        pb::GroupCreated {
                            kind: GroupKind::Store as i32,
                            display_name: e.display_name,
                            store_id: store.to_owned(),
                            posting_policy: PostingPolicy::Everyone as i32,
                            ..Default::default()
                        },
                    )),
                    Some(St::DepartmentAdded(e)) => groups.push((
                        department_group_id(store, &e.department_id),
                        pb::GroupCreated {
                            kind: GroupKind::Department as i32,
                            display_name: e.display_name,
                            store_id: store.to_owned(),
                            department_id: e.department_id,
                            posting_policy: PostingPolicy::Everyone as i32,
                            ..Default::default()
                        },
                    )),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Ok(groups)
}

fn chain_group(kind: GroupKind) -> pb::GroupCreated {
    let (name, policy) = match kind {
        GroupKind::News => ("News", PostingPolicy::AdminsOnly),
        _ => ("Help", PostingPolicy::Everyone),
    };
    pb::GroupCreated {
        kind: kind as i32,
        display_name: name.into(),
        posting_policy: policy as i32,
        ..Default::default()
    }
}

/// Applies one commit of identity's stream: derived groups at once (so a token of
/// identity's write is enough to see them), welcome cards on activation.
pub async fn identity(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
    let at = occurred(commit);
    for (id, created) in derived_groups(commit)? {
        if breakroom_base::names::check_token("group", &id).is_ok() {
            insert_group(conn, commit.tenant(), &id, &created, at).await?;
        }
    }
    if commit.aggregate_type() == "user" {
        for event in commit.events::<UserEvent>()? {
            if let Some(Us::Activated(_)) = event.event {
                let mut fields = BTreeMap::new();
                fields.insert(
                    "steps",
                    "read_news,see_roster,ask_help,install_app".to_owned(),
                );
                let card = Card::new(CardKind::Welcome, fields, vec![]);
                let id = format!("welcome-{}", commit.aggregate_id());
                card.insert(conn, commit.tenant(), &id, "", commit.aggregate_id(), at)
                    .await?;
            }
        }
    }
    Ok(())
}

/// A card to store.
pub(super) struct Card(pub(super) pb::Card);

impl Card {
    pub(super) fn new(
        kind: CardKind,
        fields: BTreeMap<&str, String>,
        changes: Vec<pb::CardShiftChange>,
    ) -> Self {
        Self(pb::Card {
            kind: kind as i32,
            fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            shift_changes: changes,
            ..Default::default()
        })
    }

    /// The stored bytes.
    pub(super) fn encoded(&self) -> Vec<u8> {
        self.0.encode_to_vec()
    }

    /// Inserts it in `group`, or for `recipient` when `group` is empty; once per id.
    pub(super) async fn insert(
        &self,
        conn: &mut PgConnection,
        tenant: &str,
        id: &str,
        group: &str,
        recipient: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO posts (tenant, id, group_id, recipient_id, kind, card, create_time) \
             VALUES ($1, $2, $3, $4, 'card', $5, $6) ON CONFLICT (tenant, id) DO NOTHING",
        )
        .bind(tenant)
        .bind(id)
        .bind(group)
        .bind(recipient)
        .bind(self.0.encode_to_vec())
        .bind(at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

pub(super) fn card_shift(store: &str, shift: &sc::ShiftData) -> pb::CardShift {
    pb::CardShift {
        shift_id: shift.shift_id.clone(),
        store_id: store.to_owned(),
        start_local: shift.start_local.clone(),
        end_local: shift.end_local.clone(),
        start_time: shift.start_time,
        end_time: shift.end_time,
        department_id: shift.department_id.clone(),
        position: shift.position.clone(),
    }
}

/// Applies one commit of scheduling's stream: roster and time-off cards. The roster's
/// published and amended cards go to `rows`, written at the end of the batch.
pub async fn scheduling(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    rows: &mut CardRows,
) -> Result<()> {
    match commit.aggregate_type() {
        "roster" => {
            for (i, event) in commit.events::<sc::RosterEvent>()?.into_iter().enumerate() {
                super::roster_cards::roster(conn, commit, i, event, rows).await?;
            }
        }
        "time_off" => {
            for event in commit.events::<sc::TimeOffEvent>()? {
                time_off(conn, commit, event).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn time_off(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    event: sc::TimeOffEvent,
) -> Result<()> {
    let (tenant, id) = (commit.tenant(), commit.aggregate_id());
    match event.event {
        Some(To::Requested(e)) => {
            sqlx::query(
                "INSERT INTO card_time_off (tenant, id, employee_id, start_date, end_date) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.employee_id)
            .bind(&e.start_date)
            .bind(&e.end_date)
            .execute(&mut *conn)
            .await?;
        }
        Some(To::Decided(e)) => {
            let request: Option<(String, String, String)> = sqlx::query_as(
                "SELECT employee_id, start_date, end_date FROM card_time_off \
                 WHERE tenant = $1 AND id = $2",
            )
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((employee, start, end)) = request {
                let mut fields = BTreeMap::new();
                fields.insert("request_id", id.to_owned());
                fields.insert(
                    "status",
                    if e.approved { "approved" } else { "rejected" }.into(),
                );
                fields.insert("start_date", start);
                fields.insert("end_date", end);
                fields.insert(
                    "conflicting_shifts",
                    e.conflicting_shift_ids.len().to_string(),
                );
                Card::new(CardKind::TimeOffUpdate, fields, vec![])
                    .insert(
                        conn,
                        tenant,
                        &format!("timeoff-{id}"),
                        "",
                        &employee,
                        occurred(commit),
                    )
                    .await?;
            }
        }
        None => {}
    }
    Ok(())
}
